"""ICMP and ICMPv6 echo packets: build a request, read what comes back.

Pure functions over bytes (no sockets), shared by the prober and its tests.

A request is an echo header (type, code, checksum, identifier, sequence) and a 16-byte
payload: an 8-byte cookie that names this prober (other processes' traffic on a raw socket
never carries it) and the send time in nanoseconds (``time.perf_counter_ns``), so a reply
says when its request left even if the prober lost track of it.

:func:`parse_icmp` (in :mod:`scanner.net.icmp.received`, loaded with the first packet that
is not an echo reply: the prober reads replies inline) reads one received packet. It returns
a :class:`Received` for an echo reply, and for a destination-unreachable or time-exceeded
error *that quotes an echo request* (the router sends back the IP header and the first 8
bytes of what it dropped: our type, identifier and sequence); anything else (other
processes' errors, our own requests seen on loopback, neighbour discovery, garbage, a bad
checksum) is ``None``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from scanner.lazy import lazy_attributes

if TYPE_CHECKING:
    from scanner.net.icmp.received import Received, parse_icmp

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


__getattr__ = lazy_attributes(
    __name__, {"Received": "scanner.net.icmp.received", "parse_icmp": "scanner.net.icmp.received"}
)

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
