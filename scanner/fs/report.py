"""The result of a walk, and the merge of batch results into it.

``ReportBuilder`` is scheduler-free: the anyio engine merges batches with it in the event
loop; a threaded or sequential variant merges the same ``BatchResult`` objects with it and
gets an identical report.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from scanner.errors import ItemError
from scanner.fs.config import WalkConfig
from scanner.fs.extensions import ExtCounter
from scanner.fs.model import BatchResult, Entry, Totals


@dataclass(frozen=True, slots=True)
class LargeFile:
    """One of the largest regular files (a hard-linked file appears once)."""

    path: str
    size: int


@dataclass(frozen=True, slots=True)
class WalkBatch:
    """What the engine hands to an ``on_batch`` consumer, once per work-unit call."""

    # listed entries (only when the config asks for a listing)
    entries: list[Entry]
    errors: list[ItemError]
    # counts of this batch alone
    totals: Totals


@dataclass
class EngineStats:
    """How the engine ran: for ``--verbose`` output, benchmarks and tuning."""

    batches: int = 0
    dirs_read: int = 0
    metadata_calls: int = 0
    peak_workers: int = 0
    # the per-call latency the tuner last estimated (seconds), None before any batch
    latency: float | None = None


@dataclass
class WalkReport:
    """Everything a walk found. Extended by later issues through composition (``scan``'s
    report holds one of these)."""

    roots: tuple[str, ...]
    totals: Totals = field(default_factory=Totals)
    extensions: ExtCounter = field(default_factory=ExtCounter)
    # largest first
    largest: list[LargeFile] = field(default_factory=list)
    # the first ``max_errors_kept`` errors; ``totals.errors`` counts all of them
    errors: list[ItemError] = field(default_factory=list)
    elapsed: float = 0.0
    interrupted: bool = False
    stats: EngineStats = field(default_factory=EngineStats)

    @property
    def error_count(self) -> int:
        """All errors, kept or not."""
        return self.totals.errors

    @property
    def entries_per_second(self) -> float:
        """Entries counted per second of elapsed time."""
        return self.totals.entries / self.elapsed if self.elapsed > 0 else 0.0


class ReportBuilder:
    """Merges ``BatchResult`` objects into a ``WalkReport`` (memory bounded: counts, a
    bounded heap, a bounded error list)."""

    def __init__(self, config: WalkConfig) -> None:
        self.config = config
        self.report = WalkReport(
            roots=config.roots, extensions=ExtCounter(case_sensitive=config.case_sensitive)
        )
        self._heap: list[tuple[int, str]] = []

    def merge(self, res: BatchResult) -> None:
        """Add one batch's counts, largest files and errors."""
        report = self.report
        report.totals.add(res.totals)
        report.extensions.merge_raw(res.extensions)
        room = self.config.max_errors_kept - len(report.errors)
        if room > 0 and res.errors:
            report.errors.extend(res.errors[:room])
        n = self.config.largest
        heap = self._heap
        for item in res.largest:
            if len(heap) < n:
                heapq.heappush(heap, item)
            elif item[0] > heap[0][0]:
                heapq.heapreplace(heap, item)
        stats = report.stats
        stats.batches += 1
        stats.dirs_read += res.dirs_read
        stats.metadata_calls += res.calls

    def finish(self, elapsed: float, *, interrupted: bool = False) -> WalkReport:
        """Set the final fields (callable more than once: progress reads the live report)."""
        report = self.report
        report.largest = [
            LargeFile(path, size) for size, path in sorted(self._heap, key=_largest_first)
        ]
        report.elapsed = elapsed
        report.interrupted = interrupted
        return report


def _largest_first(item: tuple[int, str]) -> tuple[int, str]:
    return -item[0], item[1]
