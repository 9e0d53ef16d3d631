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


def packed_address(address: str) -> tuple[int, bytes]:
    """(4 or 6, packed address) of an address literal (an IPv6 zone is not part of it)."""
    if ":" in address:
        return 6, socket.inet_pton(socket.AF_INET6, address.partition("%")[0])
    return 4, socket.inet_pton(socket.AF_INET, address)


class Attempt:
    """One attempt at one host: its requests, what came back, when it ends."""

    __slots__ = (
        "address",
        "attempt",
        "count",
        "done",
        "duplicates",
        "errors",
        "expire_at",
        "finished",
        "first_sent",
        "icmp_cause",
        "key",
        "local_cause",
        "local_state",
        "on_request",
        "order",
        "reported",
        "rtts",
        "sent",
        "seqs",
        "started",
        "started_ns",
        "target",
        "ttl",
        "why_expired",
    )

    def __init__(
        self,
        target: str,
        address: str,
        key: bytes,
        count: int,
        done: Callable[[HostResult], None],
        *,
        attempt: int = 1,
        started: float | None = None,
        on_request: Callable[[Request], None] | None = None,
    ) -> None:
        self.target = target
        self.on_request = on_request
        #: Sequence number -> sending index (only when requests are reported).
        self.order: dict[int, int] = {}
        #: Requests reported so far (they are reported in sending order).
        self.reported = 0
        self.attempt = attempt
        self.started = started
        self.address = address
        self.key = key
        self.count = count
        self.done = done
        self.finished = False
        self.sent = 0
        self.seqs: dict[int, int | None] = {}  # sequence -> send time (ns); None once answered
        self.rtts: list[float] = []
        self.duplicates = 0
        self.errors = 0
        self.icmp_cause: str | None = None
        self.local_cause: str | None = None
        self.local_state = HostState.UNREACHABLE
        self.ttl: int | None = None
        self.first_sent = 0.0
        self.started_ns = 0
        self.expire_at = math.inf
        self.why_expired = "timeout"

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
            elapsed = int((time.monotonic() - self.started) * 1e6 + 0.5) / 1e6
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
