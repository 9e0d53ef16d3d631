"""The ICMP echo prober: one socket, one sender task and one receiver task per address family.

A host attempt (:meth:`IcmpProber.probe`, called by the sweep engine like any probe) hands a
:class:`Attempt` to its family and waits for it to finish. The **sender** owns every time in
the sweep: a heap of requests due (the first at once, the next ``interval`` after the
previous one actually left), the whole-sweep packet budget (``rate`` per second, shared by
both families) and a heap of expiries (``timeout`` after a host's last request, or its
``deadline``). The **receiver** waits for the socket to become readable
(``anyio.wait_readable``: no thread, on asyncio and trio alike), drains it, and matches each
reply or ICMP error to ``(address, sequence)`` of a request in flight, checking the
identifier (and, on raw sockets, the payload cookie and checksum): other processes' traffic
matches nothing, and a second reply to one request is a duplicate, never a second reply.

Each request's outcome goes to the attempt's ``on_request`` callback when it has one (reply
lines, loop mode, the summary of an interrupted host): in sending order, as ``ping``'s lines
come, so a request that a later one's answer overtook is reported lost then (as a ``ping``
that skips a sequence number), and those still unanswered when the host ends at its end.

With a datagram socket the kernel rewrites the identifier to the socket's port, so that port
is the identifier matched; errors come from the socket's error queue (``IP_RECVERR``), which
returns our own request (identifier and sequence) and the original destination.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import math
import os
import socket
import struct
import sys
import time
from collections import deque
from typing import Final

import anyio
import anyio.lowlevel

from scanner.net.config import SweepConfig
from scanner.net.icmp.access import SocketKind
from scanner.net.icmp.attempt import Attempt, packed_address
from scanner.net.icmp.pacer import Pacer
from scanner.net.icmp.packet import (
    ECHO_REPLY_V4,
    ECHO_REPLY_V6,
    checksum,
    echo_builder,
    error_cause,
    quoted_request,
)
from scanner.net.model import HostState
from scanner.net.replies import REPLY, UNREACHABLE, Request

_IP_RECVERR: Final = 11
_IPV6_RECVERR: Final = 25
_SOL_IPV6: Final = 41
_RECVERR: Final = {(socket.SOL_IP, _IP_RECVERR), (_SOL_IPV6, _IPV6_RECVERR)}
_MSG_ERRQUEUE: Final = 0x2000
_SOL_RAW: Final = 255
_ICMP_FILTER: Final = 1
_ICMP6_FILTER: Final = 1
_EXTENDED_ERR: Final = struct.Struct("=IBBBBII")  # struct sock_extended_err
#: An echo reply: type, (code, checksum,) identifier, sequence, our cookie.
_REPLY: Final = struct.Struct("!B3xHH8s")
#: A reply to our 24-byte request behind an IPv4 header without options: TTL, source
#: address, then the reply's type, code, checksum, identifier, sequence, cookie, time.
_V4_REPLY: Final = struct.Struct("!8xB3x4s4xBBHHH8sQ")
#: Its length: 20 bytes of IPv4 header and the echo message as we sent it.
_V4_REPLY_SIZE: Final = _V4_REPLY.size
_time_ns = time.time_ns
_TIMESPEC: Final = struct.Struct("@qq")  # struct timespec (64-bit)
#: SO_TIMESTAMPNS (Linux): each packet comes with the kernel's receive time.
_SO_TIMESTAMPNS: Final = getattr(socket, "SO_TIMESTAMPNS", 35 if sys.platform == "linux" else 0)
_ANC_SPACE: Final = socket.CMSG_SPACE(_TIMESPEC.size)
_ORIGIN_LOCAL: Final = 1
_ORIGIN_ICMP: Final = 2
_ORIGIN_ICMP6: Final = 3
#: Packets read per wake-up before the receiver lets the sender run.
_DRAIN: Final = 512
#: Requests sent in a row before the sender lets the receiver drain the socket: on loopback
#: every reply is queued while ``sendto`` runs, and a full receive buffer drops replies.
_SEND_BATCH: Final = 64
#: Hosts admitted but not yet sent, per family, beyond which the engine's feeder waits
#: (:meth:`IcmpProber.room`): the packet budget, not the host slots, sets the pace, and
#: memory holds the hosts awaiting a reply, not a queue of hosts not yet started. (The
#: feeder asks once a batch of targets: a queue may pass the mark by one batch.)
BACKLOG: Final = 1024
#: Expiry-heap size from which finished hosts are swept out of it.
_COMPACT_AT: Final = 4096
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


class Family:
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
        if _SO_TIMESTAMPNS:
            # without it, RTTs include the wait for the receiver task to be scheduled
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        self.ip_header = version == 4 and kind is SocketKind.RAW
        self.reply_type = ECHO_REPLY_V4 if version == 4 else ECHO_REPLY_V6
        self.build = echo_builder(version, self.identifier, self.cookie)
        #: The words of an echo reply that are ours (see _received), modulo 0xFFFF.
        self.reply_sum = (self.identifier + int.from_bytes(self.cookie, "big")) % 0xFFFF
        self.sequence = int.from_bytes(os.urandom(2), "big")
        self.pending: dict[tuple[bytes, int], Attempt] = {}
        self.incoming: deque[Attempt] = deque()
        self.sends: list[tuple[float, int, Attempt]] = []
        #: Hosts waiting ``timeout`` after their last request, in sending order: that is
        #: the order of their expiry too (one timeout, a clock that only goes forward), so
        #: a queue does what a heap would, and those that finished leave it from the front.
        self.expiring: deque[Attempt] = deque()
        #: Hosts whose ``deadline`` comes before that timeout (not in sending order).
        self.expiries: list[tuple[float, int, Attempt]] = []
        self.tie = 0
        self.live = 0  # hosts admitted and not finished
        self.kick = anyio.Event()
        self.kicked = False  # kick.is_set(), without anyio's call (asked once a host)
        self.drained = anyio.Event()  # set when the admission queue is short again
        self.deadline = cfg.effective_deadline
        self.interval = cfg.interval
        self.timeout = cfg.timeout

    # --- the host side ------------------------------------------------------------------

    def admit(self, host: Attempt) -> None:
        """Queue a host's first request and wake the sender."""
        self.incoming.append(host)
        self.live += 1
        if not self.kicked:
            self.kicked = True
            self.kick.set()

    def finish(self, host: Attempt) -> None:
        """The host's attempt is over: forget its requests, hand over its result."""
        if host.finished:
            return
        host.finished = True
        self.live -= 1
        pending = self.pending
        key = host.key
        for seq in host.seqs:
            pending.pop((key, seq), None)
        if host.on_request is not None:
            host.settle_rest()
        host.done(host, host.result())

    def _compact(self) -> None:
        """A host that answered stays in the expiry queue until the hosts before it leave
        (at 100,000 requests/s, one silent host holds a second's worth, 100,000 finished
        hosts, behind it), and in the heap until its deadline. Rebuilt without them once
        they are most of it, so memory follows the hosts in flight, not the rate. (Only
        the sender adds to either: it asks once a round, not once a host.)"""
        live4 = 4 * self.live
        if len(self.expiring) > _COMPACT_AT and len(self.expiring) > live4:
            self.expiring = deque([h for h in self.expiring if not h.finished])
        if len(self.expiries) > _COMPACT_AT and len(self.expiries) > live4:
            self.expiries = [e for e in self.expiries if not e[2].finished]
            heapq.heapify(self.expiries)

    # --- the sender ---------------------------------------------------------------------

    async def sender(self) -> None:
        """Send requests as they fall due within the packet budget; expire hosts."""
        while True:
            now = time.monotonic()
            budget = min(self.pacer.available(now), _SEND_BATCH)
            spent = 0
            full = False
            # follow-up requests first (they are older), then hosts just admitted
            while spent < budget and self.sends and self.sends[0][0] <= now:
                host = self.sends[0][2]
                if not host.finished:
                    if not self._send(host, now):
                        full = True
                        break
                    spent += 1
                heapq.heappop(self.sends)
            incoming = self.incoming
            send = self._send
            while not full and spent < budget and incoming:
                if not send(incoming[0], now):
                    full = True
                    break
                spent += 1
                incoming.popleft()
            if len(incoming) < BACKLOG and not self.drained.is_set():
                self.drained.set()
            self.pacer.spend(spent)
            if full:  # the socket's buffer (or the device queue) is full: let it drain
                with anyio.move_on_after(0.001):
                    await anyio.wait_writable(self.sock)
                continue
            self._compact()
            now = time.monotonic()
            expiring = self.expiring
            while expiring and expiring[0].finished:
                expiring.popleft()  # answered: nothing to expire
            if (expiring and expiring[0].expire_at <= now) or (
                self.expiries and self.expiries[0][0] <= now
            ):
                self._drain()  # replies already here count, however late this task runs
                expiring = self.expiring  # (compacted meanwhile, perhaps)
            while expiring and expiring[0].expire_at <= now:
                self.finish(expiring.popleft())  # nothing when it finished meanwhile
            while self.expiries and self.expiries[0][0] <= now:
                at, _, host = heapq.heappop(self.expiries)
                if at >= host.expire_at:
                    self.finish(host)
            while expiring and expiring[0].finished:
                expiring.popleft()
            delay = math.inf
            if self.incoming:
                delay = self.pacer.wait() if spent >= budget else 0.0
            if self.sends:
                due = self.sends[0][0] - now
                delay = min(delay, max(due, self.pacer.wait() if spent >= budget else 0.0))
            if expiring:
                delay = min(delay, expiring[0].expire_at - now)
            if self.expiries:
                delay = min(delay, self.expiries[0][0] - now)
            if delay <= 0:
                await anyio.lowlevel.checkpoint()
                continue
            if self.kicked:
                # hosts admitted before this round are in `incoming` and in `delay` already
                self.kick = anyio.Event()
                self.kicked = False
            with anyio.move_on_after(delay):
                await self.kick.wait()

    def _push(self, heap: list[tuple[float, int, Attempt]], at: float, host: Attempt) -> None:
        self.tie += 1
        heapq.heappush(heap, (at, self.tie, host))

    def _send(self, host: Attempt, now: float) -> bool:
        """Send the host's next request; False when the socket cannot take it now. Then
        book it: its reply is awaited, the next request or the end timed."""
        seq = (self.sequence + 1) & 0xFFFF
        sent_ns = _time_ns()  # the clock of the kernel's receive timestamps
        packet = self.build(seq, sent_ns)
        try:
            self.sock.sendto(packet, (host.address, 0))
        except OSError as exc:
            outcome = self._send_failed(host, packet, exc)
            if outcome is not None:
                return outcome
        self.sequence = seq
        # (booked here, not in a method of its own: once a request, 65,534 on a /16)
        sent = host.sent
        if sent == 0:
            host.first_sent = now
            deadline_at = now + self.deadline
        else:
            deadline_at = host.first_sent + self.deadline
        if host.on_request is not None:
            host.order[seq] = sent
        host.sent = sent = sent + 1
        host.seqs[seq] = sent_ns
        self.pending[(host.key, seq)] = host
        if sent < host.count:
            nxt = now + self.interval
            if nxt < deadline_at:
                self._push(self.sends, nxt, host)
                return True
        # the last request (or the deadline comes first): wait `timeout` for its reply
        expire_at = now + self.timeout
        if expire_at <= deadline_at:
            host.expire_at = expire_at  # why_expired: "timeout" already
            self.expiring.append(host)
        else:
            host.expire_at = deadline_at
            host.why_expired = f"no answer within the {self.deadline:g} s deadline"
            self._push(self.expiries, host.expire_at, host)
        return True

    def _send_failed(self, host: Attempt, packet: bytes, exc: OSError) -> bool | None:
        """A request whose send failed: False when the socket cannot take it now (it is
        sent again later), True when the failure is the host's result, None when a second
        try left (a datagram socket's pending error of another host)."""
        if exc.errno in _BACKPRESSURE:
            return False
        failure: OSError | None = exc
        if self.kind is SocketKind.DGRAM:
            # A datagram socket reports an earlier ICMP error (of another host) on the
            # next send: that send consumed it, so a second try tells
            try:
                self.sock.sendto(packet, (host.address, 0))
                failure = None
            except OSError as again:
                if again.errno in _BACKPRESSURE:
                    return False
                failure = again
        if failure is not None:
            host.local_cause = failure.strerror or str(failure)
            if failure.errno not in _UNREACHABLE_ERRNOS:
                host.local_state = HostState.ERROR
            self.finish(host)
            return True
        return None

    # --- the receiver -------------------------------------------------------------------

    async def receiver(self) -> None:
        """Read replies and errors as they come; match each to its request."""
        while True:
            await anyio.wait_readable(self.sock)
            if self._drain():
                await anyio.lowlevel.checkpoint()  # more to read: let the sender run first

    def _drain(self) -> bool:
        """Read what the socket holds (at most :data:`_DRAIN` packets; True when more may
        be waiting). The sender calls it too before it expires hosts: on a starved machine
        a reply may sit in the buffer past its host's timeout, and it still counts."""
        recvmsg = self.sock.recvmsg
        received = self._received
        for _ in range(_DRAIN):
            try:
                data, ancdata, _, peer = recvmsg(2048, _ANC_SPACE)
            except BlockingIOError:
                break
            except OSError:
                break  # a datagram socket's pending error: read from the error queue
            # the kernel's receive time when it gave one (SO_TIMESTAMPNS): an RTT
            # without the wait for this task to be scheduled, as ping reports it
            if ancdata and ancdata[0][1] == _SO_TIMESTAMPNS and len(ancdata[0][2]) >= 16:
                seconds, nanos = _TIMESPEC.unpack_from(ancdata[0][2])
                now_ns = seconds * 1_000_000_000 + nanos
            else:
                now_ns = time.time_ns()
            received(data, peer[0], now_ns)
        else:
            return True
        if self.kind is SocketKind.DGRAM:
            self._read_error_queue()
        return False

    def _received(self, data: bytes, peer: str, now_ns: int) -> None:
        damaged: int | None = None
        if self.ip_header and len(data) == _V4_REPLY_SIZE and data[0] == 0x45:
            # a raw IPv4 socket's echo reply to one of our requests, without IP options
            # (all of them, on loopback and nearly everywhere): its fields in one read,
            # and its checksum from them (see packet._folded: the message's 16-bit words
            # add up to a multiple of 0xFFFF; those of the type, 0, the identifier and the
            # cookie are ours, checked below, and summed up once in `reply_sum`)
            reply = _V4_REPLY.unpack_from(data)
            ttl, source, kind, code, total, identifier, seq, cookie, stamp = reply
            damaged = (self.reply_sum + code + total + seq + stamp) % 0xFFFF
            at = 20
        else:
            at = (data[0] & 0x0F) * 4 if self.ip_header and data else 0
            if len(data) < at + 16:
                kind = -1
            else:
                kind, identifier, seq, cookie = _REPLY.unpack_from(data, at)
                ttl = data[8] if self.ip_header else None
                source = data[12:16] if self.ip_header else b""
        if kind == self.reply_type:
            # the common case, read inline (a /16 is 65k of them): an echo reply
            if identifier != self.identifier or cookie != self.cookie:
                return  # another process's (a datagram socket echoes our cookie too)
            if self.ip_header:
                if damaged is None:
                    damaged = checksum(data[at:])
                if damaged:
                    return  # damaged (the kernel checks it for datagram sockets)
            else:
                source = packed_address(peer)[1]
            host = self.pending.get((source, seq))
            if host is None:
                return  # late, or not ours
            # the reply itself, inline too
            sent_ns = host.seqs.get(seq)
            if sent_ns is None:
                host.duplicates += 1
                return
            host.seqs[seq] = None
            # milliseconds to the microsecond, in integers (round(x, 3) formats the float)
            rtt = (now_ns - sent_ns + 500) // 1000 / 1000
            host.rtts.append(rtt)
            if host.ttl is None:
                host.ttl = ttl
            if host.on_request is not None:
                host.settle(seq, Request(REPLY, True, rtt, size=len(data) - at))
            if host.sent == host.count and len(host.rtts) + host.errors >= host.count:
                self.finish(host)
            return
        # anything else: an error quoting a request, or not ours (loaded at the first one)
        from scanner.net.icmp.received import parse_icmp

        source = data[12:16] if self.ip_header and len(data) >= 20 else packed_address(peer)[1]
        got = parse_icmp(data, source, version=self.version, ip_header=self.ip_header)
        if got is None or got.is_reply or got.identifier != self.identifier:
            return
        if self.kind is SocketKind.RAW and got.cookie is not None and got.cookie != self.cookie:
            return  # another prober that drew the same identifier
        host = self.pending.get((got.target, got.sequence))
        if host is None:
            return  # late, or not ours
        self._error(host, got.sequence, got.cause)

    def _error(self, host: Attempt, seq: int, cause: str | None) -> None:
        """An ICMP error (or a local one from the error queue) for request ``seq``."""
        host.errors += 1
        if host.icmp_cause is None:
            host.icmp_cause = cause
        if host.on_request is not None:
            host.settle(seq, Request(UNREACHABLE, False, cause=cause))
        self._maybe_done(host)

    def _maybe_done(self, host: Attempt) -> None:
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
            host = self.pending.get((packed_address(peer[0])[1], quoted[1]))
            if host is None:
                continue
            for level, kind_of, cdata in ancdata:
                # only the extended error (a timestamp may come along: SO_TIMESTAMPNS)
                if (level, kind_of) not in _RECVERR or len(cdata) < _EXTENDED_ERR.size:
                    continue
                err, origin, kind, code, _, _, _ = _EXTENDED_ERR.unpack_from(cdata)
                if origin in (_ORIGIN_ICMP, _ORIGIN_ICMP6):
                    cause = error_cause(self.version, kind, code)
                else:
                    cause = os.strerror(err)
                self._error(host, quoted[1], cause)
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


__all__ = ["BACKLOG", "Family"]
