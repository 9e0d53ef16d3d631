"""The ICMP echo prober: one socket, one sender task and one receiver task per address family.

A host attempt (:meth:`IcmpProber.probe`, called by the sweep engine like any probe) hands a
:class:`_Host` to its family and waits for it to finish. The **sender** owns every time in
the sweep: a heap of requests due (the first at once, the next ``interval`` after the
previous one actually left), the whole-sweep packet budget (``rate`` per second, shared by
both families) and a heap of expiries (``timeout`` after a host's last request, or its
``deadline``). The **receiver** waits for the socket to become readable
(``anyio.wait_readable``: no thread, on asyncio and trio alike), drains it, and matches each
reply or ICMP error to ``(address, sequence)`` of a request in flight, checking the
identifier (and, on raw sockets, the payload cookie and checksum): other processes' traffic
matches nothing, and a second reply to one request is a duplicate, never a second reply.

With a datagram socket the kernel rewrites the identifier to the socket's port, so that port
is the identifier matched; errors come from the socket's error queue (``IP_RECVERR``), which
returns our own request (identifier and sequence) and the original destination.
"""

from __future__ import annotations

import errno
import heapq
import math
import os
import socket
import struct
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Final

import anyio
import anyio.lowlevel

from scanner.net.config import SweepConfig
from scanner.net.icmp.access import SocketKind, open_icmp_socket
from scanner.net.icmp.packet import echo_request, error_cause, parse_icmp, quoted_request
from scanner.net.model import HostResult, HostState, PingStats

_IP_RECVERR: Final = 11
_IPV6_RECVERR: Final = 25
_SOL_IPV6: Final = 41
_MSG_ERRQUEUE: Final = 0x2000
_SOL_RAW: Final = 255
_ICMP_FILTER: Final = 1
_ICMP6_FILTER: Final = 1
_EXTENDED_ERR: Final = struct.Struct("=IBBBBII")  # struct sock_extended_err
_ORIGIN_LOCAL: Final = 1
_ORIGIN_ICMP: Final = 2
_ORIGIN_ICMP6: Final = 3
#: Packets read per wake-up before the receiver lets the sender run.
_DRAIN: Final = 512
#: Requests sent in a row before the sender lets the receiver drain the socket: on loopback
#: every reply is queued while ``sendto`` runs, and a full receive buffer drops replies.
_SEND_BATCH: Final = 64
#: Receive buffer asked for (the kernel caps it at net.core.rmem_max unless we may force
#: it): room for thousands of replies between two reads.
_RCVBUF: Final = 4 << 20
#: errnos of a send that say the host cannot be reached (a state, not a failure of ours).
_UNREACHABLE_ERRNOS: Final = {
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.EHOSTDOWN,
    errno.ENETDOWN,
}
#: errnos of a send worth waiting out: the socket's or the device's queue is full.
_BACKPRESSURE: Final = {errno.EAGAIN, errno.ENOBUFS}


def _packed(address: str) -> tuple[int, bytes]:
    """(4 or 6, packed address) of an address literal (an IPv6 zone is not part of it)."""
    if ":" in address:
        return 6, socket.inet_pton(socket.AF_INET6, address.partition("%")[0])
    return 4, socket.inet_pton(socket.AF_INET, address)


class _Host:
    """One attempt at one host: its requests, what came back, when it ends."""

    __slots__ = (
        "address",
        "count",
        "done",
        "duplicates",
        "errors",
        "expire_at",
        "finished",
        "first_sent",
        "icmp_cause",
        "key",
        "local_cause",
        "local_state",
        "rtts",
        "sent",
        "seqs",
        "started_ns",
        "target",
        "ttl",
        "why_expired",
    )

    def __init__(
        self, target: str, address: str, key: bytes, count: int, done: Callable[[HostResult], None]
    ) -> None:
        self.target = target
        self.address = address
        self.key = key
        self.count = count
        self.done = done
        self.finished = False
        self.sent = 0
        self.seqs: dict[int, int | None] = {}  # sequence -> send time (ns); None once answered
        self.rtts: list[float] = []
        self.duplicates = 0
        self.errors = 0
        self.icmp_cause: str | None = None
        self.local_cause: str | None = None
        self.local_state = HostState.UNREACHABLE
        self.ttl: int | None = None
        self.first_sent = 0.0
        self.started_ns = 0
        self.expire_at = math.inf
        self.why_expired = "timeout"

    def result(self) -> HostResult:
        """The attempt as the same record a ``ping`` child gives."""
        received = len(self.rtts)
        rtts = tuple(self.rtts)
        stats = PingStats(
            sent=self.sent,
            received=received,
            duplicates=self.duplicates,
            errors=self.errors,
            rtts_ms=rtts,
            rtt_min=min(rtts) if rtts else None,
            rtt_avg=round(sum(rtts) / received, 3) if rtts else None,
            rtt_max=max(rtts) if rtts else None,
            rtt_mdev=_mdev(rtts) if rtts else None,
            loss_pct=_loss(self.sent, received),
            ttl=self.ttl,
            summary_seen=True,
            error_text=self.local_cause or self.icmp_cause,
        )
        if received:
            state, cause = HostState.ALIVE, None
        elif self.local_cause is not None:
            state, cause = self.local_state, self.local_cause
        elif self.icmp_cause is not None:
            state, cause = HostState.UNREACHABLE, self.icmp_cause
        else:
            state, cause = HostState.UNREACHABLE, self.why_expired
        return HostResult.from_stats(self.target, self.address, stats, state, cause)


