"""One ``scanner ping`` run: sweep, write results as they finish, summarise, pick the exit code.

Kept out of the typer module so the command stays thin and tests can drive a whole run
in-process on asyncio and trio.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import anyio

from scanner import exit_codes
from scanner.net.config import SweepConfig
from scanner.net.engine import sweep
from scanner.net.model import HostResult, HostState, SweepSummary
from scanner.net.resolve import LookupFunc, system_lookup
from scanner.net.targets import Target
from scanner.net.views import make_writer
from scanner.output.formats import Format


@dataclass(frozen=True)
class PingRun:
    """What the command line asked for besides the sweep itself (:class:`SweepConfig`)."""

    fmt: Format = Format.TEXT
    #: Only results in these states are written (``--alive`` / ``--unreachable``).
    only: frozenset[HostState] | None = None
    #: Report file (atomic), or None for stdout.
    output: Path | None = None
    #: No progress line and no summary on stderr.
    quiet: bool = False


@dataclass
class PingOutcome:
    """What a run produced, for the exit code and for tests."""

    summary: SweepSummary
    interrupted: bool
    exit_code: int


def exit_code_for(summary: SweepSummary) -> int:
    """2 when a name did not resolve, else 1 when a host is down or errored, else 0."""
    if summary.unresolved:
        return exit_codes.UNRESOLVED
    if summary.unreachable or summary.error:
        return exit_codes.PARTIAL
    return exit_codes.OK


def summary_line(summary: SweepSummary, *, interrupted: bool) -> str:
    """The stderr summary: ``20 hosts: 18 alive, 2 unreachable ... in 1.02 s (19.6 hosts/s)``."""
    parts = [f"{summary.alive} alive", f"{summary.unreachable} unreachable"]
    if summary.unresolved:
        parts.append(f"{summary.unresolved} unresolved")
    if summary.error:
        parts.append(f"{summary.error} error{'s' if summary.error != 1 else ''}")
    head = "interrupted after " if interrupted else ""
    return (
        f"scanner: {head}{summary.total} host{'s' if summary.total != 1 else ''}: "
        f"{', '.join(parts)} in {summary.elapsed_s:.2f} s ({summary.hosts_per_s:.1f} hosts/s)\n"
    )


def _progress(describe: Callable[[], str], run: PingRun) -> AbstractContextManager[object]:
    # scanner.output.console.progress_enabled's rule, checked here first so that a sweep
    # piped somewhere does not pay ~30 ms for importing rich. When the result lines stream to
    # the same terminal they are the progress: a live line would be torn by them.
    if run.quiet or not sys.stderr.isatty():
        return nullcontext()
    if run.output is None and run.fmt is not Format.JSON and sys.stdout.isatty():
        return nullcontext()
    from scanner.output.console import Progress

    return Progress(describe, enabled=True)


async def ping_run(
    targets: Iterable[Target],
    cfg: SweepConfig,
    run: PingRun,
    work_scope: anyio.CancelScope | None = None,
    *,
    lookup: LookupFunc = system_lookup,
) -> PingOutcome:
    """Sweep inside ``work_scope`` (cancelled on Ctrl-C: the children are killed, what
    finished is written, and the output stays well-formed). ``lookup`` replaces the system
    resolver (tests)."""
    from scanner.output.sink import open_sink

    scope = work_scope if work_scope is not None else anyio.CancelScope()
    summary = SweepSummary()
    count = cfg.count

    def describe() -> str:
        return (
            f"{summary.total} hosts: {summary.alive} alive, {summary.unreachable} unreachable, "
            f"{summary.unresolved} unresolved, {summary.error} errors  "
            f"{summary.elapsed_s:.1f} s"
        )

    reader_gone = anyio.CancelScope()
    async with open_sink(run.output) as sink:
        writer = make_writer(run.fmt, sink, count=count, bare=run.only is not None)

        async def on_result(result: HostResult) -> None:
            if run.only is None or result.state in run.only:
                try:
                    await writer.host(result)
                except BrokenPipeError:
                    # `scanner ping ... | head`: stop the sweep (children killed) and leave
                    # quietly, as fping does; main() turns the re-raise into exit 0
                    reader_gone.cancel()

        with _progress(describe, run), scope, reader_gone:
            await sweep(targets, cfg, on_result, summary=summary, lookup=lookup)
        if reader_gone.cancel_called:
            raise BrokenPipeError
        interrupted = scope.cancelled_caught or scope.cancel_called
        if summary.finished is None:  # cancelled before the sweep started
            summary.finished = summary.started
        with anyio.CancelScope(shield=True):
            await writer.finish(summary.as_dict(), interrupted=interrupted)
    if not run.quiet:
        sys.stderr.write(summary_line(summary, interrupted=interrupted))
    code = exit_codes.INTERRUPTED if interrupted else exit_code_for(summary)
    return PingOutcome(summary=summary, interrupted=interrupted, exit_code=code)
