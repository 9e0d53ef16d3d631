"""The all-in-one tree report of ``scanner scan``: totals, extensions, largest files, errors.

A typed dataclass holding the walk report plus how to present it; later sections (archives)
are added as fields, each with its own JSON fields, so that the JSON/CSV/table renderings
grow without changing what exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scanner.fs import records
from scanner.fs.extensions import ExtSort, ExtTable
from scanner.fs.report import WalkReport
from scanner.output.sanitize import json_path_fields


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """How the scan report is cut: extension order, how many rows and errors to show."""

    sort: ExtSort = ExtSort.COUNT
    top: int | None = 20
    errors_shown: int = 10


@dataclass
class ScanReport:
    """What ``scanner scan`` reports."""

    walk: WalkReport
    options: ScanOptions

    @property
    def extensions(self) -> ExtTable:
        """The extension table, sorted and cut as the options say."""
        return self.walk.extensions.table(self.options.sort, self.options.top)

    def json_fields(self) -> dict[str, Any]:
        """The report as JSON fields (the body of the ``scan`` document)."""
        walk = self.walk
        return {
            "summary": records.summary_fields(walk),
            **records.ext_table_fields(self.extensions),
            "largest": [records.largest_fields(f) for f in walk.largest],
            "errors": [records.error_fields(e) for e in walk.errors[: self.options.errors_shown]],
            "error_count": walk.error_count,
        }

    def csv_rows(self) -> list[list[Any]]:
        """Long-format CSV rows: ``section, name, name_b64, count, bytes, detail``."""
        walk = self.walk
        rows: list[list[Any]] = []
        for key, value in records.totals_fields(walk.totals).items():
            rows.append(["totals", key, "", value, "", ""])
        rows.append(["totals", "elapsed_s", "", "", "", round(walk.elapsed, 6)])
        rows.append(["totals", "interrupted", "", "", "", walk.interrupted])
        table = self.extensions
        for r in table.rows:
            rows.append(["extension", r.ext, "", r.files, r.bytes, ""])
        if table.others is not None:
            rows.append(["others", "", "", table.others.files, table.others.bytes, ""])
        for f in walk.largest:
            p = json_path_fields(f.path)
            rows.append(["largest", p["path"], p.get("path_b64", ""), "", f.size, ""])
        for e in walk.errors[: self.options.errors_shown]:
            p = json_path_fields(e.subject)
            reason = f"{e.errno_name} {e.message}" if e.errno_name else e.message
            detail = f"{e.phase}: {reason}"
            rows.append(["error", p["path"], p.get("path_b64", ""), e.errno or "", "", detail])
        return rows


SCAN_CSV_HEADER = ("section", "name", "name_b64", "count", "bytes", "detail")
