"""What the tree commands print: records (one schema for JSON, JSONL and CSV), rich tables
and lines for people.

Paths are exact where JSON allows it: ``path`` is valid UTF-8 and ``path_b64`` carries the
exact bytes only when the name is not valid UTF-8 (``json_path_fields``). CSV uses the same
two columns, so every format survives undecodable names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from scanner.errors import ItemError
from scanner.fs.extensions import ExtRow, ExtTable, label
from scanner.fs.model import Entry, LargeFile, Totals, WalkReport
from scanner.output.formats import csv_text
from scanner.output.sanitize import display_name, json_path_fields

if TYPE_CHECKING:
    from rich.table import Table

#: ``Entry.type`` letters spelled out for people and for JSON.
TYPE_NAMES: Final = {
    "f": "file",
    "d": "dir",
    "l": "symlink",
    "p": "fifo",
    "s": "socket",
    "c": "char-device",
    "b": "block-device",
    "?": "unknown",
}

ENTRY_CSV_HEADER: Final = (
    "record",
    "path",
    "path_b64",
    "type",
    "size",
    "mtime",
    "depth",
    "phase",
    "errno",
    "message",
)


def entry_fields(entry: Entry) -> dict[str, Any]:
    """An entry as JSON fields."""
    return {
        **json_path_fields(entry.path),
        "type": TYPE_NAMES.get(entry.type, "unknown"),
        "size": entry.size,
        "mtime": entry.mtime,
        "depth": entry.depth,
    }


def error_fields(error: ItemError) -> dict[str, Any]:
    """An error record as JSON fields."""
    return {
        **json_path_fields(error.subject),
        "phase": error.phase,
        "errno": error.errno,
        "errno_name": error.errno_name,
        "message": error.message,
    }


def entry_csv_row(entry: Entry) -> list[Any]:
    """An entry as a CSV row (``ENTRY_CSV_HEADER``)."""
    p = json_path_fields(entry.path)
    return [
        "entry",
        p["path"],
        p.get("path_b64", ""),
        TYPE_NAMES.get(entry.type, "unknown"),
        "" if entry.size is None else entry.size,
        "" if entry.mtime is None else entry.mtime,
        entry.depth,
        "",
        "",
        "",
    ]


def error_csv_row(error: ItemError) -> list[Any]:
    """An error as a CSV row (``ENTRY_CSV_HEADER``)."""
    p = json_path_fields(error.subject)
    errno = "" if error.errno is None else error.errno
    return ["error", p["path"], p.get("path_b64", ""), "", "", "", "", error.phase, errno,
            error.message]  # fmt: skip


def totals_fields(totals: Totals) -> dict[str, int]:
    """Totals as JSON fields."""
    return {
        "files": totals.files,
        "dirs": totals.dirs,
        "symlinks": totals.symlinks,
        "other": totals.other,
        "bytes": totals.bytes,
        "errors": totals.errors,
        "entries": totals.entries,
    }


def summary_fields(report: WalkReport) -> dict[str, Any]:
    """The summary of a walk: totals, timing, whether it was interrupted."""
    return {
        "roots": [json_path_fields(r)["path"] for r in report.roots],
        **totals_fields(report.totals),
        "elapsed_s": round(report.elapsed, 6),
        "entries_per_s": round(report.entries_per_second, 1),
        "interrupted": report.interrupted,
        "peak_workers": report.stats.peak_workers,
    }


def ext_row_fields(row: ExtRow) -> dict[str, Any]:
    """One extension row as JSON fields (``ext`` without the dot, "" for none)."""
    return {"ext": row.ext, "files": row.files, "bytes": row.bytes}


def ext_table_fields(table: ExtTable) -> dict[str, Any]:
    """The extension table as JSON fields."""
    return {
        "extensions": [ext_row_fields(r) for r in table.rows],
        "others": None if table.others is None else ext_row_fields(table.others),
        "total": {"files": table.total.files, "bytes": table.total.bytes},
        "distinct_extensions": table.distinct,
    }


def largest_fields(item: LargeFile) -> dict[str, Any]:
    """One of the largest files as JSON fields."""
    return {**json_path_fields(item.path), "size": item.size}


def human_bytes(n: int) -> str:
    """``1.5 GiB``-style sizes (binary units, as du -h)."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{n:,} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def ext_rich_table(table: ExtTable, title: str | None = None) -> Table:
    """The extension table: one row per extension, an "others" row, a total row."""
    from rich.table import Table

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
    from rich.table import Table

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
    from rich.table import Table

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
    from rich.table import Table

    out = Table(title="errors", title_justify="left", caption=caption, caption_justify="left")
    for col in ("path", "phase", "error"):
        out.add_column(col)
    for e in errors:
        reason = f"{e.errno_name}: {e.message}" if e.errno_name else e.message
        out.add_row(display_name(e.subject), e.phase, reason)
    return out
