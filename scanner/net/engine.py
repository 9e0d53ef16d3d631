"""The sweep engine: many hosts, one probe each, results streamed as they finish.

Shape (fping's, in anyio): the caller's targets are pulled lazily, one task per target is
started only when an in-flight slot is free (memory stays bounded for a /16), names are
resolved under their own limit, probes run under the concurrency limit (``-j``) and the
global token bucket (``--rate``), and every result goes through one channel to a single
consumer that calls ``on_result``, so output is never interleaved. A host that did not
answer is retried after a backoff *without* holding a probe slot.

A probe that takes hosts without a task each (:class:`~scanner.net.feed.SubmittingProbe`:
the ``icmp`` prober, and the ``ping`` probe over the spawner threads,
:mod:`scanner.net.probes.ping_fed`) is fed by :mod:`scanner.net.feed` instead, with the
same semantics and hooks; its results come in batches (``on_results``). Loop mode always
runs a task per host.

Every request a probe reports (:mod:`scanner.net.replies`) goes through the same channel as
a ``Reply`` record, numbered per host (and port) with the running figures, to ``on_reply``;
each host's :class:`~scanner.net.replies.HostTally` sits in ``live`` until its result is
consumed, so a caller can still report the hosts a cancelled sweep was probing.

Every failure is a result: a name that does not resolve is UNRESOLVED with the resolver's
cause, a ``ping`` that cannot be started, prints garbage or hangs past its deadline (it is
killed) is ERROR with the cause. Cancelling the sweep kills and reaps every child
(:mod:`scanner.net.spawn`).
"""

from __future__ import annotations

import math
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
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
from scanner.net.replies import (
    HostTally,
    LiveHost,
    Reply,
    Request,
    report,
    reporting_to,
    stand_in,
)
from scanner.net.targets import Target

if TYPE_CHECKING:
    from anyio.streams.memory import MemoryObjectReceiveStream

    from scanner.net.ratelimit import TokenBucket
    from scanner.net.resolve import LookupFunc, Resolver
    from scanner.net.spawn import Spawner

OnResult = Callable[[HostResult], Awaitable[None]]
OnReply = Callable[[Reply], Awaitable[None]]
#: Takes the results that finished together (a probe without a task per host hands them
#: over in batches: one write for many hosts).
OnResults = Callable[[Sequence[HostResult]], Awaitable[None]]

#: Results waiting for the consumer; beyond this, probes wait (bounded memory).
_RESULT_BUFFER = 256
#: Longest wait between retries of one host.
_MAX_BACKOFF = 30.0
#: Hosts in flight in loop mode (each holds a task and its tally, no descriptor).
_LOOP_HOSTS = 1 << 24


