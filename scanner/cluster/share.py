"""One share of a tree walk, read on a worker by the anyio engine itself.

A share is a list of directories and a time budget. The worker runs the tree engine
(:class:`scanner.fs.engine.Walker`, with its tuner and worker threads) on those directories,
so that one task keeps as many metadata calls in flight as the file system rewards — one on
a warm local disk, dozens on NFS — and a cluster needs a task per worker and per
``share_seconds``, not one per thread and per directory (a task costs the scheduler and the
client milliseconds of CPU). :class:`ShareExecutor` is the engine's batch executor for it:

* every batch runs :func:`scanner.fs._unit.scan_batch` in a worker thread with a budget that
  never stops *inside* a directory (an open scandir iterator cannot travel to another
  process: a directory is finished where it started);
* once the share's time is up (or it holds its maximum of listed entries: what a result
  holds is what the client holds while it is in flight), batches read nothing: their
  directories are set aside and go back to the client as the share's frontier;
* a batch starts reading only while the share's time also covers the directories already
  open in it: a directory, once opened, is finished in this task however long it takes, so
  a share that opened more than its time allows runs over it (on a slow file system, where
  the engine's threads each hold a directory open, by seconds: the reading of every one of
  them shares the mount's bandwidth, which one large directory then holds for all). How long
  a directory takes comes from the share's own pace (directories finished per second since
  it started, all its threads together), or the worker's previous shares' before it has
  finished one (:class:`Pace`); a share always reads at least one batch (``_FIRST_SECONDS``),
  so every share makes progress;
* everything the batches found is gathered into one result for the client (the engine's
  own report is not used: the client merges).

The tuner's estimates and the pace are kept per worker process from one share to the next
(keyed by the walk's config), so a share does not start from one thread again on a slow file
system, nor open directories at once that it cannot finish in its time. Only these
performance hints survive a task; results are returned, never kept.
"""

from __future__ import annotations

import heapq
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Final

import anyio
import anyio.to_thread

from scanner.fs._unit import scan_batch
from scanner.fs.batch import BatchResult, Budget, DirTask, SharedState
from scanner.fs.config import WalkConfig
from scanner.fs.engine import Walker
from scanner.fs.tuner import Tuner

_NO_LIMIT: Final = sys.maxsize
#: Walk configs whose tuner and pace a worker process keeps (the ones seen recently).
_KEPT: Final = 4
#: The least time a share's batches get until it has read a directory (the in-process
#: engine's first budget), so that every share makes progress.
_FIRST_SECONDS: Final = 0.02
#: Weight of a share's pace in the worker's (the rest: the shares before it).
_PACE_ALPHA: Final = 0.5
#: The list fields of ``BatchResult`` a share gathers from its batches.
_LISTS: Final = (
    "errors", "entries", "frontier", "links", "deferred", "skipped_mounts", "merged_roots",
    "dir_new", "dir_links",
)  # fmt: skip


class Pace:
    """Directories a share of this worker finishes per second (all its threads together),
    smoothed over its shares: what a share expects before it has finished one of its own."""

    def __init__(self, rate: float | None = None) -> None:
        self.rate = rate

    def observe(self, dirs: int, seconds: float) -> None:
        """Fold in a share that finished ``dirs`` directories in ``seconds``."""
        if dirs <= 0 or seconds <= 0:
            return
        rate = dirs / seconds
        self.rate = rate if self.rate is None else self.rate + _PACE_ALPHA * (rate - self.rate)


_kept: OrderedDict[WalkConfig, tuple[Tuner, Pace]] = OrderedDict()
_kept_lock = threading.Lock()


def whole_directories(seconds: float) -> Budget:
    """A work-unit budget of ``seconds`` that is only checked between directories: an open
    scandir iterator cannot travel to another process, so a directory is finished where it
    was opened."""
    return Budget(max_entries=_NO_LIMIT, max_seconds=seconds, check_every=_NO_LIMIT)


def _kept_for(cfg: WalkConfig) -> tuple[Tuner, Pace]:
    with _kept_lock:
        kept = _kept.pop(cfg, None)
        if kept is None:
            kept = (Tuner(pinned=cfg.workers, max_workers=cfg.max_workers), Pace())
        _kept[cfg] = kept
        while len(_kept) > _KEPT:
            _kept.popitem(last=False)
        return kept


