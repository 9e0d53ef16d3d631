"""The job ``scanner ping`` runs on the command runtime (``scanner.runtime.command``): sweep,
emit each host as it finishes, summarise, choose the exit code."""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from scanner import exit_codes
from scanner.net.config import SweepConfig
from scanner.net.engine import OnResult, sweep
from scanner.net.model import HostResult, HostState, PortRow, SweepSummary
from scanner.net.replies import LiveHost, Reply
from scanner.net.targets import Target
from scanner.net.views import PingView, progress_line, summary_line
from scanner.output.formats import Format
from scanner.output.stream import RecordStream

if TYPE_CHECKING:
    from scanner.net.resolve import LookupFunc


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
        lookup: LookupFunc | None = None,
        replies: bool = False,
    ) -> None:
        self.targets = targets
        self.cfg = cfg
        #: Only results in these states are written (``--alive`` / ``--unreachable``).
        self.only = only
        self.lookup = lookup
        self.view = PingView(count=cfg.count, bare=only is not None)
        self.sweep_summary = SweepSummary()
        #: Write a ``reply`` record (a line in text) per request as it is answered or lost.
        self.replies = replies
        #: Hosts still being probed (what an interrupted run reports from their replies).
        self.live: dict[int, LiveHost] = {}
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

        async def on_reply(reply: Reply) -> None:
            await out.emit("reply", [reply])

        async def on_results(results: Sequence[HostResult]) -> None:
            only = self.only
            kept: list[HostResult | PortRow] = []
            for result in results:  # a loop, not result.records(): one list a host less
                if only is not None and result.state not in only:
                    continue
                if result.ports:
                    kept.extend(result.records())
                else:
                    kept.append(result)
            if kept:
                await out.emit("host", kept)

        if self.sweeper is not None:
            await self.sweeper(lambda result: self._emit(out, result))
            return
        await sweep(
            self.targets,
            self.cfg,
            lambda result: self._emit(out, result),
            summary=self.sweep_summary,
            lookup=self.lookup,
            on_reply=on_reply if self.replies else None,
            live=self.live,
            on_results=on_results,
        )

    async def _emit(self, out: RecordStream, result: HostResult) -> None:
        if self.only is None or result.state in self.only:
            await out.emit("host", result.records())

    async def end(self, out: RecordStream) -> None:
        """After an interruption: the hosts still being probed, as far as their requests
        went (fping's summary on Ctrl-C); hosts with no request answered or lost yet are
        left out."""
        if self.sweep_summary.finished is None:  # stopped before the sweep started
            self.sweep_summary.finished = time.monotonic()
        for tally in self.live.values():
            if tally.sent:
                result = tally.result()
                self.sweep_summary.add(result)
                await self._emit(out, result)
        self.live.clear()

    def summary(self, *, interrupted: bool) -> dict[str, Any]:
        """Hosts per state, elapsed time and rate, and the probe method that ran."""
        return {
            **self.sweep_summary.as_dict(),
            "method": self.cfg.method.value,
            "methods": self.cfg.methods(),
        }

    def summary_line(self, *, interrupted: bool) -> str:
        """``20 hosts: 18 alive, 2 unreachable in 1.02 s (19.6 hosts/s)``."""
        return summary_line(self.sweep_summary, interrupted=interrupted)

    def exit_code(self) -> int:
        """fping's codes: 2 unresolved, 1 down, 0 all alive."""
        return exit_code_for(self.sweep_summary)
