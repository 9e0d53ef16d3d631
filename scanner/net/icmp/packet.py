"""ICMP and ICMPv6 echo packets: build a request, read what comes back.

Pure functions over bytes (no sockets), shared by the prober and its tests.

A request is an echo header (type, code, checksum, identifier, sequence) and a 16-byte
payload: an 8-byte cookie that names this prober (other processes' traffic on a raw socket
never carries it) and the send time in nanoseconds (``time.perf_counter_ns``), so a reply
says when its request left even if the prober lost track of it.

:func:`parse_icmp` reads one received packet. It returns a :class:`Received` for an echo
reply, and for a destination-unreachable or time-exceeded error *that quotes an echo request*
(the router sends back the IP header and the first 8 bytes of what it dropped: our type,
identifier and sequence); anything else (other processes' errors, our own requests seen on
loopback, neighbour discovery, garbage, a bad checksum) is ``None``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

ECHO_REPLY_V4: Final = 0
UNREACHABLE_V4: Final = 3
ECHO_REQUEST_V4: Final = 8
TIME_EXCEEDED_V4: Final = 11
UNREACHABLE_V6: Final = 1
TIME_EXCEEDED_V6: Final = 3
ECHO_REQUEST_V6: Final = 128
ECHO_REPLY_V6: Final = 129

_HEADER: Final = struct.Struct("!BBHHH")  # type, code, checksum, identifier, sequence
_PAYLOAD: Final = struct.Struct("!8sQ")  # cookie, send time (ns)
_REQUEST: Final = struct.Struct("!BBHHH8sQ")  # the header, then the payload
PAYLOAD_SIZE: Final = _PAYLOAD.size
_IPV6_HEADER: Final = 40
_PROTO_ICMP: Final = 1
_PROTO_ICMPV6: Final = 58

# The causes iputils ping prints, so both methods name an error the same way
# (ping_common.c/ping.c pr_icmph, ping6_common.c pr_icmph).
_UNREACH_V4: Final = {
    0: "Destination Net Unreachable",
    1: "Destination Host Unreachable",
    2: "Destination Protocol Unreachable",
    3: "Destination Port Unreachable",
    4: "Frag needed",
    5: "Source Route Failed",
    6: "Destination Net Unknown",
    7: "Destination Host Unknown",
    8: "Source Host Isolated",
    9: "Destination Net Prohibited",
    10: "Destination Host Prohibited",
    11: "Destination Net Unreachable for Type of Service",
    12: "Destination Host Unreachable for Type of Service",
    13: "Packet filtered",
    14: "Precedence Violation",
    15: "Precedence Cutoff",
}
_EXCEEDED_V4: Final = {0: "Time to live exceeded", 1: "Frag reassembly time exceeded"}
_UNREACH_V6: Final = {
    0: "Destination unreachable: No route",
    1: "Destination unreachable: Administratively prohibited",
    2: "Destination unreachable: Beyond scope of source address",
    3: "Destination unreachable: Address unreachable",
    4: "Destination unreachable: Port unreachable",
    5: "Destination unreachable: Source address failed ingress/egress policy",
    6: "Destination unreachable: Reject route to destination",
}
_EXCEEDED_V6: Final = {0: "Time exceeded: Hop limit", 1: "Time exceeded: Defragmentation failure"}


@dataclass(frozen=True, slots=True)
class Received:
    """One packet that concerns an echo request: a reply, or an error quoting the request.

    ``target`` is the packed address the request went to (the reply's source; the quoted
    destination for an error), ``identifier``/``sequence`` those of the request, ``sent_ns``
    the timestamp of the payload (None for errors: the quote ends before it), ``cause``
    None for a reply, else the error in iputils' words, ``source`` the packed address
    that sent the packet (a router for errors).
    """

    target: bytes
    identifier: int
    sequence: int
    cookie: bytes | None
    sent_ns: int | None
    cause: str | None
    source: bytes
    ttl: int | None = None

    @property
    def is_reply(self) -> bool:
        """True for an echo reply, False for an ICMP error."""
        return self.cause is None


def _folded(value: int) -> int:
    """The checksum of the bytes whose big-endian value is ``value`` (an even length).

    2**16 is 1 modulo 0xFFFF, so a number modulo 0xFFFF is the sum of its 16-bit words
    modulo 0xFFFF: the ones' complement sum with its end-around carries, computed in C
    (``int.from_bytes`` and one ``%``) instead of a word at a time. A non-zero sum that
    folds to a multiple of 0xFFFF is 0xFFFF (negative zero), whose complement is 0."""
    rest = value % 0xFFFF
    if rest:
        return 0xFFFF - rest
    return 0 if value else 0xFFFF


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of ``data`` (0 when ``data`` carries a correct
    checksum of itself)."""
    if len(data) % 2:
        data += b"\0"
    return _folded(int.from_bytes(data, "big"))


def echo_builder(version: int, identifier: int, cookie: bytes) -> Callable[[int, int], bytes]:
    """``build(sequence, sent_ns)``: the echo requests of one prober, whose type, identifier
    and cookie never change. The checksum is updated from a precomputed partial sum of
    those: the sequence and the time add their words (see :func:`_folded`), and one
    ``pack`` writes the packet (a /16 builds 65,534 of them)."""
    kind = ECHO_REQUEST_V4 if version == 4 else ECHO_REQUEST_V6
    ident = identifier & 0xFFFF
    pack = _REQUEST.pack
    if version == 6:
        # the kernel computes an ICMPv6 checksum (it covers a pseudo-header with addresses
        # only the kernel knows), so it is left 0
        return lambda sequence, sent_ns: pack(kind, 0, 0, ident, sequence, cookie, sent_ns)
    base = (kind << 8) + ident + int.from_bytes(cookie, "big")

    def build(sequence: int, sent_ns: int) -> bytes:
        rest = (base + sequence + sent_ns) % 0xFFFF  # never all zero: the type is 8
        return pack(kind, 0, 0xFFFF - rest if rest else 0, ident, sequence, cookie, sent_ns)

    return build