class _Hosts:
    """Takes one target to its final result: resolution, the family filter, attempts under
    the probe slots and the rate limit, retries with backoff. Shared state of one sweep."""

    def __init__(self, cfg: SweepConfig, probe: Probe, *, lookup: LookupFunc | None) -> None:
        self.cfg = cfg
        self.probe = probe
        # a probe that holds no descriptor per host (icmp) is not capped by the file limit,
        # and one that paces its own packets (icmp) needs no token bucket here
        capacity = open_file_capacity() if getattr(probe, "uses_descriptors", True) else None
        slots = cfg.concurrency if capacity is None else min(cfg.concurrency, capacity)
        self.slots = slots
        self.probe_slots = anyio.CapacityLimiter(slots)
        self.bucket: TokenBucket | None = None
        if cfg.rate is not None and not getattr(probe, "paces", False):
            from scanner.net.ratelimit import TokenBucket

            self.bucket = TokenBucket(cfg.rate)
        self._lookup = lookup
        self._resolver: Resolver | None = None

    @property
    def resolver(self) -> Resolver:
        """The sweep's resolver, made for its first name (a sweep of addresses never loads
        the resolver's module)."""
        if self._resolver is None:
            from scanner.net.resolve import Resolver

            cfg = self.cfg
            more = {} if self._lookup is None else {"lookup": self._lookup}
            self._resolver = Resolver(
                concurrency=cfg.resolve_concurrency,
                timeout=cfg.resolve_timeout,
                family=cfg.family,
                **more,
            )
        return self._resolver

    async def host(self, target: Target, tally: HostTally) -> HostResult:
        """The final result for one target (its requests are counted in ``tally``)."""
        start = time.monotonic()
        address = target.host
        if target.kind == "name":
            resolved = await self.resolver.resolve(target.host)
            if resolved.address is None:
                return unresolved_result(target, resolved.cause, time.monotonic() - start)
            address = resolved.address
        elif self.cfg.family and _version(address) != self.cfg.family:
            return wrong_family_result(target, self.cfg.family)
        tally.address = address
        if self.cfg.loop:
            result, rounds = await self.loop(target.text, address, tally)
            return _with_timing(result, rounds, time.monotonic() - start)
        attempt = 0
        while True:
            attempt += 1
            result = await self.attempt(target.text, address, tally)
            if result.state is not HostState.UNREACHABLE or attempt > self.cfg.retries:
                break
            await anyio.sleep(min(_MAX_BACKOFF, self.cfg.backoff * 2 ** (attempt - 1)))
        return _with_timing(result, attempt, time.monotonic() - start)

    async def loop(self, text: str, address: str, tally: HostTally) -> tuple[HostResult, int]:
        """Rounds ``interval`` apart until the deadline (or cancellation); the host as all its
        rounds show it, and the round count. A host that cannot be probed at all (an error
        that sent nothing) is not tried again."""
        cfg = self.cfg
        first = anyio.current_time()
        last: HostResult | None = None
        rounds = 0
        with anyio.CancelScope(deadline=first + (cfg.deadline or math.inf)):
            while True:
                last = await self.attempt(text, address, tally)
                rounds += 1
                if not tally.sent and not last.sent:
                    break
                await anyio.sleep_until(first + rounds * cfg.interval)
        if last is not None and not tally.sent:
            return last, rounds
        if not tally.sent:  # the deadline came before the first round ended
            cause = "no answer before the deadline"
            return HostResult(text, address, HostState.UNREACHABLE, cause, attempts=0), 0
        return tally.result(), rounds

    async def attempt(self, text: str, address: str, tally: HostTally) -> HostResult:
        """One probe call under a slot and the rate limit. A probe that reported none of
        its requests gets its single request reported for it (reply lines for any probe)."""
        before = tally.sent
        tally.attempts += 1
        async with self.probe_slots:
            if self.bucket is not None:
                await self.bucket.acquire(self.cfg.tokens_per_probe)
            result = await self.probe.probe(text, address)
        if tally.sent == before and result.sent == 1 and not result.ports:
            await report(stand_in(result))
        return result


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
    lookup: LookupFunc | None = None,
    spawner: Spawner | None = None,
    on_reply: OnReply | None = None,
    live: dict[int, LiveHost] | None = None,
    probe: Probe | None = None,
    on_results: OnResults | None = None,
) -> SweepSummary:
    """Probe every target and call ``on_result`` once per host, in completion order.

    ``targets`` is pulled lazily (a generator over a /16 is fine); ``summary``, when given,
    is updated in place so a caller can still report counts after a cancellation.
    ``on_reply`` gets every request the probes report, as it is reported; ``live``, when
    given, holds the tally of every host not yet passed to ``on_result`` (what a cancelled
    sweep was still probing). ``on_results``, when given, takes the place of ``on_result``
    where results come in batches (a :class:`~scanner.net.feed.SubmittingProbe`).
    ``lookup`` and ``spawner`` replace the system resolver (``scanner.net.resolve.
    system_lookup``) and the child-process runner,
    ``probe`` the probe ``cfg.method`` would open (tests script them). Per-host failures
    are results; only bugs and cancellation raise.
    """
    summary = summary if summary is not None else SweepSummary()
    summary.started = time.monotonic()
    hooks = Hooks(on_result, on_reply, live if live is not None else {}, on_results)
    if probe is not None:
        await _sweep_with(targets, cfg, hooks, probe, lookup=lookup, summary=summary)
        return summary
    async with open_probe(cfg.round_config(), spawner=spawner) as opened:
        await _sweep_with(targets, cfg, hooks, opened, lookup=lookup, summary=summary)
    return summary


