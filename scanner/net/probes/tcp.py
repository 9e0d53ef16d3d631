"""TCP connect probe: the state of each port, and from it whether the host is up.

Every port gets ``cfg.count`` connects, in rounds ``cfg.interval`` apart (each round tries
every port once, in the order given). A connect that completes: the port is **open**; a
refusal (RST): **closed** — the host answered, so it is up, as ``nmap -sn`` reads a RST;
no answer within the timeout, or an ICMP unreachable from a router: **filtered**; a connect
that cannot even be tried (a local error): **error**. The host is alive when any port was
open or closed. No data is sent: a connection is closed as soon as it is made.

The RTT is the connect itself: a monotonic clock read right before the non-blocking
``connect`` and right after it completes — at once when the kernel finished the handshake
within the call (loopback, and every refusal there), else when the event loop wakes us
for the writable socket. Name resolution and task scheduling stay out of it.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio

from scanner.net.config import SweepConfig
from scanner.net.model import HostResult, PortState
from scanner.net.replies import Request, RequestCounts, host_from_ports, port_result, report
from scanner.net.rttstats import round_ms

#: errnos that mean a router (or the local stack) said the host cannot be reached: nmap
#: calls such a port filtered.
_UNREACHABLE = {
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.EHOSTDOWN,
    errno.ENETDOWN,
    errno.ETIMEDOUT,
}
#: What a non-blocking connect returns while the handshake is under way.
_IN_PROGRESS = {errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY}

ConnectFunc = Callable[[str, int, float], Awaitable[Request]]


def _ready_now(sock: socket.socket) -> bool:
    """True when the connect already finished (no event-loop round trip needed)."""
    if not hasattr(select, "poll"):  # Windows: ask the event loop
        return False
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLOUT)
    return bool(poller.poll(0))


def _request(port: int, code: int, rtt_ms: float | None) -> Request:
    if code == 0:
        return Request(PortState.OPEN.value, True, rtt_ms, port=port)
    cause = os.strerror(code)
    if code == errno.ECONNREFUSED:
        return Request(PortState.CLOSED.value, True, rtt_ms, port=port, cause=cause)
    state = PortState.FILTERED if code in _UNREACHABLE else PortState.ERROR
    return Request(state.value, False, None, port=port, cause=cause)


async def connect_once(address: str, port: int, timeout: float) -> Request:
    """One connect to ``address``:``port`` (an IP literal), timed; never raises OSError."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        return _request(port, exc.errno or errno.EIO, None)
    with sock:
        sock.setblocking(False)
        try:
            start = time.perf_counter()
            code = sock.connect_ex((address, port))
            if code in _IN_PROGRESS:
                if not _ready_now(sock):
                    with anyio.move_on_after(timeout) as waited:
                        await anyio.wait_writable(sock)
                    if waited.cancelled_caught:  # silence: the word ping uses too
                        return Request(PortState.FILTERED.value, False, port=port, cause="timeout")
                end = time.perf_counter()
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            else:
                end = time.perf_counter()
        except OSError as exc:  # an address this socket cannot take, EADDRNOTAVAIL ...
            return _request(port, exc.errno or errno.EIO, None)
        return _request(port, code, round_ms(end - start))


class TcpProbe:
    """Connects to each port ``count`` times: the ``tcp`` probe method. ``connect`` replaces
    the real connect (tests script answers with it)."""

    name = "tcp"

    def __init__(self, cfg: SweepConfig, *, connect: ConnectFunc = connect_once) -> None:
        self.cfg = cfg
        self.connect = connect

    async def probe(self, target: str, address: str) -> HostResult:
        """``count`` rounds of connects to every port of ``address``."""
        cfg = self.cfg
        done = {port: RequestCounts() for port in cfg.ports}
        start = time.monotonic()
        for round_no in range(cfg.count):
            if round_no:
                await anyio.sleep(max(0.0, start + round_no * cfg.interval - time.monotonic()))
            for port in cfg.ports:
                request = await self.connect(address, port, cfg.timeout)
                done[port].add(request)
                await report(request)
        ports = [port_result(port, counts) for port, counts in done.items()]
        rtts = [rtt for counts in done.values() for rtt in counts.rtts]
        return host_from_ports(target, address, ports, rtts=rtts)


@asynccontextmanager
async def open_tcp_probe(cfg: SweepConfig) -> AsyncIterator[TcpProbe]:
    """The TCP probe needs no set-up."""
    yield TcpProbe(cfg)
