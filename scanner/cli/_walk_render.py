"""Human renderings (rich tables) and CSV of the tree commands' results."""

from __future__ import annotations

from rich.table import Table

from scanner.errors import ItemError
from scanner.fs.extensions import ExtRow, ExtTable, label
from scanner.fs.records import human_bytes
from scanner.fs.report import LargeFile, WalkReport
from scanner.output.formats import csv_text
from scanner.output.sanitize import display_name


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def ext_rich_table(table: ExtTable, title: str | None = None) -> Table:
    """The extension table: one row per extension, an "others" row, a total row."""
    out = Table(title=title, title_justify="left")
    out.add_column("extension")
    for col in ("files", "% files", "bytes", "% bytes"):
        out.add_column(col, justify="right")
    total = table.total

    def add(row: ExtRow, name: str, *, end: bool = False) -> None:
        out.add_row(
            display_name(name),
            f"{row.files:,}",
            _pct(row.files, total.files),
            human_bytes(row.bytes),
            _pct(row.bytes, total.bytes),
            end_section=end,
        )

    for i, row in enumerate(table.rows):
        add(row, label(row.ext), end=i == len(table.rows) - 1 and table.others is None)
    if table.others is not None:
        others = f"(others: {table.distinct - len(table.rows):,} extensions)"
        add(table.others, others, end=True)
    add(total, f"total ({table.distinct:,} extensions)")
    return out


def ext_csv(table: ExtTable) -> str:
    """The extension table as CSV: ``kind`` is extension, others or total."""
    rows: list[list[object]] = [["extension", r.ext, r.files, r.bytes] for r in table.rows]
    if table.others is not None:
        rows.append(["others", "", table.others.files, table.others.bytes])
    rows.append(["total", "", table.total.files, table.total.bytes])
    return csv_text(["kind", "ext", "files", "bytes"], rows)


def totals_table(report: WalkReport) -> Table:
    """Totals of a walk as a two-column table."""
    t = report.totals
    out = Table(title="totals", title_justify="left", show_header=False)
    out.add_column("what")
    out.add_column("value", justify="right")
    rows = [
        ("roots", ", ".join(display_name(r) for r in report.roots)),
        ("files", f"{t.files:,}"),
        ("directories", f"{t.dirs:,}"),
        ("symlinks", f"{t.symlinks:,}"),
        ("other (fifo, socket, device)", f"{t.other:,}"),
        ("bytes", f"{human_bytes(t.bytes)} ({t.bytes:,} B)"),
        ("errors", f"{t.errors:,}"),
        ("elapsed", f"{report.elapsed:.2f} s"),
        ("entries/s", f"{report.entries_per_second:,.0f}"),
    ]
    if report.interrupted:
        rows.append(("status", "INTERRUPTED: partial results"))
    for what, value in rows:
        out.add_row(what, value)
    return out


def largest_table(largest: list[LargeFile]) -> Table:
    """The largest files, largest first."""
    out = Table(title="largest files", title_justify="left")
    out.add_column("size", justify="right")
    out.add_column("path")
    for item in largest:
        out.add_row(human_bytes(item.size), display_name(item.path))
    return out


def errors_table(errors: list[ItemError], total: int) -> Table:
    """The first errors, with a count of the rest in the caption."""
    rest = total - len(errors)
    caption = f"... and {rest:,} more" if rest > 0 else None
    out = Table(title="errors", title_justify="left", caption=caption, caption_justify="left")
    for col in ("path", "phase", "error"):
        out.add_column(col)
    for e in errors:
        reason = f"{e.errno_name}: {e.message}" if e.errno_name else e.message
        out.add_row(display_name(e.subject), e.phase, reason)
    return out
