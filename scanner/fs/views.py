"""What the tree commands print: records (one schema for JSON, JSONL and CSV), rich tables
and lines for people, and the ``du`` tree with bars.

Paths are exact where JSON allows it: ``path`` is valid UTF-8 and ``path_b64`` carries the
exact bytes only when the name is not valid UTF-8 (``json_path_fields``). CSV uses the same
two columns, so every format survives undecodable names.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from scanner.errors import ItemError
from scanner.fs.config import WalkConfig
from scanner.fs.extensions import ExtRow, ExtTable, label
from scanner.fs.model import DirTotal, DirTotals, Entry, LargeFile, Totals, WalkReport
from scanner.output.formats import iso_time
from scanner.output.sanitize import display_name, json_path_fields
from scanner.output.shorten import middle, relative_to_roots
from scanner.output.words import counted

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table

    from scanner.output.table import Table as DescribedTable

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
    "mtime_iso",
)


def entry_fields(entry: Entry) -> dict[str, Any]:
    """An entry as JSON fields."""
    return {
        **json_path_fields(entry.path),
        "type": TYPE_NAMES.get(entry.type, "unknown"),
        "size": entry.size,
        "mtime": entry.mtime,
        "mtime_iso": iso_time(entry.mtime),
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
        iso_time(entry.mtime) or "",
    ]


def error_csv_row(error: ItemError) -> list[Any]:
    """An error as a CSV row (``ENTRY_CSV_HEADER``)."""
    p = json_path_fields(error.subject)
    errno = "" if error.errno is None else error.errno
    return ["error", p["path"], p.get("path_b64", ""), "", "", "", "", error.phase, errno,
            error.message, ""]  # fmt: skip


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


def summary_fields(report: WalkReport, config: WalkConfig | None = None) -> dict[str, Any]:
    """The summary of a walk: totals, timing, whether it was interrupted; with the config,
    what its options measured (``disk_bytes``), skipped (``gitignored``) or chose
    (``filters``), and the ``notes`` the stderr summary prints."""
    fields: dict[str, Any] = {
        "roots": [json_path_fields(r)["path"] for r in report.roots],
        **totals_fields(report.totals),
        "elapsed_s": round(report.elapsed, 6),
        "entries_per_s": round(report.entries_per_second, 1),
        "interrupted": report.interrupted,
        "peak_workers": report.stats.peak_workers,
    }
    if config is None:
        return fields
    if config.disk_usage:
        fields["disk_bytes"] = report.totals.disk_bytes
    if config.gitignore:
        fields["gitignored"] = report.totals.ignored
    if config.filtered:
        fields["filters"] = filter_description(config)
    fields["notes"] = walk_notes(report, config)
    return fields


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


def ext_rich_table(table: ExtTable, title: str | None = None) -> DescribedTable:
    """The extension table: one row per extension, an "others" row, a total row (drawn
    without rich on a pipe: ``scanner.output.table``)."""
    from scanner.output.table import Table

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
    ]
    # only measured with --disk-usage, only skipped with --gitignore
    if t.disk_bytes:
        rows.append(("on disk (allocated)", f"{human_bytes(t.disk_bytes)} ({t.disk_bytes:,} B)"))
    if t.ignored:
        rows.append(("ignored (--gitignore)", f"{t.ignored:,}"))
    rows += [
        ("errors", f"{t.errors:,}"),
        ("elapsed", f"{report.elapsed:.2f} s"),
        ("entries/s", f"{report.entries_per_second:,.0f}"),
    ]
    if report.interrupted:
        rows.append(("status", "INTERRUPTED: partial results"))
    for what, value in rows:
        out.add_row(what, value)
    return out


def _shown(path: str, roots: Sequence[str], room: int | None) -> str:
    """A path for a table: whole (a pipe or a file), or for a terminal relative to its root
    and shortened in the middle to ``room`` characters."""
    if room is None:
        return display_name(path)
    return middle(display_name(relative_to_roots(path, roots)), room)


def largest_table(
    largest: list[LargeFile], *, roots: Sequence[str] = (), width: int | None = None
) -> Table:
    """The largest files, largest first (paths fitted to a terminal's ``width``)."""
    from rich.table import Table

    sizes = [human_bytes(item.size) for item in largest]
    room = None if width is None else max(12, width - max(map(len, sizes), default=0) - 7)
    out = Table(title="largest files", title_justify="left")
    out.add_column("size", justify="right", no_wrap=True)
    out.add_column("path", no_wrap=True)
    for size, item in zip(sizes, largest, strict=True):
        out.add_row(size, _shown(item.path, roots, room))
    return out


def errors_table(
    errors: list[ItemError], total: int, *, roots: Sequence[str] = (), width: int | None = None
) -> Table:
    """The first errors, with a count of the rest in the caption (paths fitted to a
    terminal's ``width``: a third of it; the message wraps)."""
    rest = total - len(errors)
    caption = f"... and {rest:,} more" if rest > 0 else None
    from rich.table import Table

    room = None if width is None else max(16, width // 3)
    out = Table(title="errors", title_justify="left", caption=caption, caption_justify="left")
    out.add_column("path", no_wrap=True)
    out.add_column("phase", no_wrap=True)
    out.add_column("error", overflow="fold")
    for e in errors:
        reason = f"{e.errno_name}: {e.message}" if e.errno_name else e.message
        out.add_row(_shown(e.subject, roots, room), e.phase, reason)
    return out


def summary_line(report: WalkReport, config: WalkConfig | None = None) -> str:
    """One line for stderr: totals, rate, errors, and whether it was interrupted (and the
    allocated size when the config counts it)."""
    t = report.totals
    parts = [counted(t.files, "file"), counted(t.dirs, "dir")]
    if t.symlinks:
        parts.append(counted(t.symlinks, "symlink"))
    if t.other:
        parts.append(f"{t.other:,} other")
    if t.bytes:
        parts.append(human_bytes(t.bytes))
    if config is not None and config.disk_usage:
        parts.append(f"{human_bytes(t.disk_bytes)} on disk")
    head = "interrupted after" if report.interrupted else "scanned"
    return (
        f"scanner: {head} {', '.join(parts)} in {report.elapsed:.2f} s "
        f"({report.entries_per_second:,.0f} entries/s); {counted(t.errors, 'error')}\n"
    )


def error_line(error: ItemError) -> str:
    """``scanner: PATH: message (phase)`` with the path escaped for a terminal."""
    # an empty root ("scanner walk ''") would print "scanner: : No such file ..."
    shown = display_name(error.subject) or "''"
    return f"scanner: {shown}: {error.message} ({error.phase})\n"


def progress_line(report: WalkReport, workers: int, queued: int) -> str:
    """The live progress line of a walk."""
    t = report.totals
    return (
        f"{t.files:,} files  {t.dirs:,} dirs  {human_bytes(t.bytes)}  {t.errors:,} errors"
        f"  {workers} workers  {queued:,} dirs queued  {report.elapsed:.1f} s"
    )


class _NoTables:
    """Views whose output is a stream of lines have no tables."""

    sorted_lists: frozenset[str] = frozenset()

    def tables(
        self, records: Sequence[tuple[str, Any]], *, width: int | None
    ) -> list[RenderableType]:
        """None."""
        return []


class WalkView(_NoTables):
    """``scanner walk``: ``entry`` and ``error`` records; plain paths (NUL-separated with
    ``-0``) in text, where errors go to stderr instead."""

    command = "walk"

    def __init__(self, *, separator: str = "\n") -> None:
        self.separator = separator

    def fields(self, kind: str, item: Any) -> dict[str, Any]:
        """Entry or error fields."""
        return entry_fields(item) if kind == "entry" else error_fields(item)

    def jsonl_record(self, kind: str) -> bool:
        """``entry`` and ``error`` as found (``kept_errors`` only build the document)."""
        return kind != "kept_errors"

    def text(self, kind: str, items: Sequence[Any], *, terminal: bool) -> str:
        """Paths of the entries, exact on a pipe, escaped on a terminal."""
        if kind != "entry":
            return ""
        sep = self.separator
        if terminal:
            return "".join([display_name(e.path) + sep for e in items])
        return "".join([e.path + sep for e in items])

    def csv_header(self) -> Sequence[str]:
        """Entries and errors share one header."""
        return ENTRY_CSV_HEADER

    def csv_rows(self, kind: str, items: Sequence[Any]) -> Sequence[Sequence[Any]]:
        """One row per entry or error."""
        if kind == "entry":
            return [entry_csv_row(e) for e in items]
        if kind == "error":
            return [error_csv_row(e) for e in items]
        return []

    def json_key(self, kind: str) -> tuple[str, bool] | None:
        """``entries`` (streamed), then the kept ``errors``."""
        if kind == "entry":
            return ("entries", True)
        if kind == "kept_errors":
            return ("errors", True)
        return None


class ExtView:
    """``scanner ext``: the extension table (``extension`` and ``others`` records, a total),
    errors as found."""

    command = "ext"
    sorted_lists: frozenset[str] = frozenset()

    def fields(self, kind: str, item: Any) -> dict[str, Any]:
        """Fields of a row, the table's totals or an error."""
        if kind in ("extension", "others"):
            return ext_row_fields(item)
        if kind == "ext_table":
            fields = ext_table_fields(item)
            del fields["extensions"]
            return fields
        return error_fields(item)

    def jsonl_record(self, kind: str) -> bool:
        """Rows and errors are records; the table's totals only build the document."""
        return kind in ("extension", "others", "error")

    def text(self, kind: str, items: Sequence[Any], *, terminal: bool) -> str:
        """Text is the table (TABLE format)."""
        return ""

    def csv_header(self) -> Sequence[str]:
        """``kind`` is extension, others or total."""
        return ("kind", "ext", "files", "bytes")

    def csv_rows(self, kind: str, items: Sequence[Any]) -> Sequence[Sequence[Any]]:
        """The table's rows (errors are not rows of it)."""
        if kind == "extension":
            return [["extension", r.ext, r.files, r.bytes] for r in items]
        if kind == "others":
            return [["others", "", r.files, r.bytes] for r in items]
        if kind == "ext_table":
            return [["total", "", t.total.files, t.total.bytes] for t in items]
        return []

    def json_key(self, kind: str) -> tuple[str, bool] | None:
        """``extensions``, the table's totals at the top level, the kept ``errors``."""
        return {
            "extension": ("extensions", True),
            "ext_table": ("", False),
            "kept_errors": ("errors", True),
        }.get(kind)

    def tables(
        self, records: Sequence[tuple[str, Any]], *, width: int | None
    ) -> list[RenderableType]:
        """The extension table."""
        return [ext_rich_table(item) for kind, item in records if kind == "ext_table"]


# --- per-directory totals (scanner du) -----------------------------------------------------

DIR_CSV_HEADER: Final = (
    "path",
    "path_b64",
    "depth",
    "files",
    "dirs",
    "symlinks",
    "other",
    "bytes",
    "disk_bytes",
    "errors",
)


def dir_total_fields(rec: DirTotal) -> dict[str, Any]:
    """A directory's totals as JSON fields (``disk_bytes`` null when not measured)."""
    return {
        **json_path_fields(rec.path),
        "depth": rec.depth,
        "files": rec.files,
        "dirs": rec.dirs,
        "symlinks": rec.symlinks,
        "other": rec.other,
        "bytes": rec.bytes,
        "disk_bytes": rec.disk_bytes,
        "errors": rec.errors,
    }


def dir_total_csv_row(rec: DirTotal) -> list[Any]:
    """A directory's totals as a CSV row (``DIR_CSV_HEADER``)."""
    p = json_path_fields(rec.path)
    disk = "" if rec.disk_bytes is None else rec.disk_bytes
    return [p["path"], p.get("path_b64", ""), rec.depth, rec.files, rec.dirs, rec.symlinks,
            rec.other, rec.bytes, disk, rec.errors]  # fmt: skip


def walk_notes(report: WalkReport, config: WalkConfig) -> list[str]:
    """One line per thing a reader of the totals must know: what was skipped or merged,
    and which filters chose what was counted (a counting tool never skips silently)."""
    notes = []
    if config.gitignore:
        ignored = report.totals.ignored
        notes.append(
            f"--gitignore: {counted(ignored, 'entry', 'entries')} ignored "
            "(.gitignore, .ignore, .git/info/exclude and .git itself; an ignored directory "
            "counts once)"
        )
    filters = filter_description(config)
    if filters:
        notes.append(f"counted and listed only: {filters}")
    for m in report.merged_roots:
        notes.append(f"{display_name(m.root)}: inside {display_name(m.into)}, counted once there")
    for s in report.skipped_mounts:
        notes.append(f"{display_name(s.path)}: {s.fstype} file system not entered")
    if report.reached_twice:
        notes.append(f"{report.reached_twice:,} directories reached twice (--follow), read once")
    return notes


def filter_description(config: WalkConfig) -> str:
    """The fd/find filters of ``config`` in words, "" when there are none."""
    parts = []
    if config.include_extensions:
        parts.append("extension " + ", ".join(sorted(config.include_extensions)))
    if config.all_patterns:
        kind = "regex" if config.regex else "glob"
        where = "path" if config.full_path else "name"
        case = ", any case" if config.ignore_case else ""
        shown = " or ".join(repr(display_name(p)) for p in config.all_patterns)
        parts.append(f"{where} {kind} {shown}{case}")
    for s in config.sizes:
        word = {"min": "at least", "max": "at most", "eq": "exactly"}[s.op]
        parts.append(f"size {word} {s.bytes:,} B")
    for what, when in (("changed after", config.newer_than),
                       ("changed before", config.older_than)):  # fmt: skip
        if when is not None:
            from datetime import UTC, datetime

            stamp = datetime.fromtimestamp(when, tz=UTC).isoformat(timespec="seconds")
            parts.append(f"{what} {stamp}")
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class DuRow:
    """One line of the du tree: a record (None for an "… N more" line), the tree glyphs
    before its name, and the name (relative to its parent; a root's path)."""

    rec: DirTotal | None
    glyphs: str
    name: str
    size: int
    files: int
    share: float


def du_rows(
    dirs: DirTotals, *, by: str = "bytes", max_children: int = 10, size: str | None = None
) -> list[DuRow]:
    """The tree of records as rows, biggest children first by ``by``, at most
    ``max_children`` per directory (the rest folded into one "… N more" row with their
    sum); the rows' size is the ``size`` field (default: ``by``)."""
    rows: list[DuRow] = []
    size_field = size or by

    def size_of(rec: DirTotal) -> int:
        return int(getattr(rec, size_field) or 0)

    def add(rec: DirTotal, lead: str, glyph: str, name: str, whole: int) -> None:
        size = size_of(rec)
        rows.append(DuRow(rec, lead + glyph, name, size, rec.files, size / whole if whole else 0))
        kids = dirs.children(rec.path, by=by)
        shown, rest = kids[:max_children], kids[max_children:]
        inner = lead + ("" if not glyph else ("   " if glyph == "└─ " else "│  "))
        for i, kid in enumerate(shown):
            last = i == len(shown) - 1 and not rest
            kid_name = kid.path[len(os.path.join(rec.path, "")) :] or kid.path
            add(kid, inner, "└─ " if last else "├─ ", kid_name, whole)
        if rest:
            size = sum(size_of(k) for k in rest)
            files = sum(k.files for k in rest)
            rows.append(DuRow(None, inner + "└─ ", f"… {len(rest):,} more", size, files,
                              size / whole if whole else 0))  # fmt: skip

    for root in dirs.roots:
        add(root, "", "", root.path, size_of(root))
    return rows


_EIGHTHS: Final = " ▏▎▍▌▋▊▉"


def bar(share: float, width: int) -> str:
    """A horizontal bar of ``share`` (0..1) in ``width`` cells, in eighths of a cell."""
    eighths = round(max(0.0, min(1.0, share)) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(width)


def du_tree_table(
    dirs: DirTotals, *, width: int = 80, by: str | None = None, max_children: int = 10
) -> Table:
    """The du tree for a terminal: size, files, share of the root, a bar, and the tree of
    names (a root's path, then names relative to their parent), shortened in the middle to
    fit ``width`` columns. Sizes are allocated bytes when ``dirs`` measured them, else
    apparent ones; siblings are ordered by ``by`` (default: the size)."""
    from rich.table import Table

    key = "disk_bytes" if dirs.disk_usage else "bytes"
    rows = du_rows(dirs, by=by or key, max_children=max_children, size=key)
    bar_width = 12 if width < 100 else 20
    # size 10, files 9, share 6, the bar, and one space between columns
    name_width = max(12, width - (10 + 9 + 6 + bar_width + 4))
    title = "disk usage (allocated blocks)" if key == "disk_bytes" else "apparent size of files"
    out = Table(title=title, title_justify="left", box=None, pad_edge=False, show_edge=False)
    out.add_column("size", justify="right", no_wrap=True)
    out.add_column("files", justify="right", no_wrap=True)
    out.add_column("%", justify="right", no_wrap=True)
    out.add_column("", no_wrap=True)
    out.add_column("path", no_wrap=True, overflow="ignore")
    from rich.cells import cell_len

    for row in rows:
        glyphs = row.glyphs
        name = middle(display_name(row.name), max(1, name_width - cell_len(glyphs)))
        out.add_row(
            human_bytes(row.size),
            f"{row.files:,}",
            f"{100 * row.share:.0f}%",
            bar(row.share, bar_width),
            glyphs + name,
            style="dim" if row.rec is None else None,
        )
    return out


def du_line(rec: DirTotal, by: str = "bytes") -> str:
    """A record as ``du`` prints it to a pipe: the size in bytes, a tab, the path."""
    return f"{int(getattr(rec, by) or 0)}\t{rec.path}"


def tree_order(dirs: DirTotals, *, by: str = "bytes") -> list[DirTotal]:
    """Every record, each directory before its children and siblings biggest first by
    ``by`` (the order of the du tree, without folding)."""
    out: list[DirTotal] = []
    stack = list(reversed(dirs.roots))
    while stack:
        rec = stack.pop()
        out.append(rec)
        stack.extend(reversed(dirs.children(rec.path, by=by)))
    return out


class DuView:
    """``scanner du``: ``dir`` records (one per directory kept, in tree order), the tree with
    bars for a terminal, ``size<TAB>path`` lines (du's own) on a pipe or in a file."""

    command = "du"
    sorted_lists: frozenset[str] = frozenset()

    def __init__(self, *, by: str = "bytes", top: int = 10, disk_usage: bool = False) -> None:
        # what orders siblings: bytes, disk_bytes or files
        self.by = by
        # children shown per directory in the tree (the rest folded into one row)
        self.top = top
        # the size printed: allocated bytes with --disk-usage, else apparent ones
        self.size = "disk_bytes" if disk_usage else "bytes"

    def fields(self, kind: str, item: Any) -> dict[str, Any]:
        """A directory's totals, or an error."""
        return dir_total_fields(item) if kind == "dir" else error_fields(item)

    def jsonl_record(self, kind: str) -> bool:
        """``dir`` and ``error`` records."""
        return kind in ("dir", "error")

    def text(self, kind: str, items: Sequence[Any], *, terminal: bool) -> str:
        """``SIZE<TAB>PATH`` per directory, as du prints them (the size in bytes: apparent,
        or allocated with --disk-usage)."""
        if kind != "dir":
            return ""
        if terminal:
            return "".join(f"{int(getattr(r, self.size) or 0)}\t{display_name(r.path)}\n"
                           for r in items)  # fmt: skip
        return "".join(du_line(r, self.size) + "\n" for r in items)

    def csv_header(self) -> Sequence[str]:
        """One row per directory."""
        return DIR_CSV_HEADER

    def csv_rows(self, kind: str, items: Sequence[Any]) -> Sequence[Sequence[Any]]:
        """The directories (errors are in the summary and on stderr)."""
        return [dir_total_csv_row(r) for r in items] if kind == "dir" else []

    def json_key(self, kind: str) -> tuple[str, bool] | None:
        """``dirs``, then the kept ``errors``."""
        return {"dir": ("dirs", True), "kept_errors": ("errors", True)}.get(kind)

    def tables(
        self, records: Sequence[tuple[str, Any]], *, width: int | None
    ) -> list[RenderableType]:
        """The tree with bars, fitted to the terminal (``width`` None: as wide as needed)."""
        return [
            du_tree_table(item, width=width or 1 << 16, by=self.by, max_children=self.top)
            for kind, item in records
            if kind == "du_tree"
        ]
