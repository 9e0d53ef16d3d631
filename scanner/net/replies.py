"""Per-request records: one per echo request or TCP connect, as its answer (or its timeout)
arrives — the lines of ``fping -c`` and ``fping -l``.

A probe says what became of each request by calling :func:`report` with a :class:`Request`.
The sweep engine installs a sink per host (a context variable, so the ``Probe`` protocol stays
``probe(target, address)`` and a probe that reports nothing still works: the engine then
reports its one-request rounds for it). The engine's :class:`HostTally` numbers the requests
(per port for TCP), keeps the running figures a reply line shows (sent, received, average,
loss), and folds everything it saw into a ``HostResult`` — for ``--loop`` runs, and for hosts
still being probed when a run is interrupted.

The folding rules are the TCP probe's too (:func:`port_result`, :func:`host_from_ports`), so a
host reads the same whether its figures came from one probe call or from many rounds.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from scanner.net.model import HostResult, HostState, PortResult, PortState
from scanner.net.rttstats import loss_pct, rtt_figures

#: Outcomes of an echo request (TCP connects use the port states: open, closed, ...).
REPLY = "reply"
TIMEOUT = "timeout"
UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class Request:
    """What became of one request, as a probe reports it."""

    #: ``reply``, ``timeout`` or ``unreachable`` for echo requests; a port state for TCP.
    outcome: str
    #: An answer came back from the host (an echo reply; a TCP accept or refusal).
    answered: bool
    rtt_ms: float | None = None
    #: The TCP port connected to (None for echo requests).
    port: int | None = None
    #: Bytes of the echo reply (None for TCP, or when not known).
    size: int | None = None
    #: Why there was no answer ("timeout", "Connection refused", an ICMP error).
    cause: str | None = None


def stand_in(result: HostResult) -> Request:
    """The one request of a result whose probe reported none (sent one, no ports): so that
    reply lines show every host."""
    answered = result.state is HostState.ALIVE
    rtt = result.rtt_avg if answered else None
    return Request(REPLY if answered else TIMEOUT, answered, rtt, cause=result.cause)


#: Columns of a ``reply`` record, in output order.
REPLY_RECORD_FIELDS: Final[tuple[str, ...]] = (
    "target",
    "address",
    "port",
    "seq",
    "outcome",
    "bytes",
    "rtt_ms",
    "cause",
    "sent",
    "received",
    "loss_pct",
    "avg_ms",
)


@dataclass(frozen=True, slots=True)
class Reply:
    """One request of one host (and port), numbered from 0, with the running figures of
    that host (and port) so far: the ``reply`` record and line."""

    target: str
    address: str | None
    port: int | None
    seq: int
    outcome: str
    answered: bool
    size: int | None
    rtt_ms: float | None
    cause: str | None
    sent: int
    received: int
    loss_pct: float
    avg_ms: float | None

    def as_row(self) -> dict[str, Any]:
        """Values keyed by :data:`REPLY_RECORD_FIELDS`."""
        return {
            "target": self.target,
            "address": self.address,
            "port": self.port,
            "seq": self.seq,
            "outcome": self.outcome,
            "bytes": self.size,
            "rtt_ms": self.rtt_ms,
            "cause": self.cause,
            "sent": self.sent,
            "received": self.received,
            "loss_pct": self.loss_pct,
            "avg_ms": self.avg_ms,
        }


ReplySink = Callable[[Request], Awaitable[None]]

_SINK: ContextVar[ReplySink | None] = ContextVar("scanner_reply_sink", default=None)
#: Whether the sink wants each request as it happens (reply lines) or may get a run's
#: requests when it ends (a tally for the result, loop rounds, an interrupted summary).
_LIVE: ContextVar[bool] = ContextVar("scanner_reply_live", default=False)


async def report(request: Request) -> None:
    """Report one request of the host being probed (nothing happens outside a sweep)."""
    sink = _SINK.get()
    if sink is not None:
        await sink(request)


def reporting() -> bool:
    """True when :func:`report` goes somewhere (a probe may skip building its requests)."""
    return _SINK.get() is not None


def reporting_live() -> bool:
    """True when :func:`report` should be called as each request is settled (reply lines
    are shown); False when a probe may report a run's requests once it is over (parsing a
    ``ping``'s lines as they come costs CPU per line: a flooding child's megabyte of them)."""
    return _SINK.get() is not None and _LIVE.get()


@contextmanager
def reporting_to(sink: ReplySink, *, live: bool = True) -> Iterator[None]:
    """Send the requests :func:`report` sees in this task (and the tasks it starts) to
    ``sink``; ``live`` says whether it wants them as they happen (:func:`reporting_live`)."""
    token = _SINK.set(sink)
    live_token = _LIVE.set(live)
    try:
        yield
    finally:
        _LIVE.reset(live_token)
        _SINK.reset(token)


@dataclass
class RequestCounts:
    """What a series of requests (of one host, or one port) came to, in little memory per
    request (the RTT of an answer; a loop may run for days)."""

    sent: int = 0
    received: int = 0
    #: RTTs of the answered requests (milliseconds).
    rtts: array[float] = field(default_factory=lambda: array("d"))
    #: Each outcome seen, with the last cause given for it.
    causes: dict[str, str | None] = field(default_factory=dict)
    #: The last cause given for any request.
    last_cause: str | None = None
    #: Sum of ``rtts`` (the running average of reply lines).
    rtt_sum: float = 0.0

    def add(self, request: Request) -> None:
        """Count one request."""
        self.sent += 1
        if request.answered:
            self.received += 1
            if request.rtt_ms is not None:
                self.rtts.append(request.rtt_ms)
                self.rtt_sum += request.rtt_ms
        self.causes[request.outcome] = request.cause
        if request.cause:
            self.last_cause = request.cause


class LiveHost(Protocol):
    """A host not handed over yet, as an interrupted sweep sums it up."""

    @property
    def sent(self) -> int:
        """Requests answered or lost so far (0: nothing to sum up)."""
        ...

    def result(self) -> HostResult:
        """The host as far as its requests went."""
        ...


class Settled:
    """A host whose result is known but was not handed over when the sweep stopped."""

    def __init__(self, result: HostResult) -> None:
        self._result = result

    @property
    def sent(self) -> int:
        """The result's requests."""
        return self._result.sent

    def result(self) -> HostResult:
        """The result."""
        return self._result


