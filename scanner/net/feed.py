"""The sweep loop for probes that take hosts without a task each (the ``icmp`` prober).

A ``ping`` child or a TCP connect needs a task to wait on; an echo request does not: the
prober's own sender and receiver tasks carry every host, and call back when one is done.
Starting a task, a cancel scope and a channel send per host cost more CPU than the packet
itself (about 250 us a host against fping's 13 us), so for such a probe the engine feeds
hosts straight in: IP literals are submitted from the feeding loop, names are resolved in a
task each first (as in the task-per-host loop), finished results queue for the single
consumer, and a host that did not answer is resubmitted after its backoff. The semantics
are the engine's: at most ``slots`` hosts in flight (queued results included: memory stays
bounded), the family filter, retries, attempts and elapsed time per host.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterable, Callable, Iterable, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import anyio
import anyio.lowlevel

from scanner.net.model import HostResult, HostState, SweepSummary
from scanner.net.targets import Target

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from scanner.net.engine import _Hosts

#: Targets pulled between two checkpoints of the feeding loop.
_FEED_BATCH = 256
#: Longest wait between retries of one host (as the task-per-host loop).
_MAX_BACKOFF = 30.0


@runtime_checkable
class SubmittingProbe(Protocol):
    """A probe that takes a host and calls back with its result."""

    def submit(
        self,
        target: str,
        address: str,
        done: Callable[[HostResult], None],
        *,
        attempt: int = 1,
        started: float | None = None,
    ) -> None:
        """Start one attempt; ``done`` gets its result, with ``attempt`` as its attempts and
        the seconds since ``started`` (``time.monotonic()``) as its elapsed time."""
        ...

    def crowded(self) -> bool:
        """True when hosts submitted but not yet started pile up (the feeder then waits)."""
        ...

    async def room(self) -> None:
        """Wait until the probe is not :meth:`crowded`."""
        ...


class _Feed:
    """One sweep's hosts in flight and its finished results."""

    def __init__(self, hosts: _Hosts, probe: SubmittingProbe) -> None:
        self.hosts = hosts
        self.probe = probe
        self.cfg = hosts.cfg
        self.in_flight = 0
        self.finished: deque[HostResult] = deque()
        self.wake_consumer = anyio.Event()
        self.wake_feeder = anyio.Event()
        self.fed_all = False

    def submit(self, target: Target, address: str, attempt: int, start: float) -> None:
        def done(result: HostResult) -> None:
            if result.state is HostState.UNREACHABLE and attempt <= self.cfg.retries:
                self.tg.start_soon(self.retry, target, address, attempt, start)
                return
            self.finish(result)

        self.probe.submit(target.text, address, done, attempt=attempt, started=start)

    async def retry(self, target: Target, address: str, attempt: int, start: float) -> None:
        await anyio.sleep(min(_MAX_BACKOFF, self.cfg.backoff * 2 ** (attempt - 1)))
        self.submit(target, address, attempt + 1, start)

    def finish(self, result: HostResult) -> None:
        self.finished.append(result)
        if not self.wake_consumer.is_set():
            self.wake_consumer.set()

    async def resolve(self, target: Target, start: float) -> None:
        from scanner.net.engine import unresolved_result

        resolved = await self.hosts.resolver.resolve(target.host)
        if resolved.address is None:
            self.finish(unresolved_result(target, resolved.cause, _since(start)))
            return
        self.submit(target, resolved.address, 1, start)

    async def feed(self, targets: AsyncIterable[Target] | Iterable[Target]) -> None:
        from scanner.net.engine import _iterate, _version, wrong_family_result

        family = self.cfg.family
        pulled = 0
        async with aclosing(_iterate(targets)) as pull:
            async for target in pull:
                while self.in_flight >= self.hosts.slots:
                    self.wake_feeder = anyio.Event()
                    await self.wake_feeder.wait()
                if self.probe.crowded():
                    await self.probe.room()
                self.in_flight += 1
                start = time.monotonic()
                if target.kind == "name":
                    self.tg.start_soon(self.resolve, target, start)
                elif family and _version(target.host) != family:
                    self.finish(wrong_family_result(target, family))
                else:
                    self.submit(target, target.host, 1, start)
                pulled += 1
                if pulled % _FEED_BATCH == 0:
                    await anyio.lowlevel.checkpoint()
        self.fed_all = True
        self.wake_consumer.set()

    async def consume(
        self,
        on_results: Callable[[Sequence[HostResult]], Awaitable[None]],
        summary: SweepSummary,
    ) -> None:
        while True:
            # the writer's emit is shielded (a batch is written whole): without this, a
            # cancelled sweep would go on draining results that keep coming
            await anyio.lowlevel.checkpoint_if_cancelled()
            if self.finished:
                batch = list(self.finished)
                self.finished.clear()
                for result in batch:
                    summary.add(result)
                await on_results(batch)
                self.in_flight -= len(batch)
                self.wake_feeder.set()
                continue
            if self.fed_all and self.in_flight == 0:
                return
            self.wake_consumer = anyio.Event()
            await self.wake_consumer.wait()

    async def run(
        self,
        targets: AsyncIterable[Target] | Iterable[Target],
        on_results: Callable[[Sequence[HostResult]], Awaitable[None]],
        summary: SweepSummary,
    ) -> None:
        async with anyio.create_task_group() as tg:
            self.tg = tg
            tg.start_soon(self.feed, targets)
            await self.consume(on_results, summary)


def _since(start: float) -> float:
    return round(time.monotonic() - start, 6)


async def run_fed(
    targets: AsyncIterable[Target] | Iterable[Target],
    on_results: Callable[[Sequence[HostResult]], Awaitable[None]],
    hosts: _Hosts,
    probe: SubmittingProbe,
    summary: SweepSummary,
) -> None:
    """Sweep ``targets`` through a submitting probe (see the module docstring); results
    go to ``on_results`` in the batches that finished together."""
    await _Feed(hosts, probe).run(targets, on_results, summary)


__all__ = ["SubmittingProbe", "run_fed"]
