"""The sweep loop for probes that take hosts without a task each (the ``icmp`` prober, the
``ping`` probe over the spawner threads: :mod:`scanner.net.probes.ping_fed`).

A TCP connect needs a task to wait on; an echo request does not: the prober's own sender
and receiver tasks carry every host, and call back when one is done (and a ``ping`` child
started by the spawner threads neither: the reaper's batches come back to one task).
Starting a task, a cancel scope and a channel send per host cost more CPU than the packet
itself (about 250 us a host against fping's 13 us), so for such a probe the engine feeds
hosts straight in: IP literals are submitted from the feeding loop, names are resolved in a
task each first (as in the task-per-host loop), finished results queue for the single
consumer, and a host that did not answer is resubmitted after its backoff. The semantics
are the engine's: at most ``slots`` hosts probed at once, and twice that in flight (queued
results and hosts waiting out a retry's backoff included: memory stays bounded, and a host
backing off does not keep another from being probed), the family filter, retries, attempts
and elapsed time per host.

The engine's hooks too. With ``hooks.on_reply`` the probe calls ``on_request`` with each
request as it is answered or lost: from a host's first one until the consumer takes its
result, the host has a :class:`~scanner.net.replies.HostTally` in ``hooks.live``, and the
consumer counts each request there as it writes its ``Reply`` record (before the results
that finished with them). Without it nothing per request is built (that costs a third more
CPU on a loopback /16): the probe's handles of the hosts in flight are kept instead, and
only a sweep that stops early turns them into tallies in ``hooks.live`` (what an
interrupted sweep sums up), with the results finished but not handed over.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Iterable, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import anyio
import anyio.lowlevel

from scanner.net.model import HostResult, HostState, SweepSummary
from scanner.net.replies import HostTally, Request, Settled
from scanner.net.targets import Target

if TYPE_CHECKING:
    from scanner.net.engine import Hooks, _Hosts

#: Targets pulled between two checkpoints of the feeding loop.
_FEED_BATCH = 256
#: Longest wait between retries of one host (as the task-per-host loop).
_MAX_BACKOFF = 30.0


class InFlight(Protocol):
    """One attempt a :class:`SubmittingProbe` took: the host it was given (``target``,
    ``address``, ``tag``, ``attempt``, ``started``, as :meth:`SubmittingProbe.submit` got
    them)."""

    target: str
    address: str
    tag: object
    attempt: int
    started: float | None

    def settled(self) -> list[Request]:
        """Its requests answered or lost so far."""
        ...


class _Flying:
    """A host retried and not finished (kept without ``on_request``): its attempts. A host
    on its first attempt is kept as that attempt's handle alone (one object less a host)."""

    __slots__ = ("address", "attempt", "attempts", "start", "target")

    def __init__(self, target: str, address: str, start: float) -> None:
        self.target = target
        self.address = address
        self.start = start
        self.attempt = 0
        self.attempts: list[InFlight] = []


@runtime_checkable
class SubmittingProbe(Protocol):
    """A probe that takes a host and calls back with its result."""

    def submit(  # noqa: PLR0917  (positional: called once a host)
        self,
        target: str,
        address: str,
        done: Callable[[Any, HostResult], None],
        tag: object = None,
        attempt: int = 1,
        started: float | None = None,
        on_request: Callable[[Request], None] | None = None,
    ) -> InFlight | None:
        """Start one attempt; ``done`` gets its handle (an :class:`InFlight` that carries
        ``tag``) and its result, with ``attempt`` as its attempts and the seconds since
        ``started`` (``time.monotonic()``) as its elapsed time; ``on_request``, when given,
        each request as it is answered or lost (in sending order, before ``done``). The
        attempt's handle; None when ``done`` was called already. One shared ``done`` and a
        tag, not a callback made per host: a /16 is 65,534 calls."""
        ...

    def crowded(self) -> bool:
        """True when hosts submitted but not yet started pile up (the feeder then waits;
        it asks before each batch of :data:`_FEED_BATCH` targets)."""
        ...

    async def room(self) -> None:
        """Wait until the probe is not :meth:`crowded`."""
        ...


@runtime_checkable
class StopsEarly(Protocol):
    """A :class:`SubmittingProbe` whose attempts hold something to end first when a sweep
    stops early (the ``ping`` children of :mod:`scanner.net.probes.ping_fed`)."""

    async def stop(self) -> None:
        """End every attempt in flight without handing its result back, and wait until
        each is over (shielded), so that its :meth:`InFlight.settled` requests are all
        that it will ever show."""
        ...


