"""Running a walk for a tree command: progress on stderr, Ctrl-C, summary, exit code."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from scanner import exit_codes
from scanner.errors import ItemError
from scanner.fs.config import WalkConfig
from scanner.fs.engine import BatchConsumer, Walker
from scanner.fs.model import WalkReport
from scanner.fs.views import human_bytes
from scanner.output.console import Progress, progress_enabled
from scanner.output.sanitize import display_name
from scanner.output.sink import Sink, open_sink
from scanner.runtime.session import Session


class Interrupted(Exception):
    """Raised inside a report sink on Ctrl-C so that ``--output`` is discarded, not renamed
    into place half-written."""


async def run_walk(
    session: Session, config: WalkConfig, *, quiet: bool, on_batch: BatchConsumer | None = None
) -> WalkReport:
    """Walk inside the session's work scope with a progress line; on Ctrl-C return the
    partial report (``report.interrupted`` is then True)."""
    walker = Walker(config, on_batch)

    def describe() -> str:
        r = walker.report
        t = r.totals
        return (
            f"{t.files:,} files  {t.dirs:,} dirs  {human_bytes(t.bytes)}  {t.errors:,} errors"
            f"  {walker.tuner.limit} workers  {walker.frontier_size:,} dirs queued"
            f"  {r.elapsed:.1f} s"
        )

    with Progress(describe, enabled=progress_enabled(quiet)), session.work_scope:
        await walker.run()
    return walker.report


@asynccontextmanager
async def report_sink(output: Path | None, session: Session) -> AsyncIterator[Sink]:
    """``open_sink`` that discards a report file when the walk was interrupted: stdout
    still gets what was finished, a report file is complete or absent."""
    try:
        async with open_sink(output) as sink:
            yield sink
            if session.interrupted and output is not None:
                raise Interrupted
    except Interrupted:
        sys.stderr.write(f"scanner: interrupted; {output} not written\n")


def error_consumer(sink: Sink, *, as_records: bool, echo: bool) -> BatchConsumer:
    """A batch consumer for the counting commands: errors as JSONL records on the sink as
    found (``as_records``), else echoed on stderr (``echo``), as find does."""
    from scanner.fs.model import WalkBatch
    from scanner.fs.views import error_fields
    from scanner.output.formats import jsonl_line
    from scanner.output.schema import record

    async def on_batch(batch: WalkBatch) -> None:
        if not batch.errors:
            return
        if as_records:
            await sink.write(
                "".join(jsonl_line(record("error", **error_fields(e))) for e in batch.errors)
            )
            await sink.flush()
        elif echo:
            sys.stderr.writelines(error_line(e) for e in batch.errors)

    return on_batch


def reader_gone() -> int:
    """stdout's reader went away (``scanner walk | head``): stop quietly, as ripgrep does,
    and keep Python from complaining while it flushes stdout at exit."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return exit_codes.OK


def summary_line(report: WalkReport) -> str:
    """One line for stderr: totals, rate, errors, and whether it was interrupted."""
    t = report.totals
    parts = [f"{t.files:,} files", f"{t.dirs:,} dirs"]
    if t.symlinks:
        parts.append(f"{t.symlinks:,} symlinks")
    if t.other:
        parts.append(f"{t.other:,} other")
    if t.bytes:
        parts.append(human_bytes(t.bytes))
    head = "interrupted after" if report.interrupted else "scanned"
    return (
        f"scanner: {head} {', '.join(parts)} in {report.elapsed:.2f} s "
        f"({report.entries_per_second:,.0f} entries/s); {t.errors:,} errors\n"
    )


def error_line(error: ItemError) -> str:
    """``scanner: PATH: message (phase)`` with the path escaped for a terminal."""
    # an empty root ("scanner walk ''") would print "scanner: : No such file ..."
    shown = display_name(error.subject) or "''"
    return f"scanner: {shown}: {error.message} ({error.phase})\n"


def finish(report: WalkReport, *, quiet: bool) -> int:
    """Print the summary (unless quiet) and choose the exit code."""
    if not quiet or report.interrupted:
        sys.stderr.write(summary_line(report))
    return exit_codes.PARTIAL if report.error_count else exit_codes.OK