def _loss(sent: int, received: int) -> float:
    return round((sent - received) * 100.0 / sent, 4) if sent else 100.0


def _mdev(values: tuple[float, ...]) -> float:
    """iputils' mdev: sqrt(mean(x^2) - mean(x)^2)."""
    mean = sum(values) / len(values)
    square = sum(v * v for v in values) / len(values)
    return round(math.sqrt(max(0.0, square - mean * mean)), 3)


class Pacer:
    """The whole sweep's packet budget: ``rate`` per second, a burst of 10 ms worth."""

    def __init__(self, rate: float, clock: float) -> None:
        self.rate = rate
        self.burst = max(1.0, rate / 100.0)
        self.tokens = 1.0
        self.stamp = clock

    def available(self, now: float) -> int:
        """Packets that may leave now (the caller spends them with :meth:`spend`)."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return int(self.tokens)

    def spend(self, packets: int) -> None:
        """Take ``packets`` tokens."""
        self.tokens -= packets

    def wait(self) -> float:
        """Seconds until the next token."""
        return max(0.0, (1.0 - self.tokens) / self.rate)


class _Family:
    """One address family's socket, its sender and its receiver."""

    def __init__(
        self, version: int, sock: socket.socket, kind: SocketKind, cfg: SweepConfig, pacer: Pacer
    ) -> None:
        self.version = version
        self.sock = sock
        self.kind = kind
        self.cfg = cfg
        self.pacer = pacer
        self.cookie = os.urandom(8)
        if kind is SocketKind.DGRAM:
            sock.bind(("0.0.0.0", 0) if version == 4 else ("::", 0))
            self.identifier = sock.getsockname()[1]  # the kernel puts its "port" there
            level, option = (
                (socket.SOL_IP, _IP_RECVERR) if version == 4 else (_SOL_IPV6, _IPV6_RECVERR)
            )
            sock.setsockopt(level, option, 1)
        else:
            self.identifier = int.from_bytes(os.urandom(2), "big")
            _install_filter(sock, version)
        _grow_receive_buffer(sock)
        self.ip_header = version == 4 and kind is SocketKind.RAW
        self.sequence = int.from_bytes(os.urandom(2), "big")
        self.pending: dict[tuple[bytes, int], _Host] = {}
        self.incoming: deque[_Host] = deque()
        self.sends: list[tuple[float, int, _Host]] = []
        self.expiries: list[tuple[float, int, _Host]] = []
        self.tie = 0
        self.kick = anyio.Event()

    # --- the host side ------------------------------------------------------------------

    def admit(self, host: _Host) -> None:
        """Queue a host's first request and wake the sender."""
        self.incoming.append(host)
        self.kick.set()

    def finish(self, host: _Host) -> None:
        """The host's attempt is over: forget its requests, hand over its result."""
        if host.finished:
            return
        host.finished = True
        for seq in host.seqs:
            self.pending.pop((host.key, seq), None)
        host.done(host.result())

    # --- the sender ---------------------------------------------------------------------

    async def sender(self) -> None:
        """Send requests as they fall due within the packet budget; expire hosts."""
        while True:
            now = time.monotonic()
            while self.incoming:
                self._push(self.sends, now, self.incoming.popleft())
            budget = self.pacer.available(now)
            spent = 0
            budget = min(budget, _SEND_BATCH)
            while self.sends and self.sends[0][0] <= now and spent < budget:
                host = heapq.heappop(self.sends)[2]
                if not host.finished:
                    spent += 1
                    await self._send(host, now)
            self.pacer.spend(spent)
            now = time.monotonic()
            while self.expiries and self.expiries[0][0] <= now:
                at, _, host = heapq.heappop(self.expiries)
                if at >= host.expire_at:
                    self.finish(host)
            delay = math.inf
            if self.sends:
                due = self.sends[0][0] - now
                delay = max(due, self.pacer.wait() if spent >= budget else 0.0)
            if self.expiries:
                delay = min(delay, self.expiries[0][0] - now)
            if delay <= 0:
                await anyio.lowlevel.checkpoint()
                continue
            if self.kick.is_set():
                self.kick = anyio.Event()
                if self.incoming:
                    continue
            with anyio.move_on_after(delay):
                await self.kick.wait()

    def _push(self, heap: list[tuple[float, int, _Host]], at: float, host: _Host) -> None:
        self.tie += 1
        heapq.heappush(heap, (at, self.tie, host))

    async def _send(self, host: _Host, now: float) -> None:
        cfg = self.cfg
        self.sequence = (self.sequence + 1) & 0xFFFF
        seq = self.sequence
        sent_ns = time.perf_counter_ns()
        packet = echo_request(self.version, self.identifier, seq, self.cookie, sent_ns)
        failure = await self._sendto(packet, host.address)
        if failure is not None:
            host.local_cause = failure.strerror or str(failure)
            if failure.errno not in _UNREACHABLE_ERRNOS:
                host.local_state = HostState.ERROR
            self.finish(host)
            return
        if host.sent == 0:
            host.first_sent = now
            host.started_ns = sent_ns
        host.sent += 1
        host.seqs[seq] = sent_ns
        self.pending[(host.key, seq)] = host
        deadline_at = host.first_sent + cfg.effective_deadline
        if host.sent < host.count:
            nxt = now + cfg.interval
            if nxt < deadline_at:
                self._push(self.sends, nxt, host)
                return
        # the last request (or the deadline comes first): wait `timeout` for its reply
        if now + cfg.timeout <= deadline_at:
            host.expire_at, host.why_expired = now + cfg.timeout, "timeout"
        else:
            host.expire_at = deadline_at
            host.why_expired = f"no answer within the {cfg.effective_deadline:g} s deadline"
        self._push(self.expiries, host.expire_at, host)

    async def _sendto(self, packet: bytes, address: str) -> OSError | None:
        retried = False
        while True:
            try:
                self.sock.sendto(packet, (address, 0))
                return None
            except OSError as exc:
                if exc.errno == errno.EAGAIN:
                    await anyio.wait_writable(self.sock)
                    continue
                if exc.errno in _BACKPRESSURE:
                    await anyio.sleep(0.001)
                    continue
                # A datagram socket reports an earlier ICMP error (of another host) on the
                # next send: it is consumed by that attempt, so a second try tells
                if self.kind is SocketKind.DGRAM and not retried:
                    retried = True
                    continue
                return exc

    # --- the receiver -------------------------------------------------------------------

    async def receiver(self) -> None:
        """Read replies and errors as they come; match each to its request."""
        sock = self.sock
        dgram = self.kind is SocketKind.DGRAM
        while True:
            await anyio.wait_readable(sock)
            for _ in range(_DRAIN):
                try:
                    data, peer = sock.recvfrom(2048)
                except BlockingIOError:
                    break
                except OSError:
                    break  # a datagram socket's pending error: read from the error queue
                self._received(data, peer[0], time.perf_counter_ns())
            else:
                await anyio.lowlevel.checkpoint()
            if dgram:
                self._read_error_queue()

    def _received(self, data: bytes, peer: str, now_ns: int) -> None:
        if self.ip_header and len(data) >= 20:
            source = data[12:16]
        else:
            source = _packed(peer)[1]
        got = parse_icmp(data, source, version=self.version, ip_header=self.ip_header)
        if got is None or got.identifier != self.identifier:
            return
        if self.kind is SocketKind.RAW and got.cookie is not None and got.cookie != self.cookie:
            return  # another prober that drew the same identifier
        host = self.pending.get((got.target, got.sequence))
        if host is None:
            return  # late, or not ours
        if got.cause is not None:
            host.errors += 1
            if host.icmp_cause is None:
                host.icmp_cause = got.cause
            self._maybe_done(host)
            return
        sent_ns = host.seqs.get(got.sequence)
        if sent_ns is None:
            host.duplicates += 1
            return
        host.seqs[got.sequence] = None
        host.rtts.append(round((now_ns - sent_ns) / 1e6, 3))
        if host.ttl is None:
            host.ttl = got.ttl
        self._maybe_done(host)

    def _maybe_done(self, host: _Host) -> None:
        # finished when every request is out and each has its answer (reply or error)
        if host.sent == host.count and len(host.rtts) + host.errors >= host.count:
            self.finish(host)

    def _read_error_queue(self) -> None:
        for _ in range(_DRAIN):
            try:
                data, ancdata, _, peer = self.sock.recvmsg(512, 512, _MSG_ERRQUEUE)
            except OSError:
                return  # EAGAIN: the queue is empty
            quoted = quoted_request(data)
            if quoted is None or quoted[0] != self.identifier or not peer:
                continue
            host = self.pending.get((_packed(peer[0])[1], quoted[1]))
            if host is None:
                continue
            for _level, _type, cdata in ancdata:
                if len(cdata) < _EXTENDED_ERR.size:
                    continue
                err, origin, kind, code, _, _, _ = _EXTENDED_ERR.unpack_from(cdata)
                if origin in (_ORIGIN_ICMP, _ORIGIN_ICMP6):
                    cause = error_cause(self.version, kind, code)
                else:
                    cause = os.strerror(err)
                host.errors += 1
                if host.icmp_cause is None:
                    host.icmp_cause = cause
                self._maybe_done(host)
                break


