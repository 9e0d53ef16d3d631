"""The job ``scanner zip`` runs on the command runtime (``scanner.runtime.command``): find
archives, inspect them concurrently, emit each report as it completes, choose the exit code."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import CancelledError
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from typing import Any

import anyio
import anyio.from_thread
from anyio.from_thread import BlockingPortal
from anyio.streams.memory import MemoryObjectReceiveStream

from scanner import exit_codes
from scanner.archives._unit import error_report, inspect_one
from scanner.archives.config import EngineConfig, ProcessPolicy, ZipConfig
from scanner.archives.detect import find_archives
from scanner.archives.engine import ArchiveEngine, OnReport
from scanner.archives.model import ArchiveReport, ArchiveSummary, Candidate, Member, Severity
from scanner.archives.views import View, ZipView, member_dict, walk_reports
from scanner.errors import ItemError
from scanner.output.formats import Format
from scanner.output.sanitize import display_name
from scanner.output.spool import Spool, SpooledList
from scanner.output.stream import RecordStream


def exit_code_for(summary: ArchiveSummary, fail_on: Severity | None) -> int:
    """PARTIAL when a file could not be read or a finding reached ``fail_on``, else OK."""
    if summary.errors:
        return exit_codes.PARTIAL
    if fail_on is not None and summary.at_or_above(fail_on):
        return exit_codes.PARTIAL
    return exit_codes.OK


def warning_line(report: ArchiveReport) -> str:
    """``scanner zip: PATH: phase: message [ERRNO]`` for a file that could not be read."""
    err = report.error
    assert err is not None
    errno = f" [{err.errno_name}]" if err.errno_name else ""
    return f"scanner zip: {display_name(report.path)}: {err.phase}: {err.message}{errno}\n"


class _ListingSink:
    """The thread side of a streamed listing (``--list``/``--names`` into lines, JSONL or
    CSV): the reader hands it each archive's members in chunks as it reads the central
    directory, and it writes them through the record stream at once, so no report holds a
    million members. One archive (with its nested ones) is listed at a time: the work unit
    holds ``lock`` while it inspects, so two archives' lines never interleave.

    A chunk goes to the event loop through a blocking portal and the thread waits for it
    (back-pressure, order), but never past the run's end: once ``stop`` was called (the run
    finished, was interrupted, or its reader went away) a waiting thread gives up and drops
    the rest, so a thread abandoned at a deadline cannot keep the process from exiting."""

    def __init__(self, out: RecordStream, portal: BlockingPortal) -> None:
        self.out = out
        self.portal = portal
        self.lock = threading.Lock()
        self._stopped = threading.Event()
        self._total = 0
        self._count = 0

    def stop(self) -> None:
        """No more writes: threads still listing drop what they read."""
        self._stopped.set()

    def work(self, path: str, cfg: ZipConfig) -> ArchiveReport:
        """The work unit for the engine: ``inspect_one`` with this sink, one at a time."""
        with self.lock:
            return inspect_one(path, cfg, self)

    def begin(self, archive: str) -> None:
        self._total = self._count = 0
        self._emit("listing_begin", [archive])

    def members(self, archive: str, chunk: Sequence[Member]) -> None:
        self._count += len(chunk)
        self._total += sum(m.uncompressed_size for m in chunk)
        self._emit("member", [(archive, m) for m in chunk])

    def end(self, archive: str) -> None:
        self._emit("listing_end", [(archive, self._total, self._count)])

    def _emit(self, kind: str, items: list[Any]) -> None:
        if self._stopped.is_set():
            return
        try:
            done = self.portal.start_task_soon(self.out.emit, kind, items)
        except RuntimeError:  # the portal has closed: the run is over
            self._stopped.set()
            return
        while not self._stopped.is_set():
            try:
                done.result(timeout=0.1)
                return
            except FutureTimeout:
                continue
            except CancelledError:
                break
        done.cancel()


class MemberSpool:
    """The thread side of ``--list --json``: a document nests each archive's members in its
    archive record, written at the end, so the members wait in a :class:`Spool` on disk
    (a few hundred bytes each) instead of in the reports (~3.7 KB each as records).

    The reader hands it members as it reads (a :class:`~scanner.archives.reader.MemberSink`);
    :meth:`take` gives the report's record the list that stands for them. Archives are
    matched by path, in the order they were read (the same path can be read twice)."""

    def __init__(self) -> None:
        self.spool = Spool()
        self._lock = threading.Lock()
        self._lists: dict[str, deque[SpooledList]] = {}
        self._local = threading.local()

    def work(self, path: str, cfg: ZipConfig) -> ArchiveReport:
        """The work unit for the engine: ``inspect_one`` with this sink."""
        return inspect_one(path, cfg, self)

    def begin(self, archive: str) -> None:
        members = SpooledList(self.spool)
        self._local.current = members
        with self._lock:
            self._lists.setdefault(archive, deque()).append(members)

    def members(self, archive: str, chunk: Sequence[Member]) -> None:
        self._local.current.add(self.spool.append(member_dict(m) for m in chunk))

    def end(self, archive: str) -> None:
        self._local.current = None

    def take(self, report: ArchiveReport) -> SpooledList:
        """The members read for this report (none if the reader never began it)."""
        with self._lock:
            waiting = self._lists.get(report.path)
            if not waiting:
                return SpooledList(self.spool)
            members = waiting.popleft()
            if not waiting:
                del self._lists[report.path]
            return members


#: Inspects a stream of candidates, each report to ``on_report``: (cfg, engine config,
#: on_report, candidates).
Inspector = Callable[
    [ZipConfig, EngineConfig, OnReport, MemoryObjectReceiveStream[Candidate]], Awaitable[object]
]


class ZipJob:
    """One ``scanner zip`` run."""

    streamed: str | None = None

    def __init__(
        self,
        paths: tuple[str, ...],
        cfg: ZipConfig,
        engine: EngineConfig,
        view: ZipView,
        *,
        sniff: bool = False,
        fail_on: Severity | None = None,
        warn_errors: bool = True,
        stream_members: bool = False,
        spool_members: bool = False,
    ) -> None:
        #: Files (always inspected, whatever their name) and directories (searched).
        self.paths = paths
        self.cfg = cfg
        self.engine = engine
        self.view = view
        #: In directories, also recognise archives by content.
        self.sniff = sniff
        #: Exit 1 when a finding at or above this severity exists.
        self.fail_on = fail_on
        #: Unreadable files are also said on stderr (text and tables).
        self.warn_errors = warn_errors
        #: ``--list``/``--names`` into a stream: members go out as they are read (the
        #: reports keep none), from worker threads only (a process cannot call back).
        self.stream_members = stream_members
        #: ``--list --json``: members wait on disk until the document is written (from
        #: worker threads only, as above).
        self.spool = MemberSpool() if spool_members else None
        if self.spool is not None:
            view.spooled = self.spool.take
        self.totals = ArchiveSummary()
        #: What inspects the candidates (None: the archive engine in this process); a
        #: cluster's engine (``scanner.cluster.jobs``) is set here.
        self.inspector: Inspector | None = None

    def streams(self, fmt: Format) -> bool:
        """Reports stream, except into a table or a document."""
        return fmt not in (Format.TABLE, Format.JSON)

    def progress(self) -> str:
        """Archives, members and findings so far."""
        return f"zip: {self.totals.describe()}"

    async def run(self, out: RecordStream) -> None:
        """Search and inspect; each report is emitted as its archive completes."""
        lock = anyio.Lock()
        members = self.view.view is View.MEMBERS and not self.stream_members and not self.spool

        async def on_report(report: ArchiveReport) -> None:
            self.totals.add(report)
            async with lock:  # one archive's records at a time: never interleaved
                if report.error is not None:
                    if self.warn_errors:
                        out.warn(warning_line(report))
                    await out.emit("error", [report])
                    return
                if members:
                    await out.emit(
                        "member",
                        [(rep.path, m) for rep in walk_reports(report) for m in rep.members or ()],
                    )
                await out.emit("archive", [report])

        async def on_error(error: ItemError) -> None:
            await on_report(error_report(error))

        # bounded: the search waits when the workers fall behind
        send, receive = anyio.create_memory_object_stream[Candidate](
            self.engine.workers * self.engine.batch_max_files
        )
        async with anyio.from_thread.BlockingPortal() as portal:
            engine, work, sink = self.engine, None, None
            if self.stream_members:
                sink = _ListingSink(out, portal)
                work = sink.work
                engine = replace(engine, processes=ProcessPolicy.NEVER)
            elif self.spool is not None:
                work = self.spool.work
                engine = replace(engine, processes=ProcessPolicy.NEVER)
            try:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(
                        lambda: find_archives(self.paths, send, on_error, sniff=self.sniff)
                    )
                    if self.inspector is not None:
                        await self.inspector(self.cfg, engine, on_report, receive)
                    else:
                        await ArchiveEngine(self.cfg, engine, on_report, work).run(receive)
            finally:
                if sink is not None:
                    sink.stop()

    async def end(self, out: RecordStream) -> None:
        """Nothing is known only at the end."""

    def summary(self, *, interrupted: bool) -> dict[str, Any]:
        """Archives, members, findings by severity."""
        return self.totals.as_dict()

    def summary_line(self, *, interrupted: bool) -> str:
        """``scanner zip: 12 archives, 3,456 members, 2 findings (1 high, 1 low)``."""
        note = " (interrupted: partial results)" if interrupted else ""
        return f"scanner zip: {self.totals.describe()}{note}\n"

    def exit_code(self) -> int:
        """1 when a file could not be read or a finding reached ``--fail-on``."""
        return exit_code_for(self.totals, self.fail_on)
