"""One attempt at one host of the ICMP prober: its requests, what came back, its result
(the same ``HostResult`` a ``ping`` child gives, field for field)."""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Callable

from scanner.net.model import HostResult, HostState
from scanner.net.replies import TIMEOUT
from scanner.quantiles import percentiles


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
        "notify",
        "outcomes",
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
    ) -> None:
        self.target = target
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
        #: What became of each request, in order, when someone reads them live (reply
        #: lines, ``-l``): (outcome, RTT, cause); ``notify`` is called after each.
        self.outcomes: list[tuple[str, float | None, str | None]] | None = None
        self.notify: Callable[[], None] | None = None

    def note(self, outcome: str, rtt: float | None, cause: str | None) -> None:
        """Record what became of one request (only when someone reads them)."""
        if self.outcomes is not None:
            self.outcomes.append((outcome, rtt, cause))
            if self.notify is not None:
                self.notify()

    def note_unanswered(self) -> None:
        """At the end: the requests that got neither a reply nor an error timed out."""
        if self.outcomes is not None:
            for _ in range(self.sent - len(self.rtts) - self.errors):
                self.note(TIMEOUT, None, self.why_expired)

    def result(self) -> HostResult:
        """The attempt as the same record a ``ping`` child gives (built directly: this runs
        once per host of a /16, so no intermediate ``PingStats``)."""
        rtts = self.rtts
        received = len(rtts)
        elapsed = 0.0 if self.started is None else round(time.monotonic() - self.started, 6)
        if not received:
            if self.local_cause is not None:
                state, cause = self.local_state, self.local_cause
            else:
                state, cause = HostState.UNREACHABLE, self.icmp_cause or self.why_expired
            return HostResult(
                self.target, self.address, state, cause, sent=self.sent,
                attempts=self.attempt, elapsed_s=elapsed,
            )  # fmt: skip
        if received == 1:
            low = avg = high = rtts[0]
            mdev = 0.0
        else:
            low, high = min(rtts), max(rtts)
            avg = round(sum(rtts) / received, 3)
            mdev = _mdev(rtts)
        return HostResult(
            self.target,
            self.address,
            HostState.ALIVE,
            None,
            sent=self.sent,
            received=received,
            loss_pct=_loss(self.sent, received),
            rtt_min=low,
            rtt_avg=avg,
            rtt_max=high,
            rtt_mdev=mdev,
            percentiles=percentiles(rtts) if received > 1 else None,
            attempts=self.attempt,
            elapsed_s=elapsed,
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
