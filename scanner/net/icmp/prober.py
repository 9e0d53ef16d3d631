"""The ``icmp`` probe method: :class:`IcmpProber` hands hosts to one :class:`Family` per
address family (``scanner.net.icmp.family``: a socket, a sender task and a receiver task)
and :func:`open_icmp_prober` runs them for the length of a sweep."""

from __future__ import annotations

import errno
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio
import anyio.lowlevel

from scanner.net.config import SweepConfig
from scanner.net.icmp.access import SocketKind, open_icmp_socket
from scanner.net.icmp.attempt import Attempt, packed_address
from scanner.net.icmp.family import BACKLOG, Family
from scanner.net.icmp.pacer import Pacer
from scanner.net.model import HostResult, HostState
from scanner.net.replies import REPLY, Request, report

#: Bytes of an echo reply to our requests (ICMP header and the 16-byte payload).
_SIZE = 24


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

    def submit(
        self,
        target: str,
        address: str,
        done: Callable[[HostResult], None],
        *,
        attempt: int = 1,
        started: float | None = None,
    ) -> None:
        """Start one attempt without a task of its own: ``done`` is called (from the
        sender or the receiver task) with its result, which carries ``attempt`` and the
        seconds since ``started`` (a ``time.monotonic()``). The sweep engine feeds a whole
        sweep this way; :meth:`probe` is the one-host form."""
        try:
            version, key = packed_address(address)
        except OSError:
            done(HostResult(target, address, HostState.ERROR, "not an IP address", sent=0))
            return
        family = self.families.get(version)
        if family is None:
            cause = self.missing.get(version, f"no ICMPv{version} socket")
            done(HostResult(target, address, HostState.ERROR, cause, sent=0))
            return
        family.admit(
            Attempt(target, address, key, self.cfg.count, done, attempt=attempt, started=started)
        )

    def crowded(self) -> bool:
        """True when a family has many hosts admitted and not yet sent (see :meth:`room`)."""
        return any(len(f.incoming) >= BACKLOG for f in self.families.values())

    async def room(self) -> None:
        """Wait until every family's admission queue is short again."""
        for family in self.families.values():
            while len(family.incoming) >= BACKLOG:
                family.drained = anyio.Event()
                await family.drained.wait()

    async def probe(self, target: str, address: str) -> HostResult:
        """One attempt: ``cfg.count`` echo requests to ``address``, each reported as it is
        answered or lost (``scanner.net.replies.report``: reply lines, ``-l``)."""
        got: list[HostResult] = []
        outcomes: list[tuple[str, float | None, str | None]] = []
        wake = [anyio.Event()]

        def changed() -> None:
            wake[0].set()

        def done(result: HostResult) -> None:
            got.append(result)
            changed()

        version = 6 if ":" in address else 4
        if version not in self.families:
            self.submit(target, address, done)
            return got[0]
        _, key = packed_address(address)
        attempt = Attempt(target, address, key, self.cfg.count, done)
        attempt.outcomes, attempt.notify = outcomes, changed
        self.families[version].admit(attempt)
        reported = 0
        while True:
            await wake[0].wait()
            wake[0] = anyio.Event()
            while reported < len(outcomes):
                outcome, rtt, cause = outcomes[reported]
                reported += 1
                answered = outcome == REPLY
                await report(Request(outcome, answered, rtt, size=_SIZE if answered else None,
                                     cause=cause))  # fmt: skip
            if got:
                return got[0]


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
                yield IcmpProber(cfg, families, missing)
            finally:
                tg.cancel_scope.cancel()
    finally:
        for family in families.values():
            family.sock.close()


__all__ = ["IcmpProber", "Pacer", "open_icmp_prober"]
