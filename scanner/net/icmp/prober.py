"""The ``icmp`` probe method: :class:`IcmpProber` hands hosts to one :class:`Family` per
address family (``scanner.net.icmp.family``: a socket, a sender task and a receiver task)
and :func:`open_icmp_prober` runs them for the length of a sweep."""

from __future__ import annotations

import errno
import gc
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Final

import anyio
import anyio.lowlevel

from scanner.net.config import SweepConfig
from scanner.net.icmp.access import SocketKind, open_icmp_socket
from scanner.net.icmp.attempt import Attempt, packed_address
from scanner.net.icmp.family import BACKLOG, Family
from scanner.net.icmp.pacer import Pacer
from scanner.net.model import HostResult, HostState
from scanner.net.replies import Request, reporting
from scanner.net.replies import report as report_request


class IcmpProber:
    """The ``icmp`` probe method: echo requests over this process's own ICMP sockets."""

    name = "icmp"
    #: The sender paces packets itself (``rate``): the engine's token bucket stays off.
    paces = True
    #: Hosts in flight cost no descriptor: the open-file limit does not cap the slots.
    uses_descriptors = False

    def __init__(self, cfg: SweepConfig, families: dict[int, Family], missing: dict[int, str]):
        self.cfg = cfg
        self.families = families
        self.missing = missing
        self.count = cfg.count
        #: Each family's admission queue (kept at hand for :meth:`crowded`).
        self._queues = [family.incoming for family in families.values()]

    def submit(  # noqa: PLR0917  (positional: called once a host)
        self,
        target: str,
        address: str,
        done: Callable[[Attempt, HostResult], None],
        tag: object = None,
        attempt: int = 1,
        started: float | None = None,
        on_request: Callable[[Request], None] | None = None,
    ) -> Attempt | None:
        """Start one attempt without a task of its own: ``done`` is called (from the
        sender or the receiver task) with the attempt (its ``tag`` is the one given here)
        and its result, which carries ``attempt`` and the seconds since ``started`` (a
        ``time.monotonic()``); ``on_request``, when given, with each request as it is
        answered or lost (before ``done``). The sweep engine feeds a whole sweep this way,
        one call a host (its arguments positional: keywords cost a dictionary a call);
        :meth:`probe` is the one-host form. The attempt (its :meth:`Attempt.settled`
        requests), or None when it ended at once."""
        try:
            version, key = packed_address(address)
        except OSError:
            result = HostResult(target, address, HostState.ERROR, "not an IP address", sent=0)
            done(Attempt(target, address, b"", 0, done, tag, attempt, started), result)
            return None
        family = self.families.get(version)
        if family is None:
            cause = self.missing.get(version, f"no ICMPv{version} socket")
            result = HostResult(target, address, HostState.ERROR, cause, sent=0)
            done(Attempt(target, address, key, 0, done, tag, attempt, started), result)
            return None
        host = Attempt(target, address, key, self.count, done, tag, attempt, started, on_request)
        family.admit(host)
        return host

    def crowded(self) -> bool:
        """True when a family has many hosts admitted and not yet sent (see :meth:`room`)."""
        return any(len(queue) >= BACKLOG for queue in self._queues)

    async def room(self) -> None:
        """Wait until every family's admission queue is short again."""
        for family in self.families.values():
            while len(family.incoming) >= BACKLOG:
                family.drained = anyio.Event()
                await family.drained.wait()

    async def probe(self, target: str, address: str) -> HostResult:
        """One attempt: ``cfg.count`` echo requests to ``address``, each reported
        (:func:`scanner.net.replies.report`) from this task as it is answered or lost."""
        got: list[HostResult] = []
        requests: deque[Request] = deque()
        wake = anyio.Event()

        def on_request(request: Request) -> None:
            requests.append(request)
            wake.set()

        def done(_: Attempt, result: HostResult) -> None:
            got.append(result)
            wake.set()

        self.submit(target, address, done, on_request=on_request if reporting() else None)
        while True:
            await wake.wait()
            wake = anyio.Event()  # the callbacks see the new one (no await in between)
            while requests:
                await report_request(requests.popleft())
            if got:
                return got[0]


#: Allocations between two young-generation collections while a prober runs (Python's
#: default is 700): a host allocates a dozen short-lived objects that reference counting
#: frees (none is in a cycle), so at 100,000 hosts a second the collector mostly walked
#: the hosts in flight and the whole program again and again (~5-10 % of a loopback /16).
_GC_YOUNG: Final = 20_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect the young generation every :data:`_GC_YOUNG` allocations for the block (the
    older generations' thresholds, and what was set before, are kept)."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, _GC_YOUNG), middle, old)
    try:
        yield
    finally:
        if gc.get_threshold()[0] == max(young, _GC_YOUNG):  # nobody changed it meanwhile
            gc.set_threshold(young, middle, old)


@asynccontextmanager
async def open_icmp_prober(
    cfg: SweepConfig,
    *,
    kind: SocketKind,
    rate: float,
    opener: Callable[[int, SocketKind], socket.socket] = open_icmp_socket,
) -> AsyncIterator[IcmpProber]:
    """Open the sockets (ICMPv4 and, where the host allows it, ICMPv6) of ``kind`` and run
    their senders and receivers for the length of the block. A family that cannot be opened
    makes its hosts errors with the cause; when no family can be opened, ``OSError`` is
    raised. ``opener`` replaces :func:`open_icmp_socket` (tests give a fake network)."""
    pacer = Pacer(rate, time.monotonic())
    families: dict[int, Family] = {}
    missing: dict[int, str] = {}
    wanted = (4, 6) if cfg.family == 0 else (cfg.family,)
    try:
        for version in wanted:
            try:
                sock = opener(version, kind)
            except OSError as exc:
                missing[version] = f"cannot open an ICMPv{version} socket: {exc.strerror or exc}"
                continue
            families[version] = Family(version, sock, kind, cfg, pacer)
        if not families:
            raise OSError(errno.EACCES, "; ".join(missing.values()))
        async with anyio.create_task_group() as tg:
            for family in families.values():
                tg.start_soon(family.sender)
                tg.start_soon(family.receiver)
            try:
                with _fewer_collections():
                    yield IcmpProber(cfg, families, missing)
            finally:
                tg.cancel_scope.cancel()
    finally:
        for family in families.values():
            family.sock.close()


__all__ = ["IcmpProber", "Pacer", "open_icmp_prober"]
