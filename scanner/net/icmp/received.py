"""Reading what an ICMP socket received: :func:`parse_icmp` and its :class:`Received` (see
:mod:`scanner.net.icmp.packet`, which re-exports both). The prober reads echo replies inline
and comes here for the rest (errors quoting a request, other processes' traffic)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from scanner.net.icmp.packet import (
    _HEADER,
    _PAYLOAD,
    ECHO_REPLY_V4,
    ECHO_REPLY_V6,
    ECHO_REQUEST_V4,
    ECHO_REQUEST_V6,
    PAYLOAD_SIZE,
    TIME_EXCEEDED_V4,
    TIME_EXCEEDED_V6,
    UNREACHABLE_V4,
    UNREACHABLE_V6,
    checksum,
    error_cause,
)

_IPV6_HEADER: Final = 40
_PROTO_ICMP: Final = 1
_PROTO_ICMPV6: Final = 58


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


__all__ = ["Received", "parse_icmp"]
