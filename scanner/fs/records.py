"""Walk results as machine-readable records (one schema for JSON, JSONL and CSV).

Paths are exact where JSON allows it: ``path`` is valid UTF-8 and ``path_b64`` carries the
exact bytes only when the name is not valid UTF-8 (``json_path_fields``). CSV uses the same
two columns, so every format survives undecodable names.
"""

from __future__ import annotations

from typing import Any, Final

from scanner.errors import ItemError
from scanner.fs.extensions import ExtRow, ExtTable
from scanner.fs.model import Entry, Totals
from scanner.fs.report import LargeFile, WalkReport
from scanner.output.sanitize import json_path_fields

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
