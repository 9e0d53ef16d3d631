"""The result model of ping sweeps: what one ``ping`` run said, and what we report per host.

:class:`PingStats` is what a parser read from one run's output (pure data, no judgement;
defined in :mod:`scanner.net.ping_stats`, loaded on first use: only the ``ping`` method's
parser builds it); :class:`HostResult` is the per-host outcome the sweep engine streams,
after classification, retries and timing. Both are frozen: results cross task boundaries
and are never mutated.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from scanner.lazy import lazy_attributes
from scanner.net.rttstats import RttFigures
from scanner.output.schema import record
from scanner.quantiles import percentiles

if TYPE_CHECKING:
    from scanner.net.ping_stats import PingStats


class HostState(enum.StrEnum):
    """The outcome for one host (a ``str``: ``HostState.ALIVE == "alive"``)."""

    ALIVE = "alive"  # at least one echo reply came back from the target
    UNREACHABLE = "unreachable"  # no reply: timeout, or an ICMP error from a router
    UNRESOLVED = "unresolved"  # the name did not resolve to an address
    ERROR = "error"  # we could not tell: ping failed to run, crashed, or printed garbage


class PortState(enum.StrEnum):
    """What TCP connects to one port found (nmap's words)."""

    OPEN = "open"  # a connect completed
    CLOSED = "closed"  # refused (RST): the host is up, nothing listens on the port
    FILTERED = "filtered"  # no answer within the timeout, or an ICMP unreachable
    ERROR = "error"  # the connect could not be tried (a local error), see the cause


#: Columns of a host record, in output order (``--csv`` header, table columns).
HOST_RECORD_FIELDS: Final[tuple[str, ...]] = (
    "target",
    "address",
    "state",
    "cause",
    "port",  # --method tcp: one record per host and port; null for the other methods
    "port_state",
    "sent",
    "received",
    "loss_pct",
    "rtt_min_ms",
    "rtt_avg_ms",
    "rtt_max_ms",
    "rtt_mdev_ms",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "attempts",
    "elapsed_s",
)


@dataclass(frozen=True, slots=True)
class HostResult:
    """The per-host outcome of a sweep: one line of output, one JSONL record.

    ``target`` is exactly what the user wrote (a name, an address, or the address an
    expanded CIDR produced); ``address`` is the address pinged (``None`` when the name did
    not resolve). ``cause`` says why a host is not alive (``"timeout"``,
    ``"Destination Host Unreachable"``, ``"Name or service not known"`` ...), ``None``
    when it is. ``percentiles`` (p50/p90/p99 of the RTTs) only when more than one reply
    came back. ``attempts`` counts ping runs including retries.
    """

    target: str
    address: str | None
    state: HostState
    cause: str | None = None
    sent: int = 0
    received: int = 0
    loss_pct: float = 100.0
    rtt_min: float | None = None
    rtt_avg: float | None = None
    rtt_max: float | None = None
    rtt_mdev: float | None = None
    percentiles: dict[str, float] | None = field(default=None, hash=False, compare=True)
    attempts: int = 1
    elapsed_s: float = 0.0
    #: ``--method tcp``: what each port said, in the order given (empty for other methods).
    ports: tuple[PortResult, ...] = field(default=(), hash=False, compare=True)

    @classmethod
    def from_stats(
        cls,
        target: str,
        address: str | None,
        stats: PingStats,
        state: HostState,
        cause: str | None,
        *,
        attempts: int = 1,
        elapsed_s: float = 0.0,
    ) -> HostResult:
        """Build a result from a parsed run (and the classification of that run)."""
        return cls(
            target=target,
            address=address,
            state=state,
            cause=cause,
            sent=stats.sent,
            received=stats.received,
            loss_pct=stats.loss_pct,
            rtt_min=stats.rtt_min,
            rtt_avg=stats.rtt_avg,
            rtt_max=stats.rtt_max,
            rtt_mdev=stats.rtt_mdev,
            percentiles=percentiles(stats.rtts_ms) if len(stats.rtts_ms) > 1 else None,
            attempts=attempts,
            elapsed_s=elapsed_s,
        )

    @property
    def alive(self) -> bool:
        """True when the host answered."""
        return self.state is HostState.ALIVE

    def as_row(self) -> dict[str, Any]:
        """Flat values keyed by :data:`HOST_RECORD_FIELDS` (for CSV and tables)."""
        pct = self.percentiles or {}
        return {
            "target": self.target,
            "address": self.address,
            "state": self.state.value,
            "cause": self.cause,
            "port": None,
            "port_state": None,
            "sent": self.sent,
            "received": self.received,
            "loss_pct": self.loss_pct,
            "rtt_min_ms": self.rtt_min,
            "rtt_avg_ms": self.rtt_avg,
            "rtt_max_ms": self.rtt_max,
            "rtt_mdev_ms": self.rtt_mdev,
            "p50_ms": pct.get("p50"),
            "p90_ms": pct.get("p90"),
            "p99_ms": pct.get("p99"),
            "attempts": self.attempts,
            "elapsed_s": self.elapsed_s,
        }

    def to_record(self) -> dict[str, Any]:
        """The versioned ``"host"`` record for ``--jsonl`` / ``--json``.

        Keys and order are :data:`HOST_RECORD_FIELDS` after ``record`` and
        ``schema_version``; missing values are ``null``, never absent.
        """
        return record("host", **self.as_row())

    def records(self) -> list[HostResult | PortRow]:
        """The output records of this host: itself, or one :class:`PortRow` per port."""
        if not self.ports:
            return [self]
        return [PortRow(self, port) for port in self.ports]


@dataclass(frozen=True, slots=True)
class PortResult:
    """What ``sent`` TCP connects to one port of a host found. ``received`` counts answers
    (accepted or refused); RTTs are milliseconds rounded to the microsecond, like ping's."""

    port: int
    state: PortState
    cause: str | None = None  # why the port is not open ("Connection refused", "timeout")
    sent: int = 0
    received: int = 0
    loss_pct: float = 100.0
    rtt: RttFigures = field(default_factory=RttFigures, hash=False)

    @property
    def rtt_min(self) -> float | None:
        """Fastest answer (ms)."""
        return self.rtt.rtt_min

    @property
    def rtt_avg(self) -> float | None:
        """Mean answer (ms)."""
        return self.rtt.rtt_avg

    @property
    def rtt_max(self) -> float | None:
        """Slowest answer (ms)."""
        return self.rtt.rtt_max


@dataclass(frozen=True, slots=True)
class PortRow:
    """One output record of a TCP probe: the host's fields, with the counts, RTTs and cause
    of one of its ports (the host's ``state`` stays the host's: alive when any port
    answered)."""

    host: HostResult
    port: PortResult

    @property
    def target(self) -> str:
        """The host's target (what ``--alive`` prints)."""
        return self.host.target

    def as_row(self) -> dict[str, Any]:
        """The keys of :meth:`HostResult.as_row`, filled from the port."""
        port = self.port
        pct = port.rtt.percentiles or {}
        return {
            **self.host.as_row(),
            "cause": port.cause if port.state is not PortState.OPEN else self.host.cause,
            "port": port.port,
            "port_state": port.state.value,
            "sent": port.sent,
            "received": port.received,
            "loss_pct": port.loss_pct,
            "rtt_min_ms": port.rtt_min,
            "rtt_avg_ms": port.rtt_avg,
            "rtt_max_ms": port.rtt_max,
            "rtt_mdev_ms": port.rtt.rtt_mdev,
            "p50_ms": pct.get("p50"),
            "p90_ms": pct.get("p90"),
            "p99_ms": pct.get("p99"),
        }


@dataclass
class SweepSummary:
    """Counts so far; updated in place while the sweep runs (progress reads it)."""

    total: int = 0
    alive: int = 0
    unreachable: int = 0
    unresolved: int = 0
    error: int = 0
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    def add(self, result: HostResult) -> None:
        """Count one result."""
        self.total += 1
        if result.state is HostState.ALIVE:
            self.alive += 1
        elif result.state is HostState.UNREACHABLE:
            self.unreachable += 1
        elif result.state is HostState.UNRESOLVED:
            self.unresolved += 1
        else:
            self.error += 1

    def add_all(self, results: Iterable[HostResult]) -> None:
        """Count results (what :meth:`add` does, once a batch)."""
        alive = unreachable = unresolved = error = total = 0
        for result in results:
            total += 1
            state = result.state
            if state is HostState.ALIVE:
                alive += 1
            elif state is HostState.UNREACHABLE:
                unreachable += 1
            elif state is HostState.UNRESOLVED:
                unresolved += 1
            else:
                error += 1
        self.total += total
        self.alive += alive
        self.unreachable += unreachable
        self.unresolved += unresolved
        self.error += error

    @property
    def elapsed_s(self) -> float:
        """Seconds from the start to the end (or to now, while running)."""
        end = time.monotonic() if self.finished is None else self.finished
        return end - self.started

    @property
    def hosts_per_s(self) -> float:
        """Results per second of wall time."""
        elapsed = self.elapsed_s
        return self.total / elapsed if elapsed > 0 else 0.0

    def as_dict(self) -> dict[str, float | int]:
        """Plain values for JSON summaries."""
        return {
            "total": self.total,
            "alive": self.alive,
            "unreachable": self.unreachable,
            "unresolved": self.unresolved,
            "error": self.error,
            "elapsed_s": round(self.elapsed_s, 6),
            "hosts_per_s": round(self.hosts_per_s, 3),
        }


#: ``PingStats`` is the ``ping`` method's: an icmp or tcp sweep never builds its class.
__getattr__ = lazy_attributes(__name__, {"PingStats": "scanner.net.ping_stats"})

__all__ = [
    "HOST_RECORD_FIELDS",
    "HostResult",
    "HostState",
    "PingStats",
    "PortResult",
    "PortRow",
    "PortState",
    "SweepSummary",
]