def echo_request(
    version: int, identifier: int, sequence: int, cookie: bytes, sent_ns: int
) -> bytes:
    """An ICMP (``version`` 4) or ICMPv6 (6) echo request.

    The ICMPv4 checksum is filled in here; for ICMPv6 the kernel computes it (it covers a
    pseudo-header with addresses only the kernel knows), so it is left 0.
    """
    return echo_builder(version, identifier, cookie)(sequence & 0xFFFF, sent_ns)


def _payload(data: bytes) -> tuple[bytes | None, int | None]:
    if len(data) < _HEADER.size + PAYLOAD_SIZE:
        return None, None
    cookie, sent_ns = _PAYLOAD.unpack_from(data, _HEADER.size)
    return cookie, sent_ns


def parse_icmp(data: bytes, source: bytes, *, version: int, ip_header: bool) -> Received | None:
    """Read one received packet (see the module docstring); ``source`` is the packed sender
    address, ``ip_header`` True when ``data`` starts with the IPv4 header (raw ICMPv4
    sockets; datagram sockets and every ICMPv6 socket give the ICMP message alone)."""
    ttl = None
    if ip_header:
        if len(data) < 20 or data[0] >> 4 != 4:
            return None
        ttl = data[8]
        data = data[(data[0] & 0x0F) * 4 :]
    if len(data) < _HEADER.size:
        return None
    kind, code, _, identifier, sequence = _HEADER.unpack_from(data)
    if version == 4:
        if kind == ECHO_REPLY_V4:
            if ip_header and checksum(data) != 0:
                return None  # damaged (the kernel checks it for datagram sockets)
            cookie, sent_ns = _payload(data)
            return Received(source, identifier, sequence, cookie, sent_ns, None, source, ttl)
        if kind in (UNREACHABLE_V4, TIME_EXCEEDED_V4):
            return _quoted_v4(data, source, error_cause(4, kind, code))
        return None
    if kind == ECHO_REPLY_V6:
        cookie, sent_ns = _payload(data)
        return Received(source, identifier, sequence, cookie, sent_ns, None, source)
    if kind in (UNREACHABLE_V6, TIME_EXCEEDED_V6):
        return _quoted_v6(data, source, error_cause(6, kind, code))
    return None


def _quoted_v4(data: bytes, source: bytes, cause: str) -> Received | None:
    inner = data[8:]  # the error's own header is 8 bytes, then the dropped IP header
    if len(inner) < 20 or inner[0] >> 4 != 4 or inner[9] != _PROTO_ICMP:
        return None
    quoted = inner[(inner[0] & 0x0F) * 4 :]
    if len(quoted) < _HEADER.size:
        return None
    kind, _, _, identifier, sequence = _HEADER.unpack_from(quoted)
    if kind != ECHO_REQUEST_V4:
        return None
    cookie, _ = _payload(quoted)
    return Received(inner[16:20], identifier, sequence, cookie, None, cause, source)


def _quoted_v6(data: bytes, source: bytes, cause: str) -> Received | None:
    inner = data[8:]
    # only a quote whose next header is ICMPv6 (no extension headers: we send none)
    if len(inner) < _IPV6_HEADER + _HEADER.size or inner[0] >> 4 != 6 or inner[6] != _PROTO_ICMPV6:
        return None
    kind, _, _, identifier, sequence = _HEADER.unpack_from(inner, _IPV6_HEADER)
    if kind != ECHO_REQUEST_V6:
        return None
    cookie, _ = _payload(inner[_IPV6_HEADER:])
    return Received(inner[24:40], identifier, sequence, cookie, None, cause, source)


def quoted_request(data: bytes) -> tuple[int, int] | None:
    """(identifier, sequence) of our own request as a datagram socket's error queue returns
    it (the ICMP message we sent, identifier as the kernel rewrote it)."""
    if len(data) < _HEADER.size:
        return None
    kind, _, _, identifier, sequence = _HEADER.unpack_from(data)
    if kind not in (ECHO_REQUEST_V4, ECHO_REQUEST_V6):
        return None
    return identifier, sequence


def error_cause(version: int, kind: int, code: int) -> str:
    """iputils' words for an ICMP error of ``kind``/``code`` (from a socket's error queue)."""
    if version == 4:
        if kind == UNREACHABLE_V4:
            return _UNREACH_V4.get(code, f"Dest Unreachable, code {code}")
        if kind == TIME_EXCEEDED_V4:
            return _EXCEEDED_V4.get(code, f"Time exceeded, code {code}")
        return f"ICMP type {kind}, code {code}"
    if kind == UNREACHABLE_V6:
        return _UNREACH_V6.get(code, f"Destination unreachable: Unknown code {code}")
    if kind == TIME_EXCEEDED_V6:
        return _EXCEEDED_V6.get(code, f"Time exceeded: code {code}")
    return f"ICMPv6 type {kind}, code {code}"


__all__ = [
    "PAYLOAD_SIZE",
    "Received",
    "checksum",
    "echo_builder",
    "echo_request",
    "error_cause",
    "parse_icmp",
    "quoted_request",
]
