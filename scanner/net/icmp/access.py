"""Which ICMP sockets this process may open, and why (not).

Two kinds, tried in this order:

* a **datagram** ICMP socket (``SOCK_DGRAM``, ``IPPROTO_ICMP``: Linux's "ping socket",
  macOS's unprivileged ICMP): allowed on Linux when the process's group is inside
  ``net.ipv4.ping_group_range`` (the same range governs ICMPv6). The kernel keeps the
  socket's traffic to itself: it rewrites the echo identifier to the socket's "port" and
  hands this socket only the replies that carry it; errors arrive on the error queue
  (``IP_RECVERR``).
* a **raw** ICMP socket (``SOCK_RAW``): needs root or ``CAP_NET_RAW``; it sees every ICMP
  packet of the host (ours found by identifier, cookie and checksum).

Opening is the test: it is what the kernel decides, whatever the sysctl and capabilities
look like, and the explanation reads them only to say why it failed.
"""

from __future__ import annotations

import enum
import os
import socket
from dataclasses import dataclass
from typing import Final

_GROUP_RANGE: Final = "/proc/sys/net/ipv4/ping_group_range"
_CAP_NET_RAW: Final = 13


class SocketKind(enum.StrEnum):
    """How the ICMP prober talks to the network."""

    DGRAM = "dgram"
    RAW = "raw"


#: ``--icmp-socket``: auto (datagram, else raw), or one of the kinds.
SOCKET_CHOICES: Final = ("auto", "dgram", "raw")


@dataclass(frozen=True, slots=True)
class Access:
    """What ICMP socket the process may open: ``kind`` None when none, with the reason."""

    kind: SocketKind | None
    why: str


def open_icmp_socket(version: int, kind: SocketKind) -> socket.socket:
    """A non-blocking ICMP (``version`` 4) or ICMPv6 (6) socket of ``kind`` (raises
    ``OSError`` as the kernel refuses it)."""
    family = socket.AF_INET if version == 4 else socket.AF_INET6
    proto = socket.IPPROTO_ICMP if version == 4 else socket.IPPROTO_ICMPV6
    stype = socket.SOCK_DGRAM if kind is SocketKind.DGRAM else socket.SOCK_RAW
    sock = socket.socket(family, stype, proto)
    sock.setblocking(False)
    return sock


def _can_open(version: int, kind: SocketKind) -> OSError | None:
    try:
        open_icmp_socket(version, kind).close()
    except OSError as exc:
        return exc
    return None


def group_range() -> tuple[int, int] | None:
    """``net.ipv4.ping_group_range`` as (low, high), None where it cannot be read."""
    try:
        with open(_GROUP_RANGE, encoding="ascii") as stream:
            low, high = stream.read().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return None


def has_cap_net_raw() -> bool | None:
    """Whether CAP_NET_RAW is in this process's effective set (None: cannot tell)."""
    try:
        with open("/proc/self/status", encoding="ascii") as stream:
            for line in stream:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) >> _CAP_NET_RAW & 1)
    except (OSError, ValueError):
        return None
    return None


def _dgram_reason(gid: int) -> str:
    span = group_range()
    if span is None:
        return "datagram ICMP sockets are not permitted"
    low, high = span
    if low > high:
        return f"net.ipv4.ping_group_range is '{low} {high}' (closed)"
    return f"gid {gid} is not in net.ipv4.ping_group_range '{low} {high}'"


def _raw_reason() -> str:
    cap = has_cap_net_raw()
    if cap is False:
        return "no CAP_NET_RAW for raw sockets (not root)"
    return "raw ICMP sockets are not permitted"


def detect_access(version: int = 4, choice: str = "auto") -> Access:
    """The ICMP socket kind this process can open for ``version``, trying datagram then raw
    (``choice`` restricts it to one kind)."""
    gid = os.getgid() if hasattr(os, "getgid") else -1
    kinds = [SocketKind(choice)] if choice != "auto" else [SocketKind.DGRAM, SocketKind.RAW]
    reasons = []
    for kind in kinds:
        failed = _can_open(version, kind)
        if failed is None:
            if kind is SocketKind.DGRAM:
                return Access(kind, f"datagram ICMP sockets: gid {gid} in ping_group_range")
            return Access(kind, "raw ICMP sockets: CAP_NET_RAW")
        if failed.errno in (1, 13):  # EPERM, EACCES: a permission the user lacks
            reasons.append(_dgram_reason(gid) if kind is SocketKind.DGRAM else _raw_reason())
        else:
            reasons.append(f"{kind.value} ICMP socket: {failed.strerror or failed}")
    return Access(None, "; ".join(reasons))


__all__ = [
    "SOCKET_CHOICES",
    "Access",
    "SocketKind",
    "detect_access",
    "group_range",
    "has_cap_net_raw",
    "open_icmp_socket",
]
