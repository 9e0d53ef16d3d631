"""One ``scanner zip`` run: find archives, inspect them concurrently, write reports as they
complete, and choose the exit code.

Kept out of the typer module so that the command stays a thin layer over this function
(and tests can drive it in-process on asyncio and trio).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from scanner import exit_codes
from scanner.archives._unit import error_report
from scanner.archives.config import EngineConfig, ZipConfig
from scanner.archives.engine import ArchiveEngine
from scanner.archives.model import ArchiveReport, ArchiveSummary, Candidate, Severity
from scanner.archives.views import ReportWriter, View
from scanner.errors import ItemError
from scanner.output.formats import Format
from scanner.output.sanitize import display_name

if TYPE_CHECKING:
    from scanner.output.sink import Sink
    from scanner.runtime.session import Session


@dataclass(frozen=True)
class ZipRun:
    """What the command line asked for, besides the audit thresholds (:class:`ZipConfig`)."""

    #: Files (always inspected, whatever their name) and directories (searched).
    paths: tuple[str, ...]
    view: View = View.ARCHIVES
    fmt: Format = Format.TEXT
    #: stdout is a terminal: names escaped, tables.
    terminal: bool = False
    #: In directories, also recognise archives by content.
    sniff: bool = False
    #: Exit 1 when a finding at or above this severity exists.
    fail_on: Severity | None = None
    #: Report file (atomic), or None for stdout.
    output: Path | None = None
    #: No progress line and no summary on stderr.
    quiet: bool = False
    #: ``names`` view: NUL instead of newline after each name (``-0``), and the archive path
    #: before each name (several paths or a directory).
    null_separated: bool = False
    with_archive: bool = False


@dataclass
class ZipOutcome:
    """What a run produced, for the exit code and for tests."""

    summary: ArchiveSummary
    interrupted: bool
    exit_code: int


def exit_code_for(summary: ArchiveSummary, fail_on: Severity | None) -> int:
    """PARTIAL when a file could not be read or a finding reached ``fail_on``, else OK."""
    if summary.errors:
        return exit_codes.PARTIAL
    if fail_on is not None and summary.at_or_above(fail_on):
        return exit_codes.PARTIAL
    return exit_codes.OK


async def zip_run(
    run: ZipRun,
    cfg: ZipConfig,
    engine: EngineConfig,
    work_scope: anyio.CancelScope | None = None,
) -> ZipOutcome:
    """Do the whole run inside ``work_scope`` (cancelled on Ctrl-C: what finished is still
    written to stdout, and a ``--output`` file is left unwritten)."""
    from scanner.output.sink import open_sink

    scope = work_scope or anyio.CancelScope()
    summary = ArchiveSummary()
    try:
        async with open_sink(run.output) as sink:
            await _run_into(sink, run, cfg=cfg, engine=engine, scope=scope, summary=summary)
    except _Discard:
        sys.stderr.write(f"scanner zip: interrupted; {run.output} not written\n")
    interrupted = scope.cancel_called
    if not run.quiet:
        note = " (interrupted: partial results)" if interrupted else ""
        sys.stderr.write(f"scanner zip: {summary.describe()}{note}\n")
    return ZipOutcome(summary, interrupted, exit_code_for(summary, run.fail_on))


class _Discard(Exception):
    """Raised inside the report sink on Ctrl-C: a report file is complete or absent (its
    temporary file is removed), while stdout still gets what was finished."""


async def _run_into(
    sink: Sink,
    run: ZipRun,
    *,
    cfg: ZipConfig,
    engine: EngineConfig,
    scope: anyio.CancelScope,
    summary: ArchiveSummary,
) -> None:
    from contextlib import AbstractContextManager, nullcontext

    from scanner.archives.detect import find_archives

    lock = anyio.Lock()
    machine = run.fmt in (Format.JSON, Format.JSONL, Format.CSV)

    def describe() -> str:
        return f"zip: {summary.describe()}"

    writer = ReportWriter(
        sink,
        run.fmt,
        run.view,
        terminal=run.terminal,
        separator="\0" if run.null_separated else "\n",
        with_archive=run.with_archive,
    )

    async def on_report(report: ArchiveReport) -> None:
        summary.add(report)
        if report.error is not None and not machine:
            _warn(report)
        async with lock:  # one writer at a time: records never interleave
            await writer.report(report)
            if run.output is None:
                await sink.flush()  # a pipe reader sees each archive as it completes

    async def on_error(error: ItemError) -> None:
        await on_report(error_report(error))

    progress: AbstractContextManager[object] = nullcontext()
    # not while --list streams onto the same terminal: the live line would tear it
    streaming_to_terminal = run.terminal and run.view in (View.MEMBERS, View.NAMES)
    if not run.quiet and sys.stderr.isatty() and not streaming_to_terminal:
        # rich costs ~20 ms to import: only when there is a terminal to show progress on
        from scanner.output.console import Progress

        progress = Progress(describe, enabled=True)
    with progress, scope:
        # bounded: the search waits when the workers fall behind
        send, receive = anyio.create_memory_object_stream[Candidate](
            engine.workers * engine.batch_max_files
        )
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: find_archives(run.paths, send, on_error, sniff=run.sniff))
            await ArchiveEngine(cfg, engine, on_report).run(receive)
    if scope.cancel_called and run.output is not None:
        raise _Discard
    with anyio.CancelScope(shield=True):
        await writer.finish(summary)


def _warn(report: ArchiveReport) -> None:
    err = report.error
    if err is None:
        return
    errno = f" [{err.errno_name}]" if err.errno_name else ""
    sys.stderr.write(
        f"scanner zip: {display_name(report.path)}: {err.phase}: {err.message}{errno}\n"
    )


async def run_zip(run: ZipRun, cfg: ZipConfig, engine: EngineConfig, session: Session) -> int:
    """The command body for ``run_async``: the run inside the session's work scope."""
    outcome = await zip_run(run, cfg, engine, session.work_scope)
    return outcome.exit_code
