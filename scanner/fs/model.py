"""What a walk produces: entries, counts, the largest files and the report.

These are the records every scheduler's result is made of (the anyio engine, the comparison
module's threads and sequential loop, a cluster's workers); how batch results are merged into
a report is ``scanner.fs.batch.ReportBuilder``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scanner.errors import ItemError
from scanner.fs.extensions import ExtCounter


@dataclass(frozen=True, slots=True)
class Entry:
    """One listed entry.

    ``path`` and ``name`` are ``str`` with undecodable bytes as surrogates (surrogateescape);
    ``type`` is one of ``f d l p s c b ?``; ``size``/``mtime`` are None when not stat()ed.
    ``depth`` is 1 for a root's direct children (0 for a root that is a file).
    """

    path: str
    name: str
    type: str
    depth: int
    size: int | None = None
    mtime: float | None = None


@dataclass(slots=True)
class Totals:
    """Counts of what was seen below the roots (a file root counts as a file)."""

    files: int = 0
    dirs: int = 0
    symlinks: int = 0
    other: int = 0
    bytes: int = 0
    errors: int = 0

    @property
    def entries(self) -> int:
        """Every entry counted."""
        return self.files + self.dirs + self.symlinks + self.other

    def add(self, other: Totals) -> None:
        """Accumulate another set of counts."""
        self.files += other.files
        self.dirs += other.dirs
        self.symlinks += other.symlinks
        self.other += other.other
        self.bytes += other.bytes
        self.errors += other.errors


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
    """How the engine ran (the summary reports the peak concurrency)."""

    #: The most batches that ran at once.
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
