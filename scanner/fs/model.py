"""What a walk produces: entries, counts, the largest files and the report.

These are the records every scheduler's result is made of (the anyio engine, the comparison
module's threads and sequential loop, a cluster's workers); how batch results are merged into
a report is ``scanner.fs.batch.ReportBuilder``.
"""

from __future__ import annotations

from collections.abc import Callable
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
    # entries skipped by --gitignore (an ignored directory counts once, not its contents)
    ignored: int = 0
    # allocated blocks * 512 of everything counted, each inode once (only with disk_usage)
    disk_bytes: int = 0

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
        self.ignored += other.ignored
        self.disk_bytes += other.disk_bytes


@dataclass(frozen=True, slots=True)
class LargeFile:
    """One of the largest regular files (a hard-linked file appears once)."""

    path: str
    size: int


@dataclass(frozen=True, slots=True)
class DirTotal:
    """The totals of one directory and of everything below it (``scanner du``).

    Counts follow the walk's rules (filters, hidden, excludes, --gitignore): ``files``,
    ``dirs``, ``symlinks``, ``other`` count the entries below (not the directory itself);
    ``bytes`` is the apparent size of the regular files below, every inode once *within
    this directory* (a file with two names below counts once here, whatever other
    directories its names are in: what ``du`` run on this directory alone reports);
    ``disk_bytes`` the allocated blocks of this directory and everything below (None when
    not measured); ``errors`` what could not be read below (the totals are then a lower
    bound).
    """

    path: str
    depth: int
    # the path of the parent's record, None for a root
    parent: str | None
    files: int = 0
    dirs: int = 0
    symlinks: int = 0
    other: int = 0
    bytes: int = 0
    disk_bytes: int | None = None
    errors: int = 0


#: What ``DirTotals.biggest`` can sort by.
DIR_SORT_KEYS = ("bytes", "disk_bytes", "files")


@dataclass
class DirTotals:
    """Per-directory totals down to ``depth`` below each root, with their tree."""

    depth: int
    disk_usage: bool
    # every directory kept, by path: roots first, then parents before their children
    records: dict[str, DirTotal] = field(default_factory=dict)
    _children: dict[str | None, list[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for path, rec in self.records.items():
            self._children.setdefault(rec.parent, []).append(path)

    @property
    def roots(self) -> list[DirTotal]:
        """The roots' records, in the order of the walk's roots."""
        return [self.records[p] for p in self._children.get(None, [])]

    def children(self, path: str, by: str = "bytes") -> list[DirTotal]:
        """The records of the directories right below ``path``, biggest first."""
        kids = [self.records[p] for p in self._children.get(path, [])]
        kids.sort(key=_sort_key(by))
        return kids

    def biggest(self, by: str = "bytes", top: int | None = None) -> list[DirTotal]:
        """All records, biggest first by ``by`` (``bytes``, ``disk_bytes``, ``files``;
        ties by path), the first ``top`` of them."""
        rows = sorted(self.records.values(), key=_sort_key(by))
        return rows if top is None else rows[:top]


def _sort_key(by: str) -> Callable[[DirTotal], tuple[int, str]]:
    if by not in DIR_SORT_KEYS:
        raise ValueError(f"sort by one of {', '.join(DIR_SORT_KEYS)}, not {by!r}")
    return lambda r: (-(getattr(r, by) or 0), r.path)


@dataclass(frozen=True, slots=True)
class SkippedMount:
    """A pseudo file system mounted below a root and not entered (``pseudo_filesystems``
    off): the mount point is counted as a directory."""

    path: str
    fstype: str


@dataclass(frozen=True, slots=True)
class MergedRoot:
    """A root that lies inside another root (or is the same directory) and was not walked
    on its own: its entries are counted once, as part of ``into``."""

    root: str
    into: str


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
    # per-directory totals (only when the config asks for them; set when the walk ends)
    dirs: DirTotals | None = None
    # pseudo file systems not entered, roots merged into others, and directories reached a
    # second time under --follow (not read again: counted once, as du -L counts them)
    skipped_mounts: list[SkippedMount] = field(default_factory=list)
    merged_roots: list[MergedRoot] = field(default_factory=list)
    reached_twice: int = 0

    @property
    def error_count(self) -> int:
        """All errors, kept or not."""
        return self.totals.errors

    @property
    def entries_per_second(self) -> float:
        """Entries counted per second of elapsed time."""
        return self.totals.entries / self.elapsed if self.elapsed > 0 else 0.0
