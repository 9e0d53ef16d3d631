"""One share of a tree walk, read on a worker by the anyio engine itself.

A share is a list of directories and a time budget. The worker runs the tree engine
(:class:`scanner.fs.engine.Walker`, with its tuner and worker threads) on those directories,
so that one task keeps as many metadata calls in flight as the file system rewards — one on
a warm local disk, dozens on NFS — and a cluster needs a task per worker and per
``share_seconds``, not one per thread and per directory (a task costs the scheduler and the
client milliseconds of CPU). :class:`ShareExecutor` is the engine's batch executor for it:

* every batch runs :func:`scanner.fs._unit.scan_batch` in a worker thread with the tuner's
  budget, cut to the share's time left; inside a directory it reads on past the share's
  time for ``linger`` seconds more (the client says how long: for ever when the cluster
  has one worker thread, nobody to share a directory with);
* once the share's time is up (or it holds its maximum of listed entries: what a result
  holds is what the client holds while it is in flight), batches read nothing: their
  directories are set aside and go back to the client as the share's frontier. A directory
  open then is *drained* (:func:`scanner.fs.listed.drain`): the names not read yet travel
  instead of the iterator, and the client cuts them into pieces for several workers, so a
  huge directory is not one worker's alone;
* everything the batches found is gathered into one result for the client (the engine's
  own report is not used: the client merges).

The tuner's estimates are kept per worker process from one share to the next (keyed by the
walk's config), so a share does not start from one thread again on a slow file system. Only
that performance hint survives a task; results are returned, never kept.
"""

from __future__ import annotations

import heapq
import math
import sys
import threading
import time
from collections import OrderedDict, deque
from typing import Final

import anyio
import anyio.to_thread

from scanner.errors import ItemError
from scanner.fs._unit import scan_batch
from scanner.fs.batch import BatchResult, Budget, DirTask, OpenDir, SharedState, close_tasks
from scanner.fs.config import WalkConfig
from scanner.fs.dirtotals import COUNTS, ERRORS
from scanner.fs.engine import Walker
from scanner.fs.listed import drain
from scanner.fs.tuner import Tuner

_NO_LIMIT: Final = sys.maxsize
#: Tuners kept per worker process (one per walk config seen recently).
_KEPT_TUNERS: Final = 4
#: The least time a share's batches get until it has read a directory (the in-process
#: engine's first budget), so that every share makes progress.
_FIRST_SECONDS: Final = 0.02
#: The list fields of ``BatchResult`` a share gathers from its batches.
_LISTS: Final = (
    "errors", "entries", "frontier", "links", "deferred", "skipped_mounts", "merged_roots",
    "dir_new", "dir_links",
)  # fmt: skip
_tuners: OrderedDict[WalkConfig, Tuner] = OrderedDict()
_tuners_lock = threading.Lock()


def whole_directories(seconds: float) -> Budget:
    """A work-unit budget of ``seconds`` that is only checked between directories: an open
    scandir iterator cannot travel to another process, so a directory is finished where it
    was opened."""
    return Budget(max_entries=_NO_LIMIT, max_seconds=seconds, check_every=_NO_LIMIT)


def _tuner_for(cfg: WalkConfig) -> Tuner:
    with _tuners_lock:
        tuner = _tuners.pop(cfg, None)
        if tuner is None:
            tuner = Tuner(pinned=cfg.workers, max_workers=cfg.max_workers)
        _tuners[cfg] = tuner
        while len(_tuners) > _KEPT_TUNERS:
            _tuners.popitem(last=False)
        return tuner


