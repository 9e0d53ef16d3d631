"""Each request of one finished ``ping`` run, read from its reply lines (for reply records).

``ping_parse`` reads the run's totals; this reads the lines one by one: an echo reply
(``64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.045 ms``, BusyBox's ``seq=0``,
Windows' ``Reply from ...: bytes=32 time<1ms``), an ICMP error for a sequence number
(``From 10.0.0.1 icmp_seq=2 Destination Host Unreachable``), and every sequence number up
to ``sent`` that got neither: a timeout. Duplicates (``DUP!``) are left out, as ping's own
``received`` leaves them out.
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


def ping_requests(text: str, *, flavor: PingFlavor, sent: int) -> list[Request]:
    """The requests of one run in sequence order (``sent``: ping's own count, or the
    requests asked for when it printed none)."""
    if flavor is PingFlavor.WINDOWS:
        got = [
            Request(REPLY, True, float(m["ms"]), size=int(m["size"]))
            for m in map(_WINDOWS_REPLY.match, text.splitlines())
            if m
        ]
        lost = Request(TIMEOUT, False, cause=TIMEOUT)
        return got + [lost] * max(0, sent - len(got))
    by_seq: dict[int, Request] = {}
    for line in text.splitlines():
        line = line.rstrip("\r")
        if "DUP!" in line:
            continue
        if m := _REPLY.match(line):
            request = Request(REPLY, True, float(m["ms"]), size=int(m["size"]))
            by_seq.setdefault(int(m["seq"]), request)
        elif m := _ERROR.match(line):
            cause = m["cause"].strip()
            by_seq.setdefault(int(m["seq"]), Request(UNREACHABLE, False, cause=cause))
    first = 1 if flavor is PingFlavor.IPUTILS else 0
    last = max([first + sent - 1, *by_seq])
    return [
        by_seq.get(seq, Request(TIMEOUT, False, cause=TIMEOUT)) for seq in range(first, last + 1)
    ]
