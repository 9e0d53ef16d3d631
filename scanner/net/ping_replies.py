"""Each request of one ``ping`` run, read from its reply lines as they arrive (reply records).

``ping_parse`` reads the run's totals once it is over; :class:`LiveReplies` reads its output
as the child writes it: an echo reply (``64 bytes from 127.0.0.1: icmp_seq=1 ttl=64
time=0.045 ms``, BusyBox's ``seq=0``, Windows' ``Reply from ...: bytes=32 time<1ms``), an
ICMP error for a sequence number (``From 10.0.0.1 icmp_seq=2 Destination Host
Unreachable``). ping prints nothing for a lost request, so a sequence number skipped by a
later line is reported as a timeout right then, and those still missing when the run ends
(up to ping's own ``sent``) at the end. A reply that comes after a later one (slower than
the interval) or a duplicate (``DUP!``) is not reported again.
"""

from __future__ import annotations

import re
from typing import Final

from scanner.net.ping_cmd import PingFlavor
from scanner.net.replies import REPLY, TIMEOUT, UNREACHABLE, Request

_REPLY: Final = re.compile(
    r"^(?P<size>\d+) bytes from .*?\b(?:icmp_)?seq=(?P<seq>\d+).*?\btime[=<]\s*(?P<ms>[\d.]+)\s*ms"
)
_ERROR: Final = re.compile(r"^From \S+(?: \S+)*? (?:icmp_)?seq=(?P<seq>\d+)\s+(?P<cause>.+)$")
_WINDOWS_REPLY: Final = re.compile(r"^Reply from .*?: bytes=(?P<size>\d+) time[=<](?P<ms>\d+)ms")
_WINDOWS_LOST: Final = re.compile(r"^Request timed out\.")

_LOST: Final = Request(TIMEOUT, False, cause=TIMEOUT)


def _parse(line: str, flavor: PingFlavor) -> tuple[int | None, Request] | None:
    """(ping's sequence number or None on Windows, the request) of a reply or error line."""
    if flavor is PingFlavor.WINDOWS:
        if m := _WINDOWS_REPLY.match(line):
            return None, Request(REPLY, True, float(m["ms"]), size=int(m["size"]))
        return (None, _LOST) if _WINDOWS_LOST.match(line) else None
    if "DUP!" in line:
        return None
    if m := _REPLY.match(line):
        return int(m["seq"]), Request(REPLY, True, float(m["ms"]), size=int(m["size"]))
    if m := _ERROR.match(line):
        return int(m["seq"]), Request(UNREACHABLE, False, cause=m["cause"].strip())
    return None


class LiveReplies:
    """Turns one run's output, fed as it is read, into its requests in sequence order."""

    def __init__(self, flavor: PingFlavor) -> None:
        self.flavor = flavor
        #: iputils numbers from 1, the others from 0.
        self.first = 1 if flavor is PingFlavor.IPUTILS else 0
        self.next = self.first
        self._partial = b""

    def feed(self, chunk: bytes) -> list[Request]:
        """The requests the complete lines of this chunk settle (a line may span chunks)."""
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        out: list[Request] = []
        for raw in lines:
            parsed = _parse(raw.decode("utf-8", "replace").rstrip("\r"), self.flavor)
            if parsed is None:
                continue
            seq, request = parsed
            if seq is None:  # Windows: no numbers, one line per request in order
                seq = self.next
            if seq < self.next:
                continue  # late, after a later one was reported: it stays a timeout
            out.extend([_LOST] * (seq - self.next))
            out.append(request)
            self.next = seq + 1
        return out

    def finish(self, sent: int) -> list[Request]:
        """The rest once the run is over: an unterminated last line, then a timeout for each
        of the ``sent`` requests not settled yet."""
        out = self.feed(b"\n") if self._partial else []
        return out + [_LOST] * max(0, self.first + sent - self.next)


def ping_requests(text: str, *, flavor: PingFlavor, sent: int) -> list[Request]:
    """Every request of a finished run, from its whole output."""
    live = LiveReplies(flavor)
    return live.feed(text.encode()) + live.finish(sent)
