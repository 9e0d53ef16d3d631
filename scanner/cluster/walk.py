"""Tree walks on a cluster: a batch executor behind the tree engine's seam.

The engine (``scanner.fs.engine.Walker``) keeps what it always keeps: the frontier of
directories not read yet, the merge into one report, the consumer that streams entries. This
executor only changes where a batch runs: each batch becomes one Dask task
(:func:`scanner.cluster.tasks.walk_share`) that reads its share of directories for a time
budget and returns its counts, extension table, largest-files heap, errors, entries (when
listing), hard-link keys and the directories it did not reach, which go back on the
frontier and out again in later shares. A directory still being read a share's time after
the share's end comes back as the names it has left (:mod:`scanner.fs.listed`), cut here
into pieces for the shares in flight: one huge directory is read by several workers.
``slots`` asks the engine for a few shares per worker thread in flight, so a worker never
waits for the client.

What the executor adds on the way back, in the thread that waited for the task:

* hard links counted once across workers (:class:`~scanner.cluster.links.LinkLedger`),
  and under ``--follow`` each directory read once (:class:`~scanner.cluster.claims.DirClaims`);
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

import math
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Final

import anyio
import anyio.to_thread

from scanner.cluster.claims import DirClaims, WorkerState
from scanner.cluster.connect import (
    Cluster,
    ClusterLost,
    connect,
    require_dask,
    require_dask_installed,
)
from scanner.cluster.devices import DeviceMap
from scanner.cluster.links import LinkLedger
from scanner.cluster.share import add_result, whole_directories
from scanner.cluster.spec import ClusterSpec, ShareConfig
from scanner.cluster.tasks import walk_roots, walk_share
from scanner.cluster.waiter import Quarantine, TaskFailed, Waiter, isolate
from scanner.cluster.wire import pack_tasks, unpack_result
from scanner.errors import ItemError
from scanner.fs._unit import root_tasks, scan_batch
from scanner.fs.batch import BatchResult, Budget, DirTask, SharedState
from scanner.fs.config import WalkConfig
from scanner.fs.engine import BatchConsumer, Walker
from scanner.fs.frontier import LISTED_BUNDLE
from scanner.fs.listed import split
from scanner.fs.model import WalkReport
from scanner.fs.tuner import SLOW_CALL_SECONDS

#: How often the worker-thread count is asked again (workers join and leave).
_REFRESH_S: Final = 2.0
#: Weight of a share's wall time per call in the running estimate.
_ALPHA: Final = 0.3


class ClusterExecutor:
    """The tree engine's batch executor on a Dask cluster (see the module docstring)."""

    def __init__(self, cluster: Cluster | None, shares: ShareConfig | None = None) -> None:
        self.shares = shares or ShareConfig()
        self.ledger = LinkLedger()
        #: directories reached under --follow (each read once, whichever worker met it)
        self.claims = DirClaims()
        #: names this walk to the workers, which keep its roots for its later shares
        self.walk_id = uuid.uuid4().hex
        self._local_state: WorkerState | None = None
        #: shares that kept killing workers (run again alone, split)
        self.suspects = 0
        #: batches read in this process while the cluster was starting
        self.local_batches = 0
        self._lock = threading.Lock()
        self._seconds = min(self.shares.first_seconds, self.shares.share_seconds)
        self._limiter: anyio.CapacityLimiter | None = None
        self._quarantine = Quarantine()
        self._devices: DeviceMap | None = None
        self.cluster: Cluster | None = None
        self._waiter: Waiter | None = None
        self._threads = 0
        self._refreshed = time.monotonic()
        #: the shares' wall time per metadata call, smoothed (None: no share returned yet)
        self.call_seconds: float | None = None
        if cluster is not None:
            self.attach(cluster)

    def attach(self, cluster: Cluster) -> None:
        """Start sending shares to ``cluster`` (until then, batches are read here)."""
        self._threads = cluster.threads()
        self._waiter = Waiter(cluster)
        self.cluster = cluster

    @property
    def slots(self) -> int:
        """Shares in flight: a few per worker thread; one batch at a time in this process
        while the cluster starts."""
        if self.cluster is None:
            return 1
        return self.shares.shares_per_thread * self._threads

    @property
    def spread(self) -> int | None:
        """Into how many parts the frontier is cut (a share takes one). On a fast file
        system one per worker thread, not one per share in flight: a share takes twice as
        many directories and runs its time through instead of running dry early (each
        share costs this process milliseconds of Dask's CPU, taken from the workers' cores
        on a local cluster; traced on the 1M-file tree, 45 of 104 shares ran dry). On a
        slow one, and before a share has said which it is, one per share in flight: a share
        meeting a directory that takes seconds holds the other directories it was given as
        long, so shares stay small there. At least two parts: a single worker thread still
        finds its next share waiting."""
        if self.cluster is None or self.call_seconds is None:
            return None
        return max(2, self._threads) if self.call_seconds < SLOW_CALL_SECONDS else None

    async def roots(self, config: WalkConfig, shared: SharedState) -> BatchResult:
        """Stat the roots on a worker (the client may not see the file system), or here
        while a local cluster starts."""
        if self.cluster is None:
            return await self._hop(self._local, None, config, None, shared)
        return await self._hop(self._roots, config, shared)

    async def batch(
        self, tasks: list[DirTask], config: WalkConfig, budget: Budget, shared: SharedState
    ) -> BatchResult:
        """One share as one task (``budget``, the in-process tuner's, is not used: a share
        runs for ``share_seconds``), or a batch here while a local cluster starts."""
        if self.cluster is None:
            return await self._hop(self._local, tasks, config, budget, shared)
        return await self._hop(self._share, tasks, config, shared)

    async def _hop(self, func: Callable[..., BatchResult], *args: object) -> BatchResult:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(max(64, 2 * self.slots))
        return await anyio.to_thread.run_sync(func, *args, limiter=self._limiter)

    # --- in worker threads -------------------------------------------------------------

    def _local(
        self,
        tasks: list[DirTask] | None,
        config: WalkConfig,
        budget: Budget | None,
        shared: SharedState,
    ) -> BatchResult:
        """The work unit in this process, finishing every directory it opens (what it
        leaves goes to the cluster later), its devices named as the workers name them."""
        # a state of its own, as a worker's: what it reaches and counts is settled in
        # canonical device numbers, with the workers' results
        if self._local_state is None:
            self._local_state = WorkerState(parent=shared)
        state = self._local_state
        if tasks is None:
            res = root_tasks(config, state)
        else:
            # the frontier is in canonical device numbers, as the workers get it
            if self._devices is not None:
                tasks = self._devices.localize(tasks)
            seconds = budget.max_seconds if budget is not None else self.shares.first_seconds
            res = scan_batch(tasks, config, whole_directories(seconds), state)
            with self._lock:
                self.local_batches += 1
        if self._devices is None:
            self._devices = DeviceMap(config.roots)
        return self._settle(self._devices.canonize(res), config, roots=tasks is None)

    def _roots(self, config: WalkConfig, shared: SharedState) -> BatchResult:
        assert self._waiter is not None
        try:
            packed = self._waiter.run(
                walk_roots, config, name="roots", stopped=_flag(shared), grace=1.0
            )
        except TaskFailed as exc:
            return _errors([_error(root, exc) for root in config.roots])
        res = BatchResult() if packed is None else unpack_result(packed)
        return self._settle(res, config, roots=True)

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
        self.observe(res)
        res = self._settle(res, config)
        # after settling: --follow's claims add the directories they defer at the end, and
        # the engine's frontier takes the open kinds from the end
        res.frontier = self.pieces(res.frontier)
        return res

    def pieces(self, frontier: list[DirTask]) -> list[DirTask]:
        """``frontier`` with each directory a share listed part-way cut into pieces for
        the shares in flight (at most ``share_entries`` names each: a piece is read
        whole), after the plain directories (the engine's frontier takes the open kinds
        from the end; a result combined from halves has them in the middle too)."""
        if all(t.open is None for t in frontier):
            return frontier
        plain = [t for t in frontier if t.open is None]
        for task in frontier:
            if task.open is not None:
                plain += split(task, self.slots, LISTED_BUNDLE, self.shares.share_entries)
        return plain

    def observe(self, res: BatchResult) -> None:
        """Fold a share's wall time per metadata call into ``call_seconds``."""
        if not res.calls:
            return
        per_call = res.wall / res.calls
        with self._lock:
            if self.call_seconds is None:
                self.call_seconds = per_call
            else:
                self.call_seconds += _ALPHA * (per_call - self.call_seconds)

    def _attempt(
        self, tasks: list[DirTask], config: WalkConfig, seconds: float, shared: SharedState
    ) -> BatchResult:
        """One task for ``tasks``; raises ``TaskFailed`` only when it kept killing workers
        (any other failure is an error record per directory)."""
        assert self._waiter is not None
        try:
            packed = self._waiter.run(
                walk_share,
                pack_tasks(tasks),
                config,
                seconds,
                self.shares.share_entries,
                self.walk_id,
                # how long a share reads on in a directory past its time before it sends
                # the rest back to be shared: as long as a full share (the first shares
                # are shorter); with one worker thread, nobody to share it with: to its end
                self.shares.share_seconds if self._threads > 1 else math.inf,
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

    def _settle(self, res: BatchResult, config: WalkConfig, *, roots: bool = False) -> BatchResult:
        if config.follow:
            self.claims.settle(res, roots=roots)
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
            if self.cluster is not None:
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
    cluster: Cluster | ClusterSpec,
    config: WalkConfig,
    on_batch: BatchConsumer | None = None,
    *,
    shares: ShareConfig | None = None,
) -> WalkReport:
    """Walk the roots of ``config`` on ``cluster``; the same report as
    ``scanner.fs.walk(config, on_batch)``. ``on_batch`` sees each share's entries, errors
    and counts as it completes. Raises ``ClusterLost`` when the scheduler goes away (its
    ``report`` attribute holds what was merged).

    Given a :class:`ClusterSpec`, the cluster is started (and closed at the end) here
    (:func:`cluster_executor`)."""
    async with cluster_executor(cluster, shares) as executor:
        walker = Walker(config, on_batch, executor=executor)
        try:
            return await walker.run()
        except ClusterLost as exc:
            exc.report = walker.report
            raise


