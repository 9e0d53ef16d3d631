"""The job ``scanner ping`` runs on the command runtime (``scanner.runtime.command``): sweep,
emit each host as it finishes, summarise, choose the exit code."""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from typing import Any

from scanner import exit_codes
from scanner.net.config import SweepConfig
from scanner.net.engine import OnResult, sweep
from scanner.net.model import HostResult, HostState, SweepSummary
from scanner.net.resolve import LookupFunc, system_lookup
from scanner.net.targets import Target
from scanner.net.views import PingView, progress_line, summary_line
from scanner.output.formats import Format
from scanner.output.stream import RecordStream


def exit_code_for(summary: SweepSummary) -> int:
    """2 when a name did not resolve, else 1 when a host is down or errored, else 0."""
    if summary.unresolved:
        return exit_codes.UNRESOLVED
    if summary.unreachable or summary.error:
        return exit_codes.PARTIAL
    return exit_codes.OK


class PingJob:
    """One sweep: every target probed, each result written as it arrives."""

    streamed = "hosts"

    def __init__(
        self,
        targets: AsyncIterable[Target] | Iterable[Target],
        cfg: SweepConfig,
        *,
        only: frozenset[HostState] | None = None,
        lookup: LookupFunc = system_lookup,
    ) -> None:
        self.targets = targets
        self.cfg = cfg
        #: Only results in these states are written (``--alive`` / ``--unreachable``).
        self.only = only
        self.lookup = lookup
        self.view = PingView(count=cfg.count, bare=only is not None)
        self.sweep_summary = SweepSummary()
        #: What sweeps (None: the sweep engine in this process over ``targets``); a
        #: cluster's sweep (``scanner.cluster.jobs``) is set here. Called with the result
        #: consumer; it fills ``sweep_summary``.
        self.sweeper: Callable[[OnResult], Awaitable[object]] | None = None

    def streams(self, fmt: Format) -> bool:
        """Every format streams its hosts."""
        return True

    def progress(self) -> str:
        """Counts so far."""
        return progress_line(self.sweep_summary)

    async def run(self, out: RecordStream) -> None:
        """The sweep; results in completion order."""

        async def on_result(result: HostResult) -> None:
            if self.only is None or result.state in self.only:
                await out.emit("host", [result])

        if self.sweeper is not None:
            await self.sweeper(on_result)
            return
        await sweep(
            self.targets, self.cfg, on_result, summary=self.sweep_summary, lookup=self.lookup
        )

    async def end(self, out: RecordStream) -> None:
        """Nothing is known only at the end."""
        if self.sweep_summary.finished is None:  # stopped before the sweep started
            self.sweep_summary.finished = time.monotonic()

    def summary(self, *, interrupted: bool) -> dict[str, Any]:
        """Hosts per state, elapsed time and rate."""
        return self.sweep_summary.as_dict()

    def summary_line(self, *, interrupted: bool) -> str:
        """``20 hosts: 18 alive, 2 unreachable in 1.02 s (19.6 hosts/s)``."""
        return summary_line(self.sweep_summary, interrupted=interrupted)

    def exit_code(self) -> int:
        """fping's codes: 2 unresolved, 1 down, 0 all alive."""
        return exit_code_for(self.sweep_summary)
