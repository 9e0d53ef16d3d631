"""The values that cross the thread boundary: tasks in, batch results out.

Only these cross it, and only per *batch*: a ``DirTask`` list goes into the work unit, a
``BatchResult`` (partial counts, new frontier, errors, and entries only when asked for) comes
back. Nothing per entry ever waits on the event loop.

A ``DirTask`` may carry an ``OpenDir``: a directory the work unit stopped reading part-way
(its budget ran out, or the walk was stopped). Whoever holds such a task owns the open
directory: the next work unit continues it (and closes it when it is exhausted), or, when a
walk ends early, its scheduler closes it with ``close_tasks``.

``ReportBuilder`` merges batch results into a report and is scheduler-free: the anyio engine
merges batches with it in the event loop; a threaded or sequential variant merges the same
``BatchResult`` objects with it and gets an identical report.
"""

from __future__ import annotations

import heapq
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scanner.errors import ItemError
from scanner.fs.extensions import ExtCounter
from scanner.fs.model import (
    Entry,
    LargeFile,
    MergedRoot,
    SkippedMount,
    Totals,
    WalkReport,
)

if TYPE_CHECKING:
    from scanner.fs.config import WalkConfig
    from scanner.fs.dirtotals import DirTotalsBuilder
    from scanner.fs.ignore import IgnoreStack
    from scanner.fs.listed import ListedDir
    from scanner.fs.mounts import Mount
    from scanner.fs.roots import Root


class OpenDir:
    """A directory read part-way: its ``os.scandir`` iterator and the directory fd its
    entries ``stat`` through. Closed exactly once (``close`` is idempotent)."""

    __slots__ = ("fd", "it")

    def __init__(self, it: os._ScandirIterator[str], fd: int) -> None:
        self.it: os._ScandirIterator[str] | None = it
        self.fd = fd

    def take(self) -> tuple[os._ScandirIterator[str], int]:
        """Hand the iterator and fd over to the work unit that continues the directory
        (this object then owns nothing: closing it is a no-op)."""
        it, self.it = self.it, None
        fd, self.fd = self.fd, -1
        if it is None:
            raise RuntimeError("this directory was already taken or closed")
        return it, fd

    def close(self) -> None:
        """Close the iterator and the fd (a no-op the second time)."""
        it, self.it = self.it, None
        fd, self.fd = self.fd, -1
        close_dir(it, fd)


def close_dir(it: os._ScandirIterator[str] | None, fd: int) -> None:
    """Close a scandir iterator (None: none) and a directory fd (-1: none)."""
    try:
        if it is not None:
            it.close()
    finally:
        if fd >= 0:
            os.close(fd)


def close_tasks(tasks: Iterable[DirTask]) -> None:
    """Close the open directories among ``tasks`` (a walk that ends with a frontier left)."""
    for task in tasks:
        if task.open is not None:
            task.open.close()


@dataclass(frozen=True, slots=True)
class DirTask:
    """A directory still to be read, or (``open`` set) to be read further."""

    path: str
    depth: int
    # where the root-relative part of ``path`` (and of its children's paths) starts
    rel_start: int
    # st_dev of the root, when --one-file-system needs it
    dev: int | None = None
    # (st_dev, st_ino) of this directory and its ancestors, when --follow needs them
    ancestors: frozenset[tuple[int, int]] | None = None
    # set when a work unit stopped part-way through this directory: the next one resumes it
    # (an OpenDir, in this process), or the names another process listed and left to read
    # (a ListedDir: scanner.fs.listed)
    open: OpenDir | ListedDir | None = None
    # per-directory totals: the record this directory's entries are added to (itself down
    # to the depth limit, its ancestor at the limit below it)
    owner: str | None = None
    # --gitignore: the rules in effect for this directory's entries (its own files' rules
    # included once it has been opened, i.e. when ``open`` is set)
    ignore: IgnoreStack | None = None


@dataclass(frozen=True, slots=True)
class Budget:
    """When a work unit must hand back the rest of its stack: after this many entries or
    this many seconds, whichever comes first.

    Checked between directories and, every ``check_every`` entries, inside one: a huge
    directory is then read across several batches (its open iterator handed on as a
    ``DirTask.open``), so a batch never holds more than about ``max_entries`` entries.
    ``check_every`` trades the cost of reading the clock against overshooting the deadline:
    large on a fast disk, 1 when each entry waits on the file system anyway.
    """

    max_entries: int = 256
    max_seconds: float = 0.05
    check_every: int = 256
    #: a later deadline inside a directory (None: ``max_seconds``): a cluster share reads
    #: a directory on past its batch's time, up to the share's end
    inside_seconds: float | None = None