class HostTally:
    """Everything reported for one host: numbers the requests and folds them into a result."""

    def __init__(self, target: str, address: str | None = None) -> None:
        self.target = target
        self.address = address
        self.started = time.monotonic()
        #: Probe calls made for this host (retries; rounds of a loop).
        self.attempts = 0
        self._series: dict[int | None, RequestCounts] = {}

    @property
    def sent(self) -> int:
        """Requests reported so far (over every port)."""
        return sum(s.sent for s in self._series.values())

    def count(self, request: Request) -> RequestCounts:
        """Count ``request`` (no reply record: where none is written); its series."""
        series = self._series.get(request.port)
        if series is None:
            series = self._series[request.port] = RequestCounts()
        series.add(request)
        return series

    def add(self, request: Request) -> Reply:
        """Count ``request``; its reply record."""
        series = self.count(request)
        timed = len(series.rtts)
        return Reply(
            target=self.target,
            address=self.address,
            port=request.port,
            seq=series.sent - 1,
            outcome=request.outcome,
            answered=request.answered,
            size=request.size,
            rtt_ms=request.rtt_ms,
            cause=request.cause,
            sent=series.sent,
            received=series.received,
            loss_pct=loss_pct(series.sent, series.received),
            avg_ms=round(series.rtt_sum / timed, 3) if timed else None,
        )

    def result(self, *, attempts: int | None = None, elapsed_s: float | None = None) -> HostResult:
        """The host as everything reported so far shows it (``attempts``: the probe calls
        counted in :attr:`attempts`, ``elapsed_s``: since the tally was made, unless given)."""
        if attempts is None:
            attempts = max(1, self.attempts)
        if elapsed_s is None:
            elapsed_s = round(time.monotonic() - self.started, 6)
        ports = [port_result(port, s) for port, s in self._series.items() if port is not None]
        if ports:
            rtts = [rtt for s in self._series.values() for rtt in s.rtts]
            return host_from_ports(
                self.target,
                self.address,
                ports,
                rtts=rtts,
                attempts=attempts,
                elapsed_s=elapsed_s,
            )
        counts = self._series.get(None, RequestCounts())
        return _fold(self.target, self.address, counts, attempts=attempts, elapsed_s=elapsed_s)