class _Feed:
    """One sweep's hosts in flight and its finished results."""

    def __init__(self, hosts: _Hosts, probe: SubmittingProbe, hooks: Hooks) -> None:
        self.hosts = hosts
        self.probe = probe
        self.hooks = hooks
        self.cfg = hosts.cfg
        self.retries = self.cfg.retries
        self.in_flight = 0
        #: Hosts in flight that wait out a retry's backoff (they hold no probe slot), and
        #: those of them whose backoff is over and that wait for a slot (they go first).
        self.backing_off = 0
        self.retries_due = 0
        self.keys = itertools.count()
        self.finished: deque[tuple[int, HostResult]] = deque()
        #: Requests reported and not written yet (only with ``hooks.on_reply``), with the
        #: tally of their host: the consumer counts each as it writes it, so a sweep
        #: cancelled in between sums its hosts up from the requests it showed.
        self.replies: deque[tuple[HostTally, Request]] = deque()
        #: Hosts in flight, without ``hooks.on_reply`` (see the module docstring).
        self.flying: dict[int, InFlight | _Flying] | None = None if hooks.on_reply else {}
        self.wake_consumer = anyio.Event()
        #: ``wake_consumer.is_set()``, without anyio's call (asked once a host).
        self.consumer_woken = False
        self.wake_feeder = anyio.Event()
        self.fed_all = False

    def submit(self, key: int, target: str, address: str, attempt: int, start: float) -> None:
        """Hand one attempt at a host to the probe (``target`` as the user wrote it)."""
        flying = self.flying
        if flying is None:  # reply records
            on_request = self._reporter(key, target, address, attempt, start)
            self.probe.submit(target, address, self.done, key, attempt, start, on_request)
            return
        handle = self.probe.submit(target, address, self.done, key, attempt, start)
        if handle is None:
            return
        if attempt == 1:
            flying[key] = handle
            return
        host = flying.get(key)
        if not isinstance(host, _Flying):  # its first attempt's handle (None: it ended)
            retried = _Flying(target, address, start)
            if host is not None:
                retried.attempts.append(host)
            host = flying[key] = retried
        host.attempt = attempt
        host.attempts.append(handle)

    def done(self, handle: InFlight, result: HostResult) -> None:
        """An attempt is over (the probe calls this): retried after its backoff, or the
        host's result queued for the consumer."""
        key: int = handle.tag  # type: ignore[assignment]  # the feed's tags are its keys
        if (
            self.retries
            and handle.attempt <= self.retries
            and result.state is HostState.UNREACHABLE
        ):
            start = handle.started if handle.started is not None else time.monotonic()
            again = (key, handle.target, handle.address, handle.attempt, start)
            self.backing_off += 1  # its probe slot is free from now: for the next host
            self.wake_feeder.set()
            self.tg.start_soon(self.retry, *again)
            return
        self.finish(key, result)

    def _reporter(
        self, key: int, target: str, address: str, attempt: int, start: float
    ) -> Callable[[Request], None]:
        live = self.hooks.live
        replies = self.replies

        def on_request(request: Request) -> None:
            tally = live.get(key)
            if not isinstance(tally, HostTally):  # made at the host's first request
                tally = HostTally(target, address)
                tally.started = start
                live[key] = tally
            tally.attempts = attempt
            replies.append((tally, request))
            if not self.consumer_woken:
                self.consumer_woken = True
                self.wake_consumer.set()

        return on_request

    async def retry(self, key: int, target: str, address: str, attempt: int, start: float) -> None:
        """Submit the host's next attempt after its backoff, once a probe slot is free."""
        try:
            await anyio.sleep(min(_MAX_BACKOFF, self.cfg.backoff * 2 ** (attempt - 1)))
            self.retries_due += 1
            try:
                while self.in_flight - self.backing_off >= self.hosts.slots:
                    await self._slot_freed()
            finally:
                self.retries_due -= 1
        finally:
            self.backing_off -= 1
        self.submit(key, target, address, attempt + 1, start)

    async def _slot_freed(self) -> None:
        """Wait until the consumer takes results (the feeder and retries due wait here)."""
        event = self.wake_feeder
        if event.is_set():  # its waiters were all woken: a new one for the next results
            event = self.wake_feeder = anyio.Event()
        await event.wait()

    def _full(self, slots: int) -> bool:
        """No room for another host: every probe slot taken (hosts backing off hold none),
        a retry due waiting for one, or twice ``slots`` hosts in flight."""
        in_flight = self.in_flight
        return (
            in_flight - self.backing_off >= slots or self.retries_due > 0 or in_flight >= 2 * slots
        )

    def finish(self, key: int, result: HostResult) -> None:
        if self.flying is not None:
            self.flying.pop(key, None)
        self.finished.append((key, result))
        if not self.consumer_woken:
            self.consumer_woken = True
            self.wake_consumer.set()

    async def resolve(self, key: int, target: Target, start: float) -> None:
        from scanner.net.engine import unresolved_result

        resolved = await self.hosts.resolver.resolve(target.host)
        if resolved.address is None:
            self.finish(key, unresolved_result(target, resolved.cause, _since(start)))
            return
        self.submit(key, target.text, resolved.address, 1, start)

    async def feed(self, targets: AsyncIterable[Target] | Iterable[Target]) -> None:
        from scanner.net.engine import _version, wrong_family_result

        family = self.cfg.family
        slots = self.hosts.slots
        probe = self.probe
        crowded = probe.crowded
        submit = self.submit
        # the common host (an address, no reply records) is handed over right here: one
        # call a host less, and its arguments positional
        flying = self.flying
        probe_submit = probe.submit
        done = self.done
        keys = self.keys
        monotonic = time.monotonic
        async with aclosing(_batches(targets)) as pull:
            async for batch in pull:
                # asked once a batch, not once a host: the probe's queue may pass its mark
                # by a batch, and the slots bound the hosts in flight anyway
                if crowded():
                    await probe.room()
                for target in batch:
                    # (the first test alone answers for nearly every host: below ``slots``
                    # in flight, `_full` cannot be true)
                    while self.in_flight >= slots and self._full(slots):
                        await self._slot_freed()
                    self.in_flight += 1
                    start = monotonic()
                    key = next(keys)
                    if target.kind == "name":
                        self.tg.start_soon(self.resolve, key, target, start)
                    elif family and _version(target.host) != family:
                        self.finish(key, wrong_family_result(target, family))
                    elif flying is not None:
                        handle = probe_submit(target.text, target.host, done, key, 1, start)
                        if handle is not None:
                            flying[key] = handle
                    else:
                        submit(key, target.text, target.host, 1, start)
                await anyio.lowlevel.checkpoint()
        self.fed_all = True
        self.consumer_woken = True
        self.wake_consumer.set()

    async def consume(self, summary: SweepSummary) -> None:
        hooks = self.hooks
        live = hooks.live
        while True:
            # the writer's emit is shielded (a batch is written whole): without this, a
            # cancelled sweep would go on draining results that keep coming
            await anyio.lowlevel.checkpoint_if_cancelled()
            if self.replies:  # before the results: a host's replies come before its line
                assert hooks.on_reply is not None  # only queued when there is one
                while self.replies:
                    tally, request = self.replies.popleft()
                    await hooks.on_reply(tally.add(request))
                continue
            if self.finished:
                if live:  # a tally per host only with reply records
                    for key, _ in self.finished:
                        live.pop(key, None)
                batch = [result for _, result in self.finished]
                self.finished.clear()
                summary.add_all(batch)
                await hooks.on_results(batch)
                self.in_flight -= len(batch)
                self.wake_feeder.set()
                continue
            if self.fed_all and self.in_flight == 0:
                return
            self.wake_consumer = anyio.Event()
            self.consumer_woken = False
            await self.wake_consumer.wait()

    async def run(
        self, targets: AsyncIterable[Target] | Iterable[Target], summary: SweepSummary
    ) -> None:
        try:
            async with anyio.create_task_group() as tg:
                self.tg = tg
                tg.start_soon(self.feed, targets)
                await self.consume(summary)
        finally:
            if isinstance(self.probe, StopsEarly):
                await self.probe.stop()
            self.hand_over()

    def hand_over(self) -> None:
        """Put what a sweep that stopped early still holds into ``hooks.live``: the results
        not handed over, and the hosts in flight as their settled requests show them."""
        live = self.hooks.live
        for key, result in self.finished:
            live.setdefault(key, Settled(result))  # a tally of its written replies stays
        self.finished.clear()
        for key, host in (self.flying or {}).items():
            tally = HostTally(host.target, host.address)
            if isinstance(host, _Flying):
                tally.started, handles = host.start, host.attempts
            else:  # on its first attempt
                tally.started, handles = host.started or tally.started, [host]
            tally.attempts = host.attempt
            for handle in handles:
                for request in handle.settled():
                    tally.count(request)
            live[key] = tally
        self.flying = None


async def _batches(
    targets: AsyncIterable[Target] | Iterable[Target],
) -> AsyncGenerator[Sequence[Target], None]:
    """The targets in lists of up to :data:`_FEED_BATCH` (one step of an async generator a
    batch, not a host); an async source's one at a time, as they come."""
    if isinstance(targets, AsyncIterable):
        async for target in targets:
            yield (target,)
        return
    pull = iter(targets)
    while batch := list(itertools.islice(pull, _FEED_BATCH)):
        yield batch


def _since(start: float) -> float:
    return round(time.monotonic() - start, 6)


async def run_fed(
    targets: AsyncIterable[Target] | Iterable[Target],
    hooks: Hooks,
    hosts: _Hosts,
    probe: SubmittingProbe,
    summary: SweepSummary,
) -> None:
    """Sweep ``targets`` through a submitting probe (see the module docstring); results
    go to ``hooks.on_results`` in the batches that finished together, replies (with
    ``hooks.on_reply``) one by one before them."""
    await _Feed(hosts, probe, hooks).run(targets, summary)


__all__ = ["InFlight", "StopsEarly", "SubmittingProbe", "run_fed"]
