"""Tree walks on a cluster: a batch executor behind the tree engine's seam.

The engine (``scanner.fs.engine.Walker``) keeps what it always keeps: the frontier of
directories not read yet, the merge into one report, the consumer that streams entries. This
executor only changes where a batch runs: each batch becomes one Dask task
(:func:`scanner.cluster.tasks.walk_share`) that reads its share of directories for a time
budget and returns its counts, extension table, largest-files heap, errors, entries (when
listing), hard-link keys and the directories it did not reach, which go back on the
frontier and out again in later shares. ``slots`` asks the engine for a few shares per worker
thread in flight, so a worker never waits for the client.

What the executor adds on the way back, in the thread that waited for the task:

* hard links counted once across workers (:class:`~scanner.cluster.links.LinkLedger`);
* faults: Dask re-runs the task of a worker that died (its result arrives once: tasks write
  nothing); a share that keeps killing workers (Dask gives up with ``KilledWorker``) is
  run again alone (nothing else in flight: Dask blames every task queued on a dying
  worker), split in halves until the directory that kills is found, and that directory
  becomes an error record (phase ``cluster``), never a hang. A task that fails otherwise
  is an error record for each of its directories;
* a lost scheduler ends the walk with :class:`~scanner.cluster.connect.ClusterLost`; the
  walker's report holds what was merged until then;
* a stopped walk (Ctrl-C) waits for its running shares a little, then abandons them: their
  directories count as not read.

Tasks are waited for in worker threads of the event loop (one per share in flight), so the
executor runs on asyncio and trio alike.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Final

import anyio
import anyio.to_thread

from scanner.cluster.connect import Cluster, ClusterLost
from scanner.cluster.links import LinkLedger
from scanner.cluster.share import add_result
from scanner.cluster.spec import ShareConfig
from scanner.cluster.tasks import walk_roots, walk_share
from scanner.cluster.waiter import Quarantine, TaskFailed, Waiter, isolate
from scanner.cluster.wire import pack_tasks, unpack_result
from scanner.errors import ItemError
from scanner.fs.batch import BatchResult, Budget, DirTask, SharedState
from scanner.fs.config import WalkConfig
from scanner.fs.engine import BatchConsumer, Walker
from scanner.fs.model import WalkReport

#: How often the worker-thread count is asked again (workers join and leave).
_REFRESH_S: Final = 2.0


class ClusterExecutor:
    """The tree engine's batch executor on a Dask cluster (see the module docstring)."""

    def __init__(self, cluster: Cluster, shares: ShareConfig | None = None) -> None:
        self.cluster = cluster
        self.shares = shares or ShareConfig()
        self.ledger = LinkLedger()
        #: shares that kept killing workers (run again alone, split)
        self.suspects = 0
        self._waiter = Waiter(cluster)
        self._lock = threading.Lock()
        self._threads = cluster.threads()
        self._refreshed = time.monotonic()
        self._seconds = min(self.shares.first_seconds, self.shares.share_seconds)
        self._limiter: anyio.CapacityLimiter | None = None
        self._quarantine = Quarantine()

    @property
    def slots(self) -> int:
        """Shares in flight: a few per worker thread."""
        return self.shares.shares_per_thread * self._threads

    async def roots(self, config: WalkConfig, shared: SharedState) -> BatchResult:
        """Stat the roots on a worker (the client may not see the file system)."""
        return await self._hop(self._roots, config, shared)

    async def batch(
        self, tasks: list[DirTask], config: WalkConfig, budget: Budget, shared: SharedState
    ) -> BatchResult:
        """One share as one task; ``budget`` (the in-process tuner's) is not used: a share
        runs for ``share_seconds``."""
        return await self._hop(self._share, tasks, config, shared)

    async def _hop(self, func: Callable[..., BatchResult], *args: object) -> BatchResult:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(max(64, 2 * self.slots))
        return await anyio.to_thread.run_sync(func, *args, limiter=self._limiter)

    # --- in worker threads -------------------------------------------------------------

    def _roots(self, config: WalkConfig, shared: SharedState) -> BatchResult:
        try:
            packed = self._waiter.run(
                walk_roots, config, name="roots", stopped=_flag(shared), grace=1.0
            )
        except TaskFailed as exc:
            return _errors([_error(root, exc) for root in config.roots])
        return self._settle(BatchResult() if packed is None else unpack_result(packed), config)

    def _share(self, tasks: list[DirTask], config: WalkConfig, shared: SharedState) -> BatchResult:
        with self._lock:
            seconds = self._seconds
            self._seconds = min(self.shares.share_seconds, seconds * 2)

        def attempt(some: list[DirTask]) -> BatchResult:
            return self._attempt(some, config, seconds, shared)

        self._quarantine.gate()  # while a suspect runs alone, nothing else is sent
        try:
            res = attempt(tasks)
        except TaskFailed:  # it kept killing workers
            with self._lock:
                self.suspects += 1
            res = isolate(
                tasks,
                attempt,
                lambda a, b: combine(a, b, config),
                lambda task: _condemned(task.path),
                self._quarantine,
            )
        self._refresh()
        return self._settle(res, config)

    def _attempt(
        self, tasks: list[DirTask], config: WalkConfig, seconds: float, shared: SharedState
    ) -> BatchResult:
        """One task for ``tasks``; raises ``TaskFailed`` only when it kept killing workers
        (any other failure is an error record per directory)."""
        try:
            packed = self._waiter.run(
                walk_share,
                pack_tasks(tasks),
                config,
                seconds,
                self.shares.share_entries,
                name="walk",
                stopped=_flag(shared),
                grace=2 * seconds + 1.0,
            )
        except TaskFailed as exc:
            if exc.killed:
                raise
            return _errors([_error(t.path, exc) for t in tasks])
        # None: abandoned after a stop, its directories were not read
        return BatchResult(frontier=list(tasks)) if packed is None else unpack_result(packed)

    def _settle(self, res: BatchResult, config: WalkConfig) -> BatchResult:
        if res.links:
            with self._lock:
                self.ledger.settle(res, compound=config.compound_extensions)
        return res

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._refreshed < _REFRESH_S:
            return
        self._refreshed = now
        try:
            self._threads = self.cluster.threads()
        except Exception:  # the next task says what is wrong, with a clearer error
            return