@asynccontextmanager
async def cluster_executor(
    cluster: Cluster | ClusterSpec, shares: ShareConfig | None = None
) -> AsyncIterator[ClusterExecutor]:
    """A :class:`ClusterExecutor` for walks run inside the block (the tree engine's
    ``executor``). Given a :class:`ClusterSpec`, the cluster is started here and closed on
    exit; for a ``local`` one, Dask is imported first, then the cluster starts in a worker
    thread while the walk already reads the first directories in this process, so the
    fraction of a second an embedded cluster takes to start is not lost. A scheduler is
    reached first (the client may not see the file system, nor should it read it)."""
    if isinstance(cluster, Cluster):
        yield ClusterExecutor(cluster, shares)
        return
    spec = cluster
    if spec.kind != "local":
        started = await anyio.to_thread.run_sync(connect, spec)
        try:
            yield ClusterExecutor(started, shares)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(started.close)
        return
    require_dask_installed()
    # Dask is imported (~0.4 s of CPU) before this process reads anything: reading in a
    # thread meanwhile would take half the GIL from the import and delay the two worker
    # cores by as much as it gains on one (measured on 2 cores: connecting took 1.0-1.25 s
    # with reading alongside, 0.5 s alone). A tree small enough to be read before the
    # cluster is up waits for the cluster anyway, to close it.
    await anyio.to_thread.run_sync(require_dask)
    executor = ClusterExecutor(None, shares)
    up: list[Cluster] = []

    async def start() -> None:
        up.append(await anyio.to_thread.run_sync(connect, spec))
        executor.attach(up[0])

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(start)
            # a walk that ends before the cluster is up waits for it, to close it (a
            # thread starting it cannot be cancelled)
            yield executor
    except ExceptionGroup as group:
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
    finally:
        with anyio.CancelScope(shield=True):
            for started in up:
                await anyio.to_thread.run_sync(started.close)
