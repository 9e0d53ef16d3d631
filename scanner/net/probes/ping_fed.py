"""The ``ping`` probe fed a whole sweep without a task per host (the ``posix`` spawner).

Why: with the children started and reaped by threads (:mod:`scanner.net.child_threads`), what
the event loop still spent on each host of a loopback sweep was asyncio machinery — a task,
its cancel scope, the concurrency limiter, an event to wait on, a channel send — about as
much as parsing the child's output. :class:`FedPingProbe` is a
:class:`~scanner.net.feed.SubmittingProbe`: the engine's feeding loop hands it hosts under
its count of hosts in flight, each host's child is queued to the spawner threads with a
callback, and the reaper's one wake-up of the loop per batch of finished children queues
them for one task of the probe (a loop callback may neither start tasks nor raise), which
parses each child's output and hands the result back. Retries with their
backoff, names to resolve, the family filter and the in-flight bound are the feeding
loop's (:mod:`scanner.net.feed`), with the engine's semantics.

What stays as it was: reply records (``on_request``) come as each line is read (the child
is started ``live``), then the unanswered requests as lost once it is over; a child that
cannot be started for want of descriptors is tried again after a doubling pause within
its deadline; any other start failure is an ERROR result. A sweep that stops early calls
:meth:`FedPingProbe.stop`: every child in flight is killed and reaped, and the hosts are
summed up from the output they left (:meth:`PingAttempt.settled`). ``--rate`` and loop
mode keep the task per host (:class:`~scanner.net.probes.ping.PingProbe`, whose
:meth:`probe` this class keeps for them and for the comparison's schedulers).
"""

from __future__ import annotations

import errno
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.abc

from scanner.net.child_threads import Child, Post, ThreadedSpawner, completed, poster
from scanner.net.config import SweepConfig
from scanner.net.model import HostResult
from scanner.net.ping_cmd import PingFlavor
from scanner.net.ping_replies import LiveReplies
from scanner.net.probes.ping import PingProbe, error_result, ping_command, read_completed
from scanner.net.replies import Request, stand_in
from scanner.net.targets import TargetError

#: First pause before a child refused for want of descriptors is started again (doubled
#: each time, as :class:`PingProbe` does, until it passes the deadline).
_FIRST_PAUSE = 0.005


class PingAttempt:
    """One attempt at one host: its ``ping`` child (the handle
    :meth:`FedPingProbe.submit` returns)."""

    __slots__ = (
        "address",
        "argv",
        "attempt",
        "child",
        "delivered",
        "done",
        "ended",
        "generation",
        "live",
        "on_request",
        "pause",
        "probe",
        "reported",
        "started",
        "tag",
        "target",
    )

    def __init__(  # noqa: PLR0917  (positional: made once a host)
        self,
        probe: FedPingProbe,
        target: str,
        address: str,
        argv: list[str],
        done: Callable[[Any, HostResult], None],
        tag: object,
        attempt: int,
        started: float,
        on_request: Callable[[Request], None] | None,
    ) -> None:
        self.probe = probe
        self.target = target
        self.address = address
        self.argv = argv
        self.done = done
        self.tag = tag
        self.attempt = attempt
        self.started: float | None = started
        self.on_request = on_request
        #: Parses reply lines as they are read (only when requests are reported).
        self.live = LiveReplies(probe.flavor) if on_request is not None else None
        self.delivered = 0  # chunks of the child's output fed to ``live``
        self.reported = 0
        self.child: Child | None = None
        #: Its end was taken (the reaper's words on a live child may queue up behind it).
        self.ended = False
        self.generation = probe.generation
        self.pause = _FIRST_PAUSE

    def settled(self) -> list[Request]:
        """Its requests as the output its child left shows them (what an interrupted
        sweep sums up; the child is reaped by then: :meth:`FedPingProbe.stop`)."""
        if self.child is None:
            return []
        return LiveReplies(self.probe.flavor).feed(b"".join(self.child.chunks))

    def on_child(self, child: Child) -> None:
        """The reaper's word on the child (new output, or the end), on the loop thread:
        queued for the probe's task, which the first word of a batch wakes."""
        probe = self.probe
        probe.arrived.append((self, child))
        if not probe.woken:
            probe.woken = True
            probe.wake.set()


