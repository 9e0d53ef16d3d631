"""The comparison's data: what one cell is, what one run measured, what a cell summed up to.

A *cell* is one point of the comparison grid: a workload (walk, zip, ping) on one scenario
(a tree, a lab) at one size, scheduled by one variant at one concurrency cap. Every field is
plain JSON data so that a cell can be shipped to a fresh worker process on stdin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

#: The variant every speedup is measured against.
BASELINE_VARIANT = "sequential"


@dataclass(frozen=True, slots=True)
class Cell:
    """One point of the grid; all runs of a cell are repetitions of the same work."""

    workload: str  # registry name ("walk", "zip", "ping") or "module:attribute"
    variant: str  # "anyio-asyncio", "anyio-trio", "threads", "thread-per-task", "sequential"
    scenario: str  # what the work runs on: "tree", "slowfs", "zip-corpus", "ping-fake", ...
    size: int  # the scaling axis: files, archives or hosts
    concurrency: int  # the explicit cap every variant honours (sequential is always 1)
    params: Mapping[str, Any] = field(default_factory=dict)  # JSON: paths, latency, ...

    @property
    def group(self) -> tuple[str, str, int]:
        """Cells in one group do the same work and must produce the same result."""
        return (self.workload, self.scenario, self.size)

    @property
    def key(self) -> str:
        """A stable, readable identifier."""
        return f"{self.workload}/{self.scenario}/{self.size}/{self.variant}/c{self.concurrency}"

    @property
    def label(self) -> str:
        """What people read: ``anyio-asyncio c=8``, with ``n=SIZE`` when there is a size."""
        text = f"{self.variant} c={self.concurrency}"
        return f"{text} n={self.size:,}" if self.size else text

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (what the worker receives)."""
        data = asdict(self)
        data["params"] = dict(self.params)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cell:
        """Inverse of :meth:`to_dict`."""
        return cls(
            workload=str(data["workload"]),
            variant=str(data["variant"]),
            scenario=str(data["scenario"]),
            size=int(data["size"]),
            concurrency=int(data["concurrency"]),
            params=dict(data.get("params") or {}),
        )


@dataclass(frozen=True, slots=True)
class RunMetrics:
    """What one timed run of one cell cost (measured inside the worker process)."""

    wall_s: float  # wall time of the work only (no interpreter start-up, no setup)
    user_s: float  # user CPU of the process and its reaped children, sampler excluded
    sys_s: float  # system CPU, likewise
    peak_rss_kib: int  # the worker's peak RSS (fresh process, so it is this run's peak)
    children_peak_rss_kib: int  # largest child's peak RSS (ping processes), 0 without children
    peak_threads: int  # most OS threads alive at once, the sampler thread excluded
    ctx_voluntary: int  # voluntary context switches (process + children), sampler excluded
    ctx_involuntary: int  # involuntary context switches, likewise
    base_rss_kib: int = 0  # RSS just before the work: peak - base is what the work added

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunMetrics:
        """Inverse of :meth:`to_dict`."""
        return cls(
            wall_s=float(data["wall_s"]),
            user_s=float(data["user_s"]),
            sys_s=float(data["sys_s"]),
            peak_rss_kib=int(data["peak_rss_kib"]),
            children_peak_rss_kib=int(data["children_peak_rss_kib"]),
            peak_threads=int(data["peak_threads"]),
            ctx_voluntary=int(data["ctx_voluntary"]),
            ctx_involuntary=int(data["ctx_involuntary"]),
            base_rss_kib=int(data.get("base_rss_kib", 0)),
        )


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run as the worker reports it: the metrics plus what the work produced."""

    metrics: RunMetrics
    digest: str  # sha256 of the canonical result (see scanner.compare.digest)
    summary: Mapping[str, Any]  # a few counts for people (files, members, alive hosts ...)
    info: Mapping[str, Any] = field(default_factory=dict)  # e.g. the child watcher in use
    process_s: float = 0.0  # wall time of the whole worker process, as the parent saw it

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "metrics": self.metrics.to_dict(),
            "digest": self.digest,
            "summary": dict(self.summary),
            "info": dict(self.info),
            "process_s": self.process_s,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRecord:
        """Inverse of :meth:`to_dict`."""
        return cls(
            metrics=RunMetrics.from_dict(data["metrics"]),
            digest=str(data["digest"]),
            summary=dict(data.get("summary") or {}),
            info=dict(data.get("info") or {}),
            process_s=float(data.get("process_s") or 0.0),
        )