def _flag(shared: SharedState) -> Callable[[], bool]:
    return lambda: shared.stop


def _error(subject: str, exc: TaskFailed) -> ItemError:
    message = f"cluster task failed: {type(exc.cause).__name__}: {exc.cause}"
    return ItemError(subject=subject, phase="cluster", message=message)


def _condemned(subject: str) -> BatchResult:
    message = "the workers reading this kept dying, also when it was sent alone; not read"
    return _errors([ItemError(subject=subject, phase="cluster", message=message)])


def _errors(errors: list[ItemError]) -> BatchResult:
    res = BatchResult(errors=errors)
    res.totals.errors = len(errors)
    return res


def combine(a: BatchResult, b: BatchResult, config: WalkConfig) -> BatchResult:
    """One result holding both ``a`` and ``b`` (``a`` is extended and returned)."""
    add_result(a, b, config.largest)
    return a


async def walk_on_cluster(
    cluster: Cluster,
    config: WalkConfig,
    on_batch: BatchConsumer | None = None,
    *,
    shares: ShareConfig | None = None,
) -> WalkReport:
    """Walk the roots of ``config`` on ``cluster``; the same report as
    ``scanner.fs.walk(config, on_batch)``. ``on_batch`` sees each share's entries, errors
    and counts as it completes. Raises ``ClusterLost`` when the scheduler goes away (its
    ``report`` attribute holds what was merged)."""
    walker = Walker(config, on_batch, executor=ClusterExecutor(cluster, shares))
    try:
        return await walker.run()
    except ClusterLost as exc:
        exc.report = walker.report
        raise