def _host(
    target: str,
    address: str | None,
    *,
    state: HostState,
    cause: str | None,
    counts: tuple[int, int],
    rtts: Sequence[float],
    **extra: Any,
) -> HostResult:
    sent, received = counts
    figures = rtt_figures(rtts)
    return HostResult(
        target=target,
        address=address,
        state=state,
        cause=cause,
        sent=sent,
        received=received,
        loss_pct=loss_pct(sent, received),
        rtt_min=figures.rtt_min,
        rtt_avg=figures.rtt_avg,
        rtt_max=figures.rtt_max,
        rtt_mdev=figures.rtt_mdev,
        percentiles=figures.percentiles,
        **extra,
    )


def _fold(
    target: str,
    address: str | None,
    counts: RequestCounts,
    *,
    attempts: int,
    elapsed_s: float,
) -> HostResult:
    state, cause = HostState.ALIVE, None
    if not counts.received:
        state, cause = HostState.UNREACHABLE, counts.last_cause or TIMEOUT
    return _host(
        target,
        address,
        state=state,
        cause=cause,
        counts=(counts.sent, counts.received),
        rtts=counts.rtts,
        attempts=attempts,
        elapsed_s=elapsed_s,
    )


def port_result(port: int, counts: RequestCounts) -> PortResult:
    """One port from its connects: open when any completed, else closed when any was
    refused, else error when any could not be tried, else filtered."""
    ranked = (PortState.OPEN, PortState.CLOSED, PortState.ERROR)
    state = next((s for s in ranked if s.value in counts.causes), PortState.FILTERED)
    cause = None if state is PortState.OPEN else counts.causes.get(state.value)
    return PortResult(
        port=port,
        state=state,
        cause=cause or (TIMEOUT if state is PortState.FILTERED else None),
        sent=counts.sent,
        received=counts.received,
        loss_pct=loss_pct(counts.sent, counts.received),
        rtt=rtt_figures(counts.rtts),
    )


def host_from_ports(
    target: str,
    address: str | None,
    ports: Sequence[PortResult],
    *,
    rtts: Sequence[float] | None = None,
    attempts: int = 1,
    elapsed_s: float = 0.0,
) -> HostResult:
    """A host from its ports: alive when any port answered (open or closed, as nmap -sn
    reads a refusal), else an error when a connect could not be tried, else unreachable.
    The host's counts and RTTs are over every connect (``rtts``: the answered ones' RTTs,
    for exact percentiles; else the ports' averages stand in)."""
    states = {p.state for p in ports}
    state, cause = HostState.ALIVE, None
    if not states & {PortState.OPEN, PortState.CLOSED}:
        bad = PortState.ERROR if PortState.ERROR in states else PortState.FILTERED
        state = HostState.ERROR if bad is PortState.ERROR else HostState.UNREACHABLE
        cause = next(p.cause for p in ports if p.state is bad)
    counts = (sum(p.sent for p in ports), sum(p.received for p in ports))
    if rtts is None:
        rtts = [p.rtt_avg for p in ports if p.rtt_avg is not None]
    return _host(
        target,
        address,
        state=state,
        cause=cause,
        counts=counts,
        rtts=rtts,
        attempts=attempts,
        elapsed_s=elapsed_s,
        ports=tuple(ports),
    )


__all__ = [
    "REPLY_RECORD_FIELDS",
    "HostTally",
    "LiveHost",
    "Reply",
    "ReplySink",
    "Request",
    "RequestCounts",
    "Settled",
    "host_from_ports",
    "port_result",
    "report",
    "reporting",
    "reporting_live",
    "reporting_to",
    "stand_in",
]
