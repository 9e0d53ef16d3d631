"""The sweep engine: many hosts, one probe each, results streamed as they finish.

Shape (fping's, in anyio): the caller's targets are pulled lazily, one task per target is
started only when an in-flight slot is free (memory stays bounded for a /16), names are
resolved under their own limit, probes run under the concurrency limit (``-j``) and the
global token bucket (``--rate``), and every result goes through one channel to a single
consumer that calls ``on_result``, so output is never interleaved. A host that did not
answer is retried after a backoff *without* holding a probe slot.

Every failure is a result: a name that does not resolve is UNRESOLVED with the resolver's
cause, a ``ping`` that cannot be started, prints garbage or hangs past its deadline (it is
killed) is ERROR with the cause. Cancelling the sweep kills and reaps every child
(:mod:`scanner.net.spawn`).
"""

from __future__ import annotations

import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Awaitable,
    Callable,
    Iterable,
    Sequence,
)
from contextlib import aclosing
from typing import TYPE_CHECKING

import anyio
from anyio.abc import ObjectSendStream

from scanner.net.config import SweepConfig, open_file_capacity
from scanner.net.feed import SubmittingProbe, run_fed
from scanner.net.model import HostResult, HostState, SweepSummary
from scanner.net.probes import Probe, open_probe
from scanner.net.ratelimit import TokenBucket
from scanner.net.resolve import LookupFunc, Resolver, system_lookup
from scanner.net.targets import Target

if TYPE_CHECKING:
    from scanner.net.spawn import Spawner

OnResult = Callable[[HostResult], Awaitable[None]]
#: Takes the results that finished together (a probe without a task per host hands them
#: over in batches: one write for many hosts).
OnResults = Callable[[Sequence[HostResult]], Awaitable[None]]

#: Results waiting for the consumer; beyond this, probes wait (bounded memory).
_RESULT_BUFFER = 256
#: Longest wait between retries of one host.
_MAX_BACKOFF = 30.0


class _Hosts:
    """Takes one target to its final result: resolution, the family filter, attempts under
    the probe slots and the rate limit, retries with backoff. Shared state of one sweep."""

    def __init__(self, cfg: SweepConfig, probe: Probe, *, lookup: LookupFunc) -> None:
        self.cfg = cfg
        self.probe = probe
        # a probe that holds no descriptor per host (icmp) is not capped by the file limit,
        # and one that paces its own packets (icmp) needs no token bucket here
        capacity = open_file_capacity() if getattr(probe, "uses_descriptors", True) else None
        slots = cfg.concurrency if capacity is None else min(cfg.concurrency, capacity)
        self.slots = slots
        self.probe_slots = anyio.CapacityLimiter(slots)
        paced = getattr(probe, "paces", False)
        self.bucket = TokenBucket(cfg.rate) if cfg.rate is not None and not paced else None
        self.resolver = Resolver(
            concurrency=cfg.resolve_concurrency,
            timeout=cfg.resolve_timeout,
            family=cfg.family,
            lookup=lookup,
        )

    async def host(self, target: Target) -> HostResult:
        """The final result for one target."""
        start = time.monotonic()
        address = target.host
        if target.kind == "name":
            resolved = await self.resolver.resolve(target.host)
            if resolved.address is None:
                return unresolved_result(target, resolved.cause, time.monotonic() - start)
            address = resolved.address
        elif self.cfg.family and _version(address) != self.cfg.family:
            return wrong_family_result(target, self.cfg.family)
        attempt = 0
        while True:
            attempt += 1
            async with self.probe_slots:
                if self.bucket is not None:
                    await self.bucket.acquire(self.cfg.tokens_per_probe)
                result = await self.probe.probe(target.text, address)
            if result.state is not HostState.UNREACHABLE or attempt > self.cfg.retries:
                break
            await anyio.sleep(min(_MAX_BACKOFF, self.cfg.backoff * 2 ** (attempt - 1)))
        return _with_timing(result, attempt, time.monotonic() - start)


def unresolved_result(target: Target, cause: str | None, elapsed: float) -> HostResult:
    """The result of a name that did not resolve (nothing was sent)."""
    return HostResult(
        target=target.text,
        address=None,
        state=HostState.UNRESOLVED,
        cause=cause,
        sent=0,
        attempts=0,
        elapsed_s=elapsed,
    )