class Hooks:
    """Where one sweep's results and replies go, and the tallies of its hosts in flight."""

    def __init__(
        self,
        on_result: OnResult,
        on_reply: OnReply | None,
        live: dict[int, LiveHost],
        on_results: OnResults | None = None,
    ) -> None:
        self.on_result = on_result
        self.on_reply = on_reply
        self.live = live
        self.on_results = on_results if on_results is not None else self._one_by_one

    async def _one_by_one(self, results: Sequence[HostResult]) -> None:
        for result in results:
            await self.on_result(result)


async def _sweep_with(
    targets: AsyncIterable[Target] | Iterable[Target],
    cfg: SweepConfig,
    hooks: Hooks,
    probe: Probe,
    *,
    lookup: LookupFunc | None,
    summary: SweepSummary,
) -> None:
    hosts = _Hosts(cfg, probe, lookup=lookup)
    # a loop's rounds are the task-per-host loop's (its hosts never finish, and a round
    # of one request costs a task either way)
    if isinstance(probe, SubmittingProbe) and not cfg.loop:
        try:
            await run_fed(targets, hooks, hosts, probe, summary)
        finally:
            summary.finished = time.monotonic()
    else:
        await _run(targets, cfg, hooks, hosts, summary)


_Item = tuple[int, HostResult | Reply]


def _ready(first: _Item, receive: MemoryObjectReceiveStream[_Item]) -> Iterator[_Item]:
    """``first`` and the items already waiting behind it (never waits for more)."""
    yield first
    while True:
        try:
            yield receive.receive_nowait()
        except (anyio.WouldBlock, anyio.EndOfStream):
            return


async def _run(
    targets: AsyncIterable[Target] | Iterable[Target],
    cfg: SweepConfig,
    hooks: Hooks,
    hosts: _Hosts,
    summary: SweepSummary,
) -> None:
    # Tasks in flight: probing, resolving or waiting to retry. Twice the probe slots keeps
    # the slots busy while some hosts back off, and bounds memory whatever the target count.
    # A looping host never ends: every host must be in flight at once (fping -l keeps
    # every host's figures too), so only the probe slots bound the work.
    in_flight = anyio.Semaphore(hosts.slots * 2 if not cfg.loop else _LOOP_HOSTS)
    send, receive = anyio.create_memory_object_stream[_Item](_RESULT_BUFFER)
    keys = iter(range(1 << 62))

    async def one(target: Target, out: ObjectSendStream[_Item]) -> None:
        key = next(keys)
        tally = HostTally(target.text)
        hooks.live[key] = tally

        async def sink(request: Request) -> None:
            reply = tally.add(request)
            if hooks.on_reply is not None:
                await out.send((key, reply))

        try:
            async with out:
                with reporting_to(sink, live=hooks.on_reply is not None):
                    result = await hosts.host(target, tally)
                await out.send((key, result))
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
                async for first in receive:
                    # results that finished together go out together (one write for
                    # many hosts), in order with the replies between them; nothing waits
                    # for more than is already there
                    batch: list[HostResult] = []
                    for key, item in _ready(first, receive):
                        if isinstance(item, Reply):
                            assert hooks.on_reply is not None  # only sent when there is one
                            if batch:
                                await hooks.on_results(batch)
                                batch = []
                            await hooks.on_reply(item)
                            continue
                        hooks.live.pop(key, None)
                        summary.add(item)
                        batch.append(item)
                    if batch:
                        await hooks.on_results(batch)
    finally:
        summary.finished = time.monotonic()


__all__ = [
    "Hooks",
    "OnReply",
    "OnResult",
    "OnResults",
    "sweep",
    "unresolved_result",
    "wrong_family_result",
]
