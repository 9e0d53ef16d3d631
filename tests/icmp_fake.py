"""A fake ICMP network for the prober's tests: a socket whose other end is the test.

:class:`FakeIcmpSocket` is one end of an AF_UNIX datagram socketpair dressed as an ICMP
socket: what the prober sends arrives at the test's end framed with its destination, and
what the test writes back (framed with a source) is what the prober "receives". The prober
waits on the real descriptor (``anyio.wait_readable``), so the asyncio and trio code paths
run unchanged. ``kind`` raw gives IPv4 packets with an IP header, dgram without one, with
the identifier rewritten to the socket's "port" as Linux does, and an error queue.
"""

from __future__ import annotations

import errno
import socket
import struct
from collections import deque
from typing import Any

from scanner.net.icmp.access import SocketKind
from scanner.net.icmp.packet import checksum

_SEP = b"\0"
#: A frame that makes the next recvfrom raise (a datagram socket's pending error).
RAISE = b"!raise"
DGRAM_PORT = 4242


def ipv4_header(src: str, dst: str, proto: int = 1, ttl: int = 64) -> bytes:
    """A 20-byte IPv4 header (checksum left 0: nobody checks it here)."""
    return struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        0,
        0,
        0,
        ttl,
        proto,
        0,
        socket.inet_aton(src),
        socket.inet_aton(dst),
    )


def ipv6_header(src: str, dst: str, next_header: int = 58) -> bytes:
    """A 40-byte IPv6 header."""
    return (
        struct.pack("!IHBB", 6 << 28, 0, next_header, 64)
        + socket.inet_pton(socket.AF_INET6, src)
        + socket.inet_pton(socket.AF_INET6, dst)
    )


def with_checksum(message: bytes) -> bytes:
    """``message`` with its ICMP checksum field filled in."""
    blank = message[:2] + b"\0\0" + message[4:]
    return blank[:2] + struct.pack("!H", checksum(blank)) + blank[4:]


def echo_reply_for(request: bytes, version: int) -> bytes:
    """The reply a host sends to ``request`` (type changed, checksum redone)."""
    kind = 0 if version == 4 else 129
    return with_checksum(bytes([kind]) + request[1:])


def error_for(request: bytes, src: str, dst: str, version: int, *, kind: int, code: int) -> bytes:
    """An ICMP error quoting ``request`` sent from ``src`` to ``dst``."""
    if version == 4:
        quoted = ipv4_header(src, dst) + request[:8]
    else:
        quoted = ipv6_header(src, dst) + request
    return with_checksum(bytes([kind, code, 0, 0, 0, 0, 0, 0]) + quoted)


class FakeIcmpSocket(socket.socket):
    """The prober's end of the fake network."""

    def __init__(self, fd: int, version: int, kind: SocketKind) -> None:
        super().__init__(socket.AF_UNIX, socket.SOCK_DGRAM, 0, fileno=fd)
        self.version = version
        self.kind = kind
        self.errqueue: deque[tuple[bytes, list[tuple[int, int, bytes]], str]] = deque()
        self.send_errors: dict[str, OSError] = {}

    def bind(self, address: Any) -> None:
        """Datagram ICMP sockets are bound to get their "port"."""

    def getsockname(self) -> Any:
        """The port the kernel rewrites identifiers to."""
        return ("0.0.0.0", DGRAM_PORT)

    def setsockopt(self, *args: Any) -> None:
        """Options are accepted and ignored."""

    def sendto(self, data: Any, address: Any) -> int:  # type: ignore[override]
        """Frame the packet with its destination (dgram: identifier rewritten)."""
        host = address[0]
        if host in self.send_errors:
            raise self.send_errors[host]
        packet = bytes(data)
        if self.kind is SocketKind.DGRAM:
            packet = packet[:4] + struct.pack("!H", DGRAM_PORT) + packet[6:]
        return self.send(host.encode() + _SEP + packet)

    def recvfrom(self, size: int, flags: int = 0) -> tuple[bytes, Any]:
        """The next framed packet: (data, (source, 0))."""
        frame = self.recv(65536)
        if frame == RAISE:
            raise OSError(errno.EHOSTUNREACH, "No route to host")
        source, _, data = frame.partition(_SEP)
        return data, (source.decode(), 0)

    def recvmsg(self, bufsize: int, ancbufsize: int = 0, flags: int = 0) -> Any:
        """A framed packet without ancillary data, or with ``MSG_ERRQUEUE`` the error
        queue: (data, ancdata, flags, original destination)."""
        if not flags & socket.MSG_ERRQUEUE:
            data, peer = self.recvfrom(bufsize)
            return data, [], 0, peer
        if not self.errqueue:
            raise BlockingIOError(errno.EAGAIN, "empty")
        data, ancdata, peer = self.errqueue.popleft()
        return data, ancdata, 0, (peer, 0)


class FakeNetwork:
    """The test's side: reads the prober's requests, writes packets back."""

    def __init__(self) -> None:
        self.ends: dict[int, socket.socket] = {}
        self.sockets: dict[int, FakeIcmpSocket] = {}

    def opener(self, version: int, kind: SocketKind) -> socket.socket:
        """``open_icmp_prober(opener=...)``."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        theirs.setblocking(False)
        fake = FakeIcmpSocket(ours.detach(), version, kind)
        fake.setblocking(False)
        self.ends[version] = theirs
        self.sockets[version] = fake
        return fake

    def close(self) -> None:
        """Close the test's ends (the prober closes its own)."""
        for end in self.ends.values():
            end.close()

    def requests(self, version: int = 4) -> list[tuple[str, bytes]]:
        """Every request sent so far and not yet read: (destination, ICMP message)."""
        out: list[tuple[str, bytes]] = []
        while True:
            try:
                frame = self.ends[version].recv(65536)
            except BlockingIOError:
                return out
            dst, _, packet = frame.partition(_SEP)
            out.append((dst.decode(), packet))

    def deliver(self, version: int, source: str, message: bytes, *, to: str = "127.0.0.1") -> None:
        """Hand the prober one ICMP message from ``source`` (raw IPv4 gets an IP header)."""
        sock = self.sockets[version]
        if version == 4 and sock.kind is SocketKind.RAW:
            message = ipv4_header(source, to) + message
        self.ends[version].send(source.encode() + _SEP + message)

    def queue_error(
        self, version: int, request: bytes, dst: str, *, origin: int, kind: int, code: int
    ) -> None:
        """A datagram socket's error-queue entry for ``request``, and its pending error."""
        ee = struct.pack("=IBBBBII", errno.EHOSTUNREACH, origin, kind, code, 0, 0, 0)
        level, kind_of = (0, 11) if version == 4 else (41, 25)  # IP_RECVERR, IPV6_RECVERR
        stamp = (1, 35, b"\0" * 16)  # a receive timestamp may come first (SO_TIMESTAMPNS)
        self.sockets[version].errqueue.append(
            (request, [stamp, (level, kind_of, ee + b"\0" * 16)], dst)
        )
        self.ends[version].send(RAISE)