class FedPingProbe(PingProbe):
    """The ``ping`` probe as a :class:`~scanner.net.feed.SubmittingProbe` over the threaded
    spawner (see the module docstring)."""

    def __init__(
        self,
        cfg: SweepConfig,
        *,
        spawner: ThreadedSpawner,
        ping_path: str,
        flavor: PingFlavor,
        tg: anyio.abc.TaskGroup,
    ) -> None:
        super().__init__(cfg, spawner=spawner, ping_path=ping_path, missing=None, flavor=flavor)
        self.threaded = spawner
        self.path = ping_path
        self.envp = spawner.environment(self.env)
        self.post: Post = poster()
        self.deadline = cfg.effective_deadline
        self.tg = tg
        #: Attempts whose child is queued or running.
        self.running: set[PingAttempt] = set()
        #: Bumped by :meth:`stop`: an attempt of an earlier generation is not handed back.
        self.generation = 0
        self.idle = anyio.Event()
        self.waiting = False  # stop() waits for ``idle``
        #: The reaper's words (:meth:`PingAttempt.on_child`) not yet taken by the task
        #: that hands results back (a loop callback may not start tasks or raise).
        self.arrived: deque[tuple[PingAttempt, Child]] = deque()
        self.wake = anyio.Event()
        self.woken = False
        self.collecting = anyio.CancelScope(shield=True)
        self.collected = False  # collect() has ended (a bug there: nothing is taken)

    def submit(  # noqa: PLR0917  (positional: called once a host)
        self,
        target: str,
        address: str,
        done: Callable[[Any, HostResult], None],
        tag: object = None,
        attempt: int = 1,
        started: float | None = None,
        on_request: Callable[[Request], None] | None = None,
    ) -> PingAttempt | None:
        """Queue one ``ping`` of ``address``: ``done`` gets its handle (which carries
        ``tag``) and its result (on the loop thread, with ``attempt`` and the seconds since
        ``started``), ``on_request`` each request as its line is read, then the lost ones.
        None when ``done`` was called already (an address this ping cannot take)."""
        start = time.monotonic() if started is None else started
        try:
            argv = ping_command(address, self.cfg, self.flavor, self.path)
        except (TargetError, ValueError) as exc:
            result = error_result(target, address, str(exc))
            host = PingAttempt(self, target, address, [], done, tag, attempt, start, None)
            done(host, _timed(result, attempt, start))
            return None
        host = PingAttempt(self, target, address, argv, done, tag, attempt, start, on_request)
        self._start(host)
        return host

    def _start(self, host: PingAttempt) -> None:
        self.running.add(host)
        host.child = self.threaded.start(
            host.argv,
            self.envp,
            self.deadline,
            host.on_child,
            self.post,
            live=host.on_request is not None,
        )

    def crowded(self) -> bool:
        """Never: the engine's bound on hosts in flight bounds the queued children."""
        return False

    async def room(self) -> None:
        """Nothing to wait for (see :meth:`crowded`)."""

    def child_event(self, host: PingAttempt, child: Child) -> None:
        """New output or the end of ``host``'s child."""
        if host.ended or child is not host.child:  # words queued behind its end
            return
        if host.generation != self.generation:  # stopped: summed up by settled()
            if child.done:
                self._ended(host)
            return
        live, on_request = host.live, host.on_request
        if live is not None and on_request is not None:
            chunks = child.chunks
            while host.delivered < len(chunks):
                chunk = chunks[host.delivered]
                host.delivered += 1
                for request in live.feed(chunk):
                    host.reported += 1
                    on_request(request)
        if not child.done:
            return
        self._ended(host)
        error = child.error
        if error is not None:
            if error.errno in (errno.EMFILE, errno.ENFILE) and host.pause < self.deadline:
                # out of descriptors (something else holds them): wait for running
                # children to free theirs instead of failing the host
                self.tg.start_soon(self._again, host)
                return
            cause = f"cannot run {host.argv[0]}: {error.strerror or error}"
            failed = error_result(host.target, host.address, cause)
            host.done(host, _timed(failed, host.attempt, host.started))
            return
        elapsed = round(time.monotonic() - (host.started or 0.0), 6)
        result = read_completed(
            host.target,
            host.address,
            completed(child),
            self.flavor,
            self.deadline,
            attempts=host.attempt,
            elapsed_s=elapsed,
        )
        if live is not None and on_request is not None:
            for request in live.finish(result.sent):
                host.reported += 1
                on_request(request)
            if not host.reported and result.sent == 1:
                on_request(stand_in(result))  # as the engine's task-per-host loop does
        host.done(host, result)

    def _ended(self, host: PingAttempt) -> None:
        host.ended = True
        self.running.discard(host)
        if self.waiting and not self.running:
            self.idle.set()

    async def _again(self, host: PingAttempt) -> None:
        await anyio.sleep(host.pause)
        host.pause *= 2
        if host.generation == self.generation:
            host.delivered = 0
            host.ended = False
            self._start(host)

    async def stop(self) -> None:
        """Kill every child in flight and wait, shielded, until each is reaped; their hosts
        are not handed back (a sweep stopping early sums them up from
        :meth:`PingAttempt.settled`). Nothing to do when no child is in flight."""
        self.generation += 1
        if not self.running:
            return
        with anyio.CancelScope(shield=True):
            for host in list(self.running):
                if host.child is not None:
                    self.threaded.stop(host.child)
            self.waiting = True
            try:
                while self.running and not self.collected:
                    self.idle = anyio.Event()
                    await self.idle.wait()
                # collect() ended with a bug: nobody takes the reaper's words, so watch
                # the children themselves (killed, they are reaped at once)
                while any(h.child is not None and not h.child.done for h in self.running):
                    await anyio.sleep(0.01)
            finally:
                self.waiting = False

    async def collect(self) -> None:
        """Hand the reaper's words on to each host, a batch at a time, until
        :meth:`close`. Shielded: a sweep cancelled from outside still needs its children's
        ends taken (:meth:`stop` waits for them)."""
        arrived = self.arrived
        try:
            with self.collecting:
                while True:
                    await self.wake.wait()
                    self.wake = anyio.Event()
                    self.woken = False
                    while arrived:
                        host, child = arrived.popleft()
                        self.child_event(host, child)
        finally:
            self.collected = True
            self.idle.set()  # a stop() waiting for children waits no more

    def close(self) -> None:
        """End :meth:`collect` and any pause before a start again (after :meth:`stop`)."""
        self.collecting.cancel()
        self.tg.cancel_scope.cancel()


def _timed(result: HostResult, attempt: int, started: float | None) -> HostResult:
    from dataclasses import replace

    elapsed = 0.0 if started is None else round(time.monotonic() - started, 6)
    return replace(result, attempts=attempt, elapsed_s=elapsed)


@asynccontextmanager
async def open_fed_ping_probe(
    cfg: SweepConfig, *, spawner: ThreadedSpawner, ping_path: str, flavor: PingFlavor
) -> AsyncIterator[FedPingProbe]:
    """The fed probe for the length of the block; every child it started is killed and
    reaped when the block ends."""
    async with anyio.create_task_group() as tg:
        probe = FedPingProbe(cfg, spawner=spawner, ping_path=ping_path, flavor=flavor, tg=tg)
        tg.start_soon(probe.collect)
        try:
            yield probe
        finally:
            await probe.stop()
            probe.close()


__all__ = ["FedPingProbe", "PingAttempt", "open_fed_ping_probe"]