class ShareExecutor:
    """The engine's batch executor for one share (see the module docstring)."""

    def __init__(
        self,
        tasks: list[DirTask],
        cfg: WalkConfig,
        seconds: float,
        max_entries: int = _NO_LIMIT,
        linger: float = math.inf,
    ) -> None:
        self.tasks = tasks
        self.deadline = time.monotonic() + seconds
        self.max_entries = max_entries
        #: the most names of one directory a share sends back listed
        self.max_names = 4 * max_entries
        self.linger = linger
        #: what every batch found (the frontier aside)
        self.found = BatchResult()
        #: directories the share had no time left for (``listed``: those it had opened)
        self.unread: list[DirTask] = []
        self.listed: list[DirTask] = []
        #: whether a batch has read anything yet
        self.progressed = False
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

    async def roots(self, config: WalkConfig, shared: SharedState) -> BatchResult:
        """The share's directories are the first frontier."""
        return BatchResult(frontier=list(self.tasks))

    async def batch(
        self, tasks: list[DirTask], config: WalkConfig, budget: Budget, shared: SharedState
    ) -> BatchResult:
        """``scan_batch`` in a worker thread for the share's time left; nothing once the
        share's time is up or it holds ``max_entries`` listed entries (its directories are
        set aside, an open one drained)."""
        left = self.deadline - time.monotonic()
        if self.progressed and (left <= 0 or len(self.found.entries) >= self.max_entries):
            res, unread, listed = await anyio.to_thread.run_sync(
                self._set_aside, tasks, config, shared, limiter=self._threads
            )
            # merged here, in the event loop, as every batch's result (no lock needed)
            self.unread += unread
            self.listed += listed
            self._gather(res)
            return res
        # until a batch of the share has run, its batches get at least _FIRST_SECONDS: a
        # share whose time ran out while its event loop started (a short --share-seconds on a
        # busy worker) would hand back its directories unread, and the client would send them
        # again, for ever
        seconds = min(budget.max_seconds, left)
        if not self.progressed:
            seconds = max(seconds, _FIRST_SECONDS)
        # between directories the tuner's time; inside one the share's and ``linger``
        # more: a directory is left part-way only when it would hold the share that much
        # longer (measured on the 1-node lab: batches stopping inside directories every
        # 20 ms, and every directory left at the share's end read again elsewhere, cost
        # 17% of its speed in thread hops and in opening the directory again through a
        # slow file system), and only on time: entries are bounded per share
        budget = Budget(
            max_entries=_NO_LIMIT,
            max_seconds=seconds,
            check_every=budget.check_every,
            inside_seconds=max(left, seconds) + self.linger,
        )
        res = await anyio.to_thread.run_sync(
            scan_batch, tasks, config, budget, shared, limiter=self._threads
        )
        self.progressed = True
        self._gather(res)
        return res

    def _set_aside(
        self, tasks: list[DirTask], config: WalkConfig, shared: SharedState
    ) -> tuple[BatchResult, list[DirTask], list[DirTask]]:
        """``tasks`` set aside for the share's frontier: (what was read, the directories
        not opened, the listed ones). An open directory's rest is listed, up to ``4 *
        max_entries`` names (what a result holds stays bounded, whatever the directory's
        size): past that, the share reads the directory to its end itself, as it did
        before directories were listed (that reading is the result's)."""
        res = BatchResult()
        unread: list[DirTask] = []
        listed: list[DirTask] = []
        finish: list[DirTask] = []
        pending = deque(tasks)
        try:
            while pending:
                task = pending.popleft()
                if not isinstance(task.open, OpenDir):
                    (unread if task.open is None else listed).append(task)
                    continue
                names, rest, error = drain(task, self.max_names)
                if names is not None:
                    listed.append(names)
                if rest is not None:
                    finish.append(rest)
                if error is not None:
                    _count_error(res, error, task.owner)
            if finish:
                # the first is read to its end (a spent budget stops between directories,
                # not before the first task); the others come back open, drained in turn
                to_end = Budget(
                    max_entries=_NO_LIMIT,
                    max_seconds=0.0,
                    check_every=_NO_LIMIT,
                    inside_seconds=math.inf,
                )
                drained, res = res, scan_batch(finish, config, to_end, shared)
                add_result(res, drained, self._largest)
        except BaseException:
            # not a file-system failure (a bug, an interrupt): nothing opened may leak
            close_tasks([*pending, *finish])
            raise
        return res, unread, listed

    def _gather(self, res: BatchResult) -> None:
        frontier, res.frontier = res.frontier, []
        add_result(self.found, res, self._largest)
        res.frontier = frontier  # the engine's, to hand out


def _count_error(res: BatchResult, error: ItemError, owner: str | None) -> None:
    res.errors.append(error)
    res.totals.errors += 1
    if owner is not None:  # per-directory totals: its record's error too
        counts = res.dir_counts.setdefault(owner, [0] * len(COUNTS))
        counts[ERRORS] += 1


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
    *,
    linger: float = math.inf,
) -> BatchResult:
    """Read ``tasks`` for about ``seconds`` (and about ``max_entries`` listed entries,
    checked between directories) with the anyio engine, its work units sharing ``state``
    (the walk's roots and pseudo mounts); the result holds what was read and, as
    ``frontier``, the directories not reached and, listed (:mod:`scanner.fs.listed`), the
    rest of a directory still being read ``linger`` seconds after the share's time (by
    default a directory is finished)."""
    executor = ShareExecutor(tasks, cfg, seconds, max_entries, linger)
    walker = Walker(cfg, executor=executor)
    if state is not None:
        walker.shared = state
    walker.tuner = _tuner_for(cfg)
    anyio.run(walker.run)
    res = executor.found
    # listed directories last, as the client's frontier takes the open kinds
    res.frontier = executor.unread + executor.listed
    return res