def wrong_family_result(target: Target, family: int) -> HostResult:
    """The result of an address outside the family ``-4``/``-6`` asked for."""
    return HostResult(
        target=target.text,
        address=target.host,
        state=HostState.ERROR,
        cause=f"not an IPv{family} address (-{family} given)",
        attempts=0,
    )


def _version(address: str) -> int:
    return 6 if ":" in address else 4


def _with_timing(result: HostResult, attempts: int, elapsed: float) -> HostResult:
    from dataclasses import replace

    return replace(result, attempts=attempts, elapsed_s=round(elapsed, 6))


async def _iterate(
    targets: AsyncIterable[Target] | Iterable[Target],
) -> AsyncGenerator[Target, None]:
    if isinstance(targets, AsyncIterable):
        async for target in targets:
            yield target
    else:
        for target in targets:
            yield target


async def sweep(
    targets: AsyncIterable[Target] | Iterable[Target],
    cfg: SweepConfig,
    on_result: OnResult,
    *,
    summary: SweepSummary | None = None,
    lookup: LookupFunc = system_lookup,
    spawner: Spawner | None = None,
    probe: Probe | None = None,
    on_results: OnResults | None = None,
) -> SweepSummary:
    """Probe every target and call ``on_result`` once per host, in completion order.

    ``targets`` is pulled lazily (a generator over a /16 is fine); ``summary``, when given,
    is updated in place so a caller can still report counts after a cancellation.
    ``lookup`` and ``spawner`` replace the system resolver and the child-process runner,
    ``probe`` the probe ``cfg.method`` would open (tests script them). ``on_results``, when
    given, takes the place of ``on_result`` where results come in batches. Per-host failures
    are results; only bugs and cancellation raise.
    """
    summary = summary if summary is not None else SweepSummary()
    summary.started = time.monotonic()
    if probe is not None:
        await _sweep_with(
            targets, cfg, on_result, probe, lookup=lookup, summary=summary, on_results=on_results
        )
        return summary
    async with open_probe(cfg, spawner=spawner) as opened:
        await _sweep_with(
            targets, cfg, on_result, opened, lookup=lookup, summary=summary, on_results=on_results
        )
    return summary


async def _sweep_with(
    targets: AsyncIterable[Target] | Iterable[Target],
    cfg: SweepConfig,
    on_result: OnResult,
    probe: Probe,
    *,
    lookup: LookupFunc,
    summary: SweepSummary,
    on_results: OnResults | None,
) -> None:
    hosts = _Hosts(cfg, probe, lookup=lookup)
    if isinstance(probe, SubmittingProbe):
        if on_results is None:

            async def one_by_one(results: Sequence[HostResult]) -> None:
                for result in results:
                    await on_result(result)

            on_results = one_by_one
        try:
            await run_fed(targets, on_results, hosts, probe, summary)
        finally:
            summary.finished = time.monotonic()
    else:
        await _run(targets, cfg, on_result, hosts, summary)


async def _run(
    targets: AsyncIterable[Target] | Iterable[Target],
    cfg: SweepConfig,
    on_result: OnResult,
    hosts: _Hosts,
    summary: SweepSummary,
) -> None:
    # Tasks in flight: probing, resolving or waiting to retry. Twice the probe slots keeps
    # the slots busy while some hosts back off, and bounds memory whatever the target count.
    in_flight = anyio.Semaphore(hosts.slots * 2)
    send, receive = anyio.create_memory_object_stream[HostResult](_RESULT_BUFFER)

    async def one(target: Target, out: ObjectSendStream[HostResult]) -> None:
        try:
            async with out:
                await out.send(await hosts.host(target))
        finally:
            in_flight.release()

    async def produce() -> None:
        async with send, aclosing(_iterate(targets)) as pull, anyio.create_task_group() as probes:
            async for target in pull:
                await in_flight.acquire()
                probes.start_soon(one, target, send.clone())

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(produce)
            async with receive:
                async for result in receive:
                    summary.add(result)
                    await on_result(result)
    finally:
        summary.finished = time.monotonic()


__all__ = ["OnResult", "OnResults", "sweep"]