def _grow_receive_buffer(sock: socket.socket) -> None:
    for option in (getattr(socket, "SO_RCVBUFFORCE", None), socket.SO_RCVBUF):
        if option is None:
            continue
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, _RCVBUF)
            return
        except OSError:
            continue


def _install_filter(sock: socket.socket, version: int) -> None:
    """Let through only echo replies and the errors that may quote a request, so a raw
    socket is not woken by every other ICMP packet of the host (our own requests on
    loopback among them). Best effort: without it the parser drops them anyway."""
    try:
        if version == 4:
            allowed = (1 << 0) | (1 << 3) | (1 << 11)
            sock.setsockopt(_SOL_RAW, _ICMP_FILTER, struct.pack("=I", ~allowed & 0xFFFFFFFF))
        else:
            words = [0xFFFFFFFF] * 8  # a set bit blocks the type
            for kind in (1, 3, 129):
                words[kind >> 5] &= ~(1 << (kind & 31))
            sock.setsockopt(socket.IPPROTO_ICMPV6, _ICMP6_FILTER, struct.pack("=8I", *words))
    except OSError:
        pass


class IcmpProber:
    """The ``icmp`` probe method: echo requests over this process's own ICMP sockets."""

    name = "icmp"
    #: The sender paces packets itself (``rate``): the engine's token bucket stays off.
    paces = True
    #: Hosts in flight cost no descriptor: the open-file limit does not cap the slots.
    uses_descriptors = False

    def __init__(self, cfg: SweepConfig, families: dict[int, _Family], missing: dict[int, str]):
        self.cfg = cfg
        self.families = families
        self.missing = missing

    def submit(self, target: str, address: str, done: Callable[[HostResult], None]) -> None:
        """Start one attempt without a task of its own: ``done`` is called (from the
        sender or the receiver task) with its result. The sweep engine feeds a whole sweep
        this way; :meth:`probe` is the one-host form."""
        try:
            version, key = _packed(address)
        except OSError:
            done(HostResult(target, address, HostState.ERROR, "not an IP address", sent=0))
            return
        family = self.families.get(version)
        if family is None:
            cause = self.missing.get(version, f"no ICMPv{version} socket")
            done(HostResult(target, address, HostState.ERROR, cause, sent=0))
            return
        family.admit(_Host(target, address, key, self.cfg.count, done))

    async def probe(self, target: str, address: str) -> HostResult:
        """One attempt: ``cfg.count`` echo requests to ``address``."""
        got: list[HostResult] = []
        finished = anyio.Event()

        def done(result: HostResult) -> None:
            got.append(result)
            finished.set()

        self.submit(target, address, done)
        await finished.wait()
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
    families: dict[int, _Family] = {}
    missing: dict[int, str] = {}
    wanted = (4, 6) if cfg.family == 0 else (cfg.family,)
    try:
        for version in wanted:
            try:
                sock = opener(version, kind)
            except OSError as exc:
                missing[version] = f"cannot open an ICMPv{version} socket: {exc.strerror or exc}"
                continue
            families[version] = _Family(version, sock, kind, cfg, pacer)
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