@dataclass(slots=True)
class BatchResult:
    """What one call of the work unit found."""

    totals: Totals = field(default_factory=Totals)
    # raw (case-preserved) extension -> [files, bytes]; folded when merged
    extensions: dict[str, list[int]] = field(default_factory=dict)
    # a min-heap of (size, path): the largest files this batch saw
    largest: list[tuple[int, str]] = field(default_factory=list)
    errors: list[ItemError] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    # directories left unread when the budget ran out: the new frontier
    frontier: list[DirTask] = field(default_factory=list)
    # (st_dev, st_ino, size, path, disk bytes) of every multi-link inode whose bytes this
    # batch counted (the first of its names that ``SharedState.first_link`` saw; path None
    # for what is not a regular file: only its disk bytes count). Rare, so cheap; a
    # scheduler whose work units do not share one ``SharedState`` (a cluster's workers)
    # settles the inodes counted by several of them at merge (``scanner.cluster.links``).
    links: list[tuple[int, int, int, str | None, int]] = field(default_factory=list)
    # --follow, when ``SharedState.first_dir`` leaves the decision to whoever merges (a
    # cluster's client, which alone sees every directory reached): the (st_dev, st_ino) of
    # a directory reached, its task, and its per-directory totals record (path, parent,
    # depth) or None. Read only if its key was not reached before; never set in one process.
    deferred: list[tuple[tuple[int, int], DirTask, tuple[str, str | None, int] | None]] = field(
        default_factory=list
    )
    dirs_read: int = 0
    # per-directory totals: (path, parent record, depth) of each directory record found,
    # counts added to each record by this batch (``dirtotals.COUNTS`` order), and the
    # (st_dev, st_ino, bytes, disk bytes, record) of each name of a multiply-linked inode
    dir_new: list[tuple[str, str | None, int]] = field(default_factory=list)
    dir_counts: dict[str, list[int]] = field(default_factory=dict)
    dir_links: list[tuple[int, int, int, int, str | None]] = field(default_factory=list)
    # pseudo file systems not entered, roots merged into others (roots only)
    skipped_mounts: list[SkippedMount] = field(default_factory=list)
    merged_roots: list[MergedRoot] = field(default_factory=list)
    # directories not read again because the walk had already reached them (--follow)
    reached_twice: int = 0
    # metadata system calls made (scandir + stat), wall and thread CPU seconds: the tuner
    # derives the per-call latency of the file system from them
    calls: int = 0
    wall: float = 0.0
    cpu: float = 0.0


class SharedState:
    """The little state all work units share: hard links seen, and a stop flag.

    The lock is taken only for files with st_nlink > 1 (rare), never on the hot path.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inodes: set[tuple[int, int]] = set()
        self._dirs: set[tuple[int, int]] = set()
        self.stop = False
        # work units running right now (tests check that cancellation leaves none behind)
        self.running = 0
        # mount points below the roots not to enter, as the walk spells their paths
        # (pseudo file systems, with their type; set once by ``root_tasks``)
        self.skip_dirs: dict[str, str] = {}
        # the roots walked (overlaps merged) and the pseudo mounts avoided, set once by
        # ``root_tasks``: --follow asks whether a linked directory is reached without links
        self.roots: list[Root] = []
        self.pseudo: list[Mount] = []

    def first_link(self, dev: int, ino: int) -> bool:
        """True the first time an inode is seen (its bytes count), False after."""
        return self._first(self._inodes, (dev, ino))

    def first_dir(self, dev: int, ino: int) -> bool | None:
        """True the first time a directory is reached (under --follow, where a directory
        can be reached twice: it is read the first time only). None (a subclass: a
        cluster's worker, which does not see what the others reached): not known here,
        the work unit defers the directory to whoever merges (``BatchResult.deferred``)."""
        return self._first(self._dirs, (dev, ino))

    def _first(self, seen: set[tuple[int, int]], key: tuple[int, int]) -> bool:
        """Add ``key`` to ``seen`` under the lock: True if it was not there yet."""
        with self._lock:
            if key in seen:
                return False
            seen.add(key)
            return True

    def enter(self) -> None:
        """A work unit started."""
        with self._lock:
            self.running += 1

    def leave(self) -> None:
        """A work unit finished."""
        with self._lock:
            self.running -= 1


class ReportBuilder:
    """Merges ``BatchResult`` objects into a ``WalkReport`` (memory bounded: counts, a
    bounded heap, a bounded error list)."""

    def __init__(self, config: WalkConfig) -> None:
        self.config = config
        self.report = WalkReport(
            roots=config.roots, extensions=ExtCounter(case_sensitive=config.case_sensitive)
        )
        self._heap: list[tuple[int, str]] = []
        self._dirs: DirTotalsBuilder | None = None
        if config.dir_totals is not None:  # scanner du
            from scanner.fs.dirtotals import DirTotalsBuilder

            self._dirs = DirTotalsBuilder(config.dir_totals, disk_usage=config.disk_usage)

    def merge(self, res: BatchResult) -> None:
        """Add one batch's counts, largest files and errors."""
        report = self.report
        report.totals.add(res.totals)
        if self._dirs is not None:
            self._dirs.merge(res)
        if res.skipped_mounts:
            report.skipped_mounts.extend(res.skipped_mounts)
        if res.merged_roots:
            report.merged_roots.extend(res.merged_roots)
        report.reached_twice += res.reached_twice
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

    def finish(
        self, elapsed: float, *, interrupted: bool = False, final: bool = True
    ) -> WalkReport:
        """Set the final fields (callable more than once: progress reads the live report
        with ``final=False``, which leaves out the per-directory roll-up)."""
        report = self.report
        report.largest = [
            LargeFile(path, size) for size, path in sorted(self._heap, key=_largest_first)
        ]
        report.elapsed = elapsed
        report.interrupted = interrupted
        if final and self._dirs is not None:
            report.dirs = self._dirs.finish()
        return report


def _largest_first(item: tuple[int, str]) -> tuple[int, str]:
    return -item[0], item[1]
