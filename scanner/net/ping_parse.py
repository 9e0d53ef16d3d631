"""Read what one ``ping`` run printed, and say what it means for the host.

:func:`parse_ping_output` turns the C-locale output of any supported ping (iputils,
BusyBox, inetutils, FreeBSD/macOS/NetBSD/OpenBSD, Windows in English) into
:class:`~scanner.net.model.PingStats`; it never raises: output it does not understand
(empty, garbage, a localised ping) gives ``summary_seen=False``. :func:`classify` turns the
stats into a :class:`~scanner.net.model.HostState` and a cause.

What counts as a reply is decided line by line, not from ping's exit status or totals:

* Unix pings print ``64 bytes from A: icmp_seq=N ttl=T time=X ms``; a repeated sequence
  number or ``(DUP!)`` is a duplicate (iputils omits the marker for broadcast replies).
  ICMP errors come as ``From A icmp_seq=N Destination Host Unreachable`` (iputils) or
  ``92 bytes from A: Destination Host Unreachable`` (BSD) and are not replies.
* Windows counts ``Reply from R: Destination host unreachable.`` as *received*, and exits
  0 for it. Only a reply carrying a round-trip time (``time=12ms`` / ``time<1ms``, with
  ``TTL=`` on IPv4; IPv6 replies have no TTL) is an echo reply here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from scanner.net.model import HostState
from scanner.net.ping_cmd import PingFlavor
from scanner.net.ping_stats import PingStats

__all__ = ["classify", "parse_ping_output"]

# --- Unix pings -------------------------------------------------------------------------

# "64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.031 ms" (iputils, BSD, macOS),
# "64 bytes from 127.0.0.1: seq=0 ttl=64 time=0.036 ms" (BusyBox),
# "16 bytes from ::1, icmp_seq=0 hlim=64 time=0.071 ms" (KAME ping6),
# "64 bytes from host (10.0.0.1): icmp_seq=1 ..." (iputils without -n)
_UNIX_FROM: Final = re.compile(
    r"^(?:\[[0-9.]+\] )?\d+ bytes from (?P<src>\S+?)(?: \([^)]*\))?[:,] (?P<rest>.*)$",
)
_SEQ: Final = re.compile(r"\b(?:icmp_seq|icmp_req|seq)=(\d+)")
_TTL: Final = re.compile(r"\b(?:ttl|hlim)=(\d+)")
_TIME: Final = re.compile(r"\btime[=<]\s*([0-9]+(?:\.[0-9]+)?)\s*ms")
# "From 198.18.0.1 icmp_seq=1 Destination Host Unreachable" (iputils)
_UNIX_ERROR: Final = re.compile(r"^From \S+(?: \([^)]*\))?:? (?:icmp_seq=\d+ )?(?P<msg>.+)$")
# "3 packets transmitted, 2 received, +1 duplicates, +4 errors, 33.3333% packet loss, ..."
# "3 packets transmitted, 3 packets received, 0.0% packet loss" (BSD, BusyBox, inetutils)
_UNIX_SUMMARY: Final = re.compile(
    r"^(?P<sent>\d+) packets transmitted, (?P<recv>\d+) (?:packets )?received"
    r"(?P<extra>(?:, \+?\d+ [a-z]+)*)"
    r"(?:, (?P<loss>[0-9.]+)% packet loss)?",
)
_EXTRA: Final = re.compile(r"\+?(\d+) (duplicates|errors|corrupted)")
# "rtt min/avg/max/mdev = 0.031/0.038/0.044/0.005 ms" (iputils),
# "round-trip min/avg/max/stddev = ..." (BSD, macOS), "round-trip min/avg/max = ..." (BusyBox)
_UNIX_RTT: Final = re.compile(
    r"^(?:rtt|round-trip) min/avg/max(?:/[a-z-]+)? = "
    r"(?P<min>[0-9.]+)/(?P<avg>[0-9.]+)/(?P<max>[0-9.]+)(?:/(?P<dev>[0-9.]+))? ?ms",
)
# iputils names itself by argv[0]: "/usr/bin/ping: x: Name or service not known" when run by
# path, as the sweep runs it (without the path every real error was "not understood")
_DIAGNOSTIC: Final = re.compile(r"^(?:\S*/)?(?:ping6?|PING): (?P<msg>.+)$")

# --- Windows ----------------------------------------------------------------------------

_WIN_REPLY: Final = re.compile(r"^Reply from (?P<src>\S+?): (?P<rest>.*)$")
_WIN_TTL: Final = re.compile(r"\bTTL=(\d+)")
_WIN_TIME: Final = re.compile(r"\btime(?P<op>[=<])(?P<ms>\d+)ms")
_WIN_SUMMARY: Final = re.compile(
    r"Packets: Sent = (?P<sent>\d+), Received = (?P<recv>\d+), Lost = (?P<lost>\d+)"
)
_WIN_RTT: Final = re.compile(
    r"Minimum = (?P<min>\d+)ms, Maximum = (?P<max>\d+)ms, Average = (?P<avg>\d+)ms"
)
_WIN_FAILURES: Final = (
    "Request timed out.",
    "Ping request could not find host",
    "PING: transmit failed.",
    "General failure.",
    "Destination host unreachable.",
    "Destination net unreachable.",
)


@dataclass
class _Acc:
    """What the line scan has seen so far."""

    rtts: list[float] = field(default_factory=list)
    seqs: set[int] = field(default_factory=set)
    duplicates: int = 0
    errors: int = 0
    ttl: int | None = None
    sent: int | None = None
    received: int | None = None
    summary_dups: int | None = None
    summary_errors: int | None = None
    rtt: tuple[float, float, float, float | None] | None = None
    error_text: str | None = None
    first_icmp_error: str | None = None

    def reply(self, seq: int | None, ttl: int | None, ms: float | None, dup: bool) -> None:
        if dup or (seq is not None and seq in self.seqs):
            self.duplicates += 1
            return
        if seq is not None:
            self.seqs.add(seq)
        if self.ttl is None:
            self.ttl = ttl
        if ms is not None:
            self.rtts.append(ms)
        else:  # a reply without timing (tiny packets): still a reply
            self.rtts.append(math.nan)

    def icmp_error(self, message: str) -> None:
        self.errors += 1
        if self.first_icmp_error is None:
            self.first_icmp_error = message.strip().rstrip(".")

    def diagnostic(self, message: str) -> None:
        if self.error_text is None:
            self.error_text = message.strip()


def _int(m: re.Match[str] | None) -> int | None:
    return int(m.group(1)) if m else None


def _scan_unix(lines: Sequence[str], acc: _Acc) -> None:
    for line in lines:
        if not line or line.startswith(("PING ", "--- ")):
            continue  # the banner, the blank line, the statistics heading: no pattern's
        m = _UNIX_FROM.match(line)
        if m:
            rest = m.group("rest")
            seq = _SEQ.search(rest)
            if seq is None or not rest.startswith(("icmp_seq", "icmp_req", "seq")):
                acc.icmp_error(rest)  # "92 bytes from R: Destination Host Unreachable"
                continue
            time = _TIME.search(rest)
            acc.reply(
                int(seq.group(1)),
                _int(_TTL.search(rest)),
                float(time.group(1)) if time else None,
                "(DUP!)" in rest,
            )
            continue
        if m := _UNIX_SUMMARY.match(line):
            acc.sent, acc.received = int(m.group("sent")), int(m.group("recv"))
            acc.summary_dups, acc.summary_errors = 0, 0
            for count, kind in _EXTRA.findall(m.group("extra")):
                if kind == "duplicates":
                    acc.summary_dups = int(count)
                elif kind == "errors":
                    acc.summary_errors = int(count)
            continue
        if m := _UNIX_RTT.match(line):
            dev = m.group("dev")
            acc.rtt = (
                float(m.group("min")),
                float(m.group("avg")),
                float(m.group("max")),
                float(dev) if dev is not None else None,
            )
            continue
        if m := _UNIX_ERROR.match(line):
            acc.icmp_error(m.group("msg"))
            continue
        if (m := _DIAGNOSTIC.match(line)) and not m.group("msg").lower().startswith("warning"):
            # "ping: Warning: source address might be selected on device other than ..."
            # says nothing about the host
            acc.diagnostic(m.group("msg"))


def _scan_windows(lines: Sequence[str], acc: _Acc) -> None:
    for line in lines:
        if m := _WIN_REPLY.match(line):
            rest = m.group("rest")
            time = _WIN_TIME.search(rest)
            if time is None:  # "Destination host unreachable.", "TTL expired in transit."
                acc.icmp_error(rest)
                continue
            # "time<1ms": below the 1 ms resolution; Windows' own summary counts it as 0
            ms = 0.0 if time.group("op") == "<" else float(time.group("ms"))
            acc.reply(None, _int(_WIN_TTL.search(rest)), ms, False)
            continue
        if m := _WIN_SUMMARY.search(line):
            acc.sent, acc.received = int(m.group("sent")), int(m.group("recv"))
            continue
        if m := _WIN_RTT.search(line):
            acc.rtt = (float(m.group("min")), float(m.group("avg")), float(m.group("max")), None)
            continue
        stripped = line.strip()
        if stripped.startswith(_WIN_FAILURES) and stripped != "Request timed out.":
            acc.diagnostic(stripped)


def _loss(sent: int, received: int) -> float:
    if sent <= 0:
        return 0.0 if received else 100.0
    # iputils prints "%g": six significant digits (33.3333); BSD/BusyBox print fewer
    return float(f"{(sent - min(received, sent)) * 100.0 / sent:.6g}")


def _mdev(values: Sequence[float]) -> float:
    # iputils' mdev: sqrt(E[x^2] - E[x]^2), the population standard deviation
    mean = sum(values) / len(values)
    return math.sqrt(max(0.0, sum(v * v for v in values) / len(values) - mean * mean))


def parse_ping_output(text: str, *, flavor: PingFlavor, exit_code: int | None) -> PingStats:
    """Parse one run's combined stdout+stderr. Never raises.

    ``exit_code`` is accepted for symmetry with :func:`classify` (a ``None`` means the
    caller killed the child); parsing relies on the text alone, because exit codes differ
    between pings and Windows exits 0 for "Destination host unreachable".
    """
    del exit_code  # see the docstring: the text decides
    lines = [line.rstrip("\r") for line in text.splitlines()]
    acc = _Acc()
    if flavor is PingFlavor.WINDOWS:
        _scan_windows(lines, acc)
    else:
        _scan_unix(lines, acc)

    timed = tuple(v for v in acc.rtts if not math.isnan(v))
    replies = len(acc.rtts)
    summary_seen = acc.sent is not None
    if flavor is PingFlavor.WINDOWS:
        # Windows' "Received" includes unreachable replies: count echo replies ourselves
        sent = acc.sent if acc.sent is not None else replies + acc.errors
        received = replies
        duplicates, errors = 0, acc.errors
    elif summary_seen:
        sent = acc.sent or 0
        received = acc.received or 0
        duplicates = acc.summary_dups or acc.duplicates
        errors = acc.summary_errors if acc.summary_errors else acc.errors
    else:  # no summary (killed, garbage): what the lines showed
        sent = max(replies, len(acc.seqs))
        received = replies
        duplicates, errors = acc.duplicates, acc.errors

    rtt_min = rtt_avg = rtt_max = rtt_mdev = None
    if acc.rtt is not None and received > 0:
        rtt_min, rtt_avg, rtt_max, rtt_mdev = acc.rtt
    elif timed:
        # no summary line (killed early): the same figures from the replies, at ping's
        # own precision of microseconds
        rtt_min, rtt_max = min(timed), max(timed)
        rtt_avg = round(sum(timed) / len(timed), 3)
        rtt_mdev = round(_mdev(timed), 3) if flavor is not PingFlavor.WINDOWS else None

    return PingStats(
        sent=sent,
        received=received,
        duplicates=duplicates,
        errors=errors,
        rtts_ms=timed,
        rtt_min=rtt_min,
        rtt_avg=rtt_avg,
        rtt_max=rtt_max,
        rtt_mdev=rtt_mdev,
        loss_pct=_loss(sent, received),
        ttl=acc.ttl,
        summary_seen=summary_seen,
        error_text=acc.error_text or acc.first_icmp_error,
    )


# --- classification ---------------------------------------------------------------------

_RESOLVE_FAILURES: Final = (
    "unknown host",
    "cannot resolve",
    "name or service not known",
    "temporary failure in name resolution",
    "no address associated",
    "bad address",
    "could not find host",
    "nodename nor servname",
    "hostname nor servname",
    "name does not resolve",
)
_NETWORK_FAILURES: Final = (
    "unreachable",
    "no route to host",
    "host is down",
    "general failure",
    "transmit failed",
    "ttl expired",
    "time to live exceeded",
)


def classify(
    stats: PingStats, exit_code: int | None, flavor: PingFlavor
) -> tuple[HostState, str | None]:
    """The host's state and the cause when it is not alive.

    Any echo reply means ALIVE (also from a run the caller had to kill). Otherwise a name
    that did not resolve is UNRESOLVED, an ICMP error or a network error ("Network is
    unreachable") or plain silence is UNREACHABLE, and output that says nothing we
    understand is ERROR. ``exit_code`` ``None`` or negative means the caller killed the
    child (its deadline passed).
    """
    del flavor  # the parsed stats are already flavor-neutral
    if stats.received > 0:
        return HostState.ALIVE, None
    text = stats.error_text
    lowered = (text or "").lower()
    if text and any(s in lowered for s in _RESOLVE_FAILURES):
        return HostState.UNRESOLVED, text
    if text and any(s in lowered for s in _NETWORK_FAILURES):
        return HostState.UNREACHABLE, text
    killed = exit_code is None or exit_code < 0
    if stats.summary_seen:
        if stats.errors and text:
            return HostState.UNREACHABLE, text
        return HostState.UNREACHABLE, "timeout"
    if killed:
        return HostState.UNREACHABLE, "no reply before the deadline"
    if text:
        return HostState.ERROR, text
    return HostState.ERROR, f"ping output not understood (exit status {exit_code})"