class ShareExecutor:
    """The engine's batch executor for one share (see the module docstring). ``pace`` is
    the worker's (what the share expects before it has a pace of its own); ``clock`` is
    what the share's time is read from (a test's own clock)."""

    def __init__(
        self,
        tasks: list[DirTask],
        cfg: WalkConfig,
        seconds: float,
        max_entries: int = _NO_LIMIT,
        *,
        pace: Pace | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tasks = tasks
        self._clock = clock
        self.started = clock()
        self.deadline = self.started + seconds
        self.max_entries = max_entries
        self.pace = pace if pace is not None else Pace()
        #: what every batch found (the frontier aside)
        self.found = BatchResult()
        #: directories the share had no time left for
        self.unread: list[DirTask] = []
        #: batches reading now (each with at most one directory open)
        self.reading = 0
        self._threads = anyio.CapacityLimiter(max(cfg.max_workers, cfg.workers or 1))
        self._largest = cfg.largest

    @property
    def slots(self) -> int | None:
        """None: the tuner decides, as in one process."""
        return None

    @property
    def spread(self) -> int | None:
        """None: as in one process."""
        return None

    @property
    def oldest(self) -> int:
        """0: as in one process."""
        return 0

    async def roots(self, config: WalkConfig, shared: SharedState) -> BatchResult:
        """The share's directories are the first frontier."""
        return BatchResult(frontier=list(self.tasks))

    def rate(self) -> float | None:
        """Directories per second: the share's own once it has finished one, else the
        worker's (None: not known yet)."""
        if self.found.dirs_read:
            elapsed = self._clock() - self.started
            if elapsed > 0:
                return self.found.dirs_read / elapsed
        return self.pace.rate

    def seconds_for_batch(self, budget: Budget) -> float | None:
        """How long the next batch may open directories, or None: it must read nothing.

        The share's first batch reads (for at least ``_FIRST_SECONDS``: every share makes
        progress). Any other batch opens directories only while the time left covers them
        and those already open in the share's running batches, at the share's pace; with
        no pace known yet, only when no batch is reading (one directory at a time)."""
        left = self.deadline - self._clock()
        if not self.found.dirs_read and not self.reading:
            return max(min(budget.max_seconds, left), _FIRST_SECONDS)
        if left <= 0 or len(self.found.entries) >= self.max_entries:
            return None
        rate = self.rate()
        if rate is None:
            return None if self.reading else min(budget.max_seconds, left)
        room = left - (self.reading + 1) / rate
        if room <= 0:
            return None
        return min(budget.max_seconds, room)

    async def batch(
        self, tasks: list[DirTask], config: WalkConfig, budget: Budget, shared: SharedState
    ) -> BatchResult:
        """``scan_batch`` in a worker thread, never stopping inside a directory, for as long
        as :meth:`seconds_for_batch` allows; nothing when it allows no time."""
        seconds = self.seconds_for_batch(budget)
        if seconds is None:
            self.unread += tasks
            return BatchResult()
        self.reading += 1
        try:
            res = await anyio.to_thread.run_sync(
                scan_batch, tasks, config, whole_directories(seconds), shared,
                limiter=self._threads,
            )  # fmt: skip
        finally:
            self.reading -= 1
        self._gather(res)
        return res

    def finish(self) -> BatchResult:
        """What the share read, its frontier the directories it set aside; the worker's
        pace learns the share's."""
        self.pace.observe(self.found.dirs_read, self._clock() - self.started)
        res = self.found
        res.frontier = self.unread
        return res

    def _gather(self, res: BatchResult) -> None:
        frontier, res.frontier = res.frontier, []
        add_result(self.found, res, self._largest)
        res.frontier = frontier  # the engine's, to hand out


def add_result(into: BatchResult, res: BatchResult, largest: int) -> None:
    """Add everything ``res`` found to ``into`` (its frontier and deferred directories too;
    ``largest`` bounds the heap of largest files). Every field of ``BatchResult`` that a
    work unit fills is added here: a share must hand back all its batches found."""
    into.totals.add(res.totals)
    for ext, (files, nbytes) in res.extensions.items():
        slot = into.extensions.get(ext)
        if slot is None:
            into.extensions[ext] = [files, nbytes]
        else:
            slot[0] += files
            slot[1] += nbytes
    heap = into.largest
    for item in res.largest:
        if len(heap) < largest:
            heapq.heappush(heap, item)
        elif item > heap[0]:
            heapq.heapreplace(heap, item)
    for name in _LISTS:
        getattr(into, name).extend(getattr(res, name))
    for owner, counts in res.dir_counts.items():
        have = into.dir_counts.get(owner)
        if have is None:
            into.dir_counts[owner] = list(counts)
        else:
            for i, n in enumerate(counts):
                have[i] += n
    into.reached_twice += res.reached_twice
    into.dirs_read += res.dirs_read
    into.calls += res.calls
    into.wall += res.wall
    into.cpu += res.cpu


def read_share(
    tasks: list[DirTask],
    cfg: WalkConfig,
    seconds: float,
    max_entries: int = _NO_LIMIT,
    state: SharedState | None = None,
) -> BatchResult:
    """Read ``tasks`` for about ``seconds`` (and about ``max_entries`` listed entries: a
    directory is always finished) with the anyio engine, its work units sharing ``state``
    (the walk's roots and pseudo mounts); the result holds what was read and, as
    ``frontier``, the directories not reached (none of them open)."""
    tuner, pace = _kept_for(cfg)
    executor = ShareExecutor(tasks, cfg, seconds, max_entries, pace=pace)
    walker = Walker(cfg, executor=executor)
    if state is not None:
        walker.shared = state
    walker.tuner = tuner
    anyio.run(walker.run)
    return executor.finish()
