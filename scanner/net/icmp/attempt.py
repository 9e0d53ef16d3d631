"""One attempt at one host of the ICMP prober: its requests, what came back, its result
(the same ``HostResult`` a ``ping`` child gives, field for field)."""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Callable

from scanner.net.fastnew import positional_new
from scanner.net.model import HostResult, HostState
from scanner.net.replies import REPLY, UNREACHABLE, Request
from scanner.net.replies import TIMEOUT as LOST
from scanner.quantiles import percentiles

#: ``HostResult`` with every field given (a /16 makes 65,534 of them).
_new_result = positional_new(HostResult)
_ALIVE = HostState.ALIVE
_monotonic = time.monotonic


def packed_address(address: str) -> tuple[int, bytes]:
    """(4 or 6, packed address) of an address literal (an IPv6 zone is not part of it)."""
    if ":" in address:
        return 6, socket.inet_pton(socket.AF_INET6, address.partition("%")[0])
    return 4, socket.inet_pton(socket.AF_INET, address)


class Attempt:
    """One attempt at one host: its requests, what came back, when it ends.

    A /16 makes 65,534 of them, most of which send one request, get its reply and end:
    ``__init__`` sets only what every attempt needs (positional arguments: keywords cost
    a dictionary a call), and what most never change (no error, no duplicate, the default
    timeout) stays the class's default until an attempt changes it for itself."""

    #: Sequence number -> sending index (only when requests are reported).
    order: dict[int, int]
    #: Requests reported so far (they are reported in sending order).
    reported: int = 0
    finished = False
    sent = 0
    duplicates = 0
    errors = 0
    icmp_cause: str | None = None
    local_cause: str | None = None
    local_state = HostState.UNREACHABLE
    ttl: int | None = None
    first_sent = 0.0
    expire_at = math.inf
    why_expired = "timeout"

    def __init__(  # noqa: PLR0917  (positional: called once a host)
        self,
        target: str,
        address: str,
        key: bytes,
        count: int,
        done: Callable[[Attempt, HostResult], None],
        tag: object = None,
        attempt: int = 1,
        started: float | None = None,
        on_request: Callable[[Request], None] | None = None,
    ) -> None:
        self.target = target
        self.address = address
        self.key = key
        self.count = count
        #: Called with this attempt and its result when it is over.
        self.done = done
        #: The submitter's name for this host (the sweep's key), given back through ``done``.
        self.tag = tag
        self.attempt = attempt
        self.started = started
        self.on_request = on_request
        if on_request is not None:
            self.order = {}
        self.seqs: dict[int, int | None] = {}  # sequence -> send time (ns); None once answered
        self.rtts: list[float] = []

    def settle(self, seq: int, request: Request) -> None:
        """Report ``request`` (the outcome of ``seq``) and, before it, the earlier requests
        still unanswered as lost; nothing when ``seq`` was reported lost already."""
        on_request = self.on_request
        if on_request is None:
            return
        index = self.order.get(seq)
        if index is None or index < self.reported:
            return
        while self.reported < index:
            on_request(Request(LOST, False, cause=LOST))
            self.reported += 1
        on_request(request)
        self.reported += 1

    def settled(self) -> list[Request]:
        """Its requests answered or failed so far, all of them once it is over (what an
        interrupted sweep sums up; no order kept: the counts and RTTs are what matter)."""
        out = [Request(REPLY, True, rtt) for rtt in self.rtts]
        unanswered = self.sent - len(self.rtts)
        if not self.finished:  # those a later answer overtook, as the reply lines read
            unanswered = gap = 0
            for sent_ns in self.seqs.values():
                if sent_ns is None:
                    unanswered, gap = unanswered + gap, 0
                else:
                    gap += 1
        failed = min(self.errors, unanswered)
        out += [Request(UNREACHABLE, False, cause=self.icmp_cause)] * failed
        out += [Request(LOST, False, cause=self.why_expired)] * (unanswered - failed)
        return out

    def settle_rest(self) -> None:
        """At the end: every request not reported yet was lost."""
        if self.on_request is None:
            return
        while self.reported < self.sent:
            self.on_request(Request(LOST, False, cause=self.why_expired))
            self.reported += 1

    def result(self) -> HostResult:
        """The attempt as the same record a ``ping`` child gives (built directly: this runs
        once per host of a /16, so no intermediate ``PingStats``)."""
        rtts = self.rtts
        received = len(rtts)
        elapsed = 0.0
        if self.started is not None:  # to the microsecond, without round()'s float formatting
            elapsed = int((_monotonic() - self.started) * 1e6 + 0.5) / 1e6
        if received == 1 and self.sent == 1:  # most hosts of a sweep: one request, answered
            rtt = rtts[0]
            return _new_result(
                self.target, self.address, _ALIVE, None, 1, 1, 0.0,
                rtt, rtt, rtt, 0.0, None, self.attempt, elapsed, (),
            )  # fmt: skip
        if not received:
            if self.local_cause is not None:
                state, cause = self.local_state, self.local_cause
            else:
                state, cause = HostState.UNREACHABLE, self.icmp_cause or self.why_expired
            return _new_result(
                self.target, self.address, state, cause, self.sent, 0, 100.0,
                None, None, None, None, None, self.attempt, elapsed, (),
            )  # fmt: skip
        if received == 1:
            low = avg = high = rtts[0]
            mdev = 0.0
        else:
            low, high = min(rtts), max(rtts)
            avg = round(sum(rtts) / received, 3)
            mdev = _mdev(rtts)
        # every field in order, without the frozen __init__ (see scanner.net.fastnew)
        return _new_result(
            self.target,
            self.address,
            HostState.ALIVE,
            None,  # cause
            self.sent,
            received,
            _loss(self.sent, received),
            low,  # rtt_min
            avg,
            high,
            mdev,
            percentiles(rtts) if received > 1 else None,
            self.attempt,
            elapsed,
            (),  # ports
        )


def _loss(sent: int, received: int) -> float:
    if sent == received:
        return 0.0
    # as the ping parser reads iputils' "%g" (six significant digits)
    return float(f"{(sent - min(received, sent)) * 100.0 / sent:.6g}") if sent else 100.0


def _mdev(values: list[float]) -> float:
    """iputils' mdev: sqrt(mean(x^2) - mean(x)^2)."""
    mean = sum(values) / len(values)
    square = sum(v * v for v in values) / len(values)
    return round(math.sqrt(max(0.0, square - mean * mean)), 3)


__all__ = ["Attempt", "packed_address"]
