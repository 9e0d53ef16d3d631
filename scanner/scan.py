"""``scanner scan``: where the tree walk meets the archive engine.

:class:`ScanReport` holds the walk report plus how to present it (totals, extensions,
largest files, errors); :class:`ArchiveSection` runs the archive engine on the archives the
walk meets and sums them up. Each section has its own JSON fields, so the JSON/CSV/table
renderings grow without changing what exists.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scanner.archives.model import ArchiveReport, ArchiveSummary, Severity
from scanner.fs import views
from scanner.fs.extensions import ExtSort, ExtTable
from scanner.fs.model import WalkReport
from scanner.output.sanitize import json_path_fields

if TYPE_CHECKING:
    from anyio.streams.memory import MemoryObjectSendStream
    from rich.table import Table

    from scanner.archives.model import Candidate
    from scanner.fs import BatchConsumer, WalkBatch, WalkConfig


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
            "summary": views.summary_fields(walk),
            **views.ext_table_fields(self.extensions),
            "largest": [views.largest_fields(f) for f in walk.largest],
            "errors": [views.error_fields(e) for e in walk.errors[: self.options.errors_shown]],
            "error_count": walk.error_count,
        }

    def csv_rows(self) -> list[list[Any]]:
        """Long-format CSV rows: ``section, name, name_b64, count, bytes, detail``."""
        walk = self.walk
        rows: list[list[Any]] = []
        for key, value in views.totals_fields(walk.totals).items():
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


class ArchiveSection:
    """``scanner scan``'s archives section: archives found *during* scan's walk are inspected
    concurrently by the archive engine and summed up here.

    Used by ``scanner/cli/scan.py`` in four calls: :meth:`walk_config` (the walk must list
    regular files so archives can be picked by name), :meth:`consumer` (wraps scan's batch
    consumer), :meth:`running` (the engine runs while the walk does, fed through a bounded
    stream, so the walk waits when inspection falls behind) and, once the walk is done,
    :meth:`merge_into` (``--into-archives``: member extensions join the extension table).
    """

    def __init__(self, *, into_archives: bool = False, workers: int = 4) -> None:
        self.summary = ArchiveSummary(collect_extensions=into_archives)
        self.into_archives = into_archives
        self.workers = workers
        self._send: MemoryObjectSendStream[Candidate] | None = None

    def walk_config(self, config: WalkConfig) -> WalkConfig:
        """The walk config with a listing of the regular files named like archives (the
        totals are unchanged): no ``Entry`` for the other files, which on one directory of
        1,000,000 files cut listing it from 4.8 to 3.6 s in-process. The set is a superset of
        what :meth:`consumer` keeps (it tests each name with ``is_archive_name``): zip-family
        extensions are never compound (``tar.gz``) ones."""
        from dataclasses import replace

        from scanner.archives.kinds import ARCHIVE_EXTENSIONS

        return replace(
            config, listing=True, types=frozenset("f"), list_extensions=ARCHIVE_EXTENSIONS
        )

    def consumer(self, inner: BatchConsumer | None) -> BatchConsumer:
        """A batch consumer that sends archives to the engine, then calls ``inner``."""
        from scanner.archives.kinds import is_archive_name
        from scanner.archives.model import Candidate

        async def on_batch(batch: WalkBatch) -> None:
            if self._send is not None:
                for entry in batch.entries:
                    if is_archive_name(entry.name):
                        await self._send.send(Candidate(entry.path, entry.size))
            if inner is not None:
                await inner(batch)

        return on_batch

    @asynccontextmanager
    async def running(self, stopped: Callable[[], bool]) -> AsyncIterator[ArchiveSection]:
        """Run the engine for the duration of the block (the walk). When ``stopped()`` is
        true at its end (Ctrl-C) the archives still queued are dropped: the section then
        covers what was finished."""
        import anyio

        from scanner.archives.config import EngineConfig, ZipConfig
        from scanner.archives.engine import ArchiveEngine
        from scanner.archives.model import Candidate

        async def on_report(report: ArchiveReport) -> None:
            self.summary.add(report)

        engine = ArchiveEngine(ZipConfig(), EngineConfig(workers=self.workers), on_report)
        send, receive = anyio.create_memory_object_stream[Candidate](self.workers * 32)
        async with anyio.create_task_group() as tg:
            tg.start_soon(engine.run, receive)
            self._send = send
            try:
                yield self
            finally:
                self._send = None
                await send.aclose()
                if stopped():
                    tg.cancel_scope.cancel()

    def merge_into(self, walked: WalkReport) -> None:
        """``--into-archives``: count member extensions in the walk's extension table."""
        if self.into_archives:
            walked.extensions.merge_raw(self.summary.member_extensions)

    def fields(self) -> dict[str, Any]:
        """The section for ``--json`` (a key of the document) and ``--jsonl`` (a record)."""
        return self.summary.as_dict()

    @property
    def found(self) -> bool:
        """True when the walk met at least one archive (readable or not)."""
        return bool(self.summary.archives or self.summary.errors)

    def csv_rows(self) -> list[list[Any]]:
        """Rows in scan's long CSV format: ``section, name, name_b64, count, bytes, detail``
        (none when no archive was found, like the table)."""
        s = self.summary
        if not self.found:
            return []
        rows: list[list[Any]] = [
            ["archives", "archives", "", s.archives, s.bytes, ""],
            ["archives", "members", "", s.members, s.uncompressed, "declared uncompressed"],
            ["archives", "compressed", "", "", s.compressed, ""],
            [
                "archives",
                "implausible",
                "",
                s.implausible,
                s.implausible_uncompressed,
                f"declared uncompressed, not in the totals ({s.implausible_compressed} "
                "compressed): sizes the audit found to be lies",
            ],
            ["archives", "unreadable", "", s.errors, "", ""],
        ]
        rows += [
            ["archives", f"findings_{sev.label}", "", n, "", ""] for sev, n in s.findings.items()
        ]
        return rows

    def rich_tables(self) -> list[Table]:
        """The section as a two-column table for people (like scan's totals); no table when
        no archive was found."""
        from rich.table import Table

        if not self.found:
            return []
        s = self.summary
        table = Table(title="archives", title_justify="left", show_header=False)
        table.add_column("what")
        table.add_column("value", justify="right")
        by_sev = ", ".join(
            f"{s.findings[sev]:,} {sev.label}" for sev in sorted(Severity, reverse=True)
        )
        rows = [
            ("zip archives", f"{s.archives:,}"),
            ("bytes", f"{s.bytes:,}"),
            ("members", f"{s.members:,}"),
            ("compressed", f"{s.compressed:,}"),
            ("uncompressed (declared)", f"{s.uncompressed:,}"),
        ]
        if s.implausible:
            # declared sizes the audit found to be lies are not added up (an overlap bomb
            # would make the totals exabytes): say how many and what they declare
            rows.append(
                (
                    "implausible sizes (not in the totals)",
                    f"{s.implausible:,} archives declaring {s.implausible_uncompressed:,} "
                    f"({s.implausible_compressed:,} compressed)",
                )
            )
        rows += [("findings", by_sev), ("unreadable", f"{s.errors:,}")]
        for what, value in rows:
            table.add_row(what, value)
        return [table]

    def exit_code(self, code: int) -> int:
        """Scan's exit code, raised to PARTIAL when an archive could not be read."""
        from scanner import exit_codes

        return exit_codes.PARTIAL if code == exit_codes.OK and self.summary.errors else code
