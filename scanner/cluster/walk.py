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

import heapq
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, TypeVar

import anyio
import anyio.to_thread

from scanner.cluster.connect import Cluster, ClusterLost
from scanner.cluster.links import LinkLedger
from scanner.cluster.spec import ShareConfig
from scanner.cluster.tasks import walk_roots, walk_share
from scanner.cluster.wire import pack_tasks, unpack_result
from scanner.errors import ItemError
from scanner.fs.batch import BatchResult, Budget, DirTask, SharedState
from scanner.fs.config import WalkConfig
from scanner.fs.engine import BatchConsumer, Walker
from scanner.fs.model import WalkReport

if TYPE_CHECKING:
    from distributed import Future

T = TypeVar("T")

#: How often a thread waiting for a task looks at the stop flag.
_POLL_S: Final = 0.2
#: How often the worker-thread count is asked again (workers join and leave).
_REFRESH_S: Final = 2.0


class TaskFailed(Exception):
    """A task ended without a result: ``KilledWorker`` (``killed``) or another error."""

    def __init__(self, cause: BaseException, *, killed: bool) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.killed = killed


class Waiter:
    """Submits tasks and waits for them in a plain thread, mapping Dask's failures:
    a lost scheduler raises ``ClusterLost``, a failed task ``TaskFailed``, and a task still
    running ``grace`` seconds after ``stopped()`` turned true is cancelled (None)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        #: set when the scheduler was found gone: raised once, by the first to see it
        self.lost: ClusterLost | None = None
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()

    def run(
        self,
        func: Callable[..., T],
        *args: object,
        name: str,
        stopped: Callable[[], bool],
        grace: float,
    ) -> T | None:
        """``func(*args)`` on a worker; its result, or None when abandoned (after a stop,
        or once another wait has raised ``ClusterLost``: the run raises it once)."""
        if self.lost is not None:
            return None
        try:
            future = self._submit(func, args, name)
            try:
                return self._wait(future, stopped, grace)
            finally:
                future.release()
        except ClusterLost as exc:
            if self._first_loss(exc):
                raise
            return None

    def _first_loss(self, exc: ClusterLost) -> bool:
        with self._lock:
            first = self.lost is None
            if first:
                self.lost = exc
        return first

    def _submit(self, func: Callable[..., object], args: tuple[object, ...], name: str) -> Future:
        client = self.cluster.client
        # after losing the scheduler the client tries to reconnect for a while, but every
        # task it held is cancelled by then: nothing submitted now would ever run
        if client.status != "running":
            raise _lost(self.cluster, f"the client is {client.status}")
        key = f"scanner-{name}-{uuid.uuid4().hex}"
        try:
            return client.submit(func, *args, key=key, pure=False)
        except RuntimeError as exc:  # the client is closed: the scheduler is gone
            raise _lost(self.cluster, exc) from None

    def _wait(self, future: Future, stopped: Callable[[], bool], grace: float) -> T | None:
        from distributed import CancelledError, wait

        give_up: float | None = None
        while True:
            try:
                # wait for the task, then fetch its result without a timeout: a timeout on
                # ``result`` would also cut (and restart) the transfer of a large result
                wait(future, timeout=_POLL_S)
                return future.result()  # type: ignore[no-any-return]
            except TimeoutError:
                if not stopped():
                    continue
                now = time.monotonic()
                if give_up is None:
                    give_up = now + grace
                elif now >= give_up:
                    with self._lock:
                        self._cancelled.add(future.key)
                    future.cancel()
                    return None
            except CancelledError as exc:
                with self._lock:
                    if future.key in self._cancelled:
                        self._cancelled.discard(future.key)
                        return None
                raise _lost(self.cluster, exc) from None
            except OSError as exc:  # the connection broke under the wait
                raise _lost(self.cluster, exc) from None
            except Exception as exc:  # the task raised, or its result could not be read
                raise TaskFailed(exc, killed=_is_killed(exc)) from None


def _is_killed(exc: BaseException) -> bool:
    from distributed import KilledWorker

    return isinstance(exc, KilledWorker)


def _lost(cluster: Cluster, exc: BaseException | str) -> ClusterLost:
    return ClusterLost(
        f"lost the Dask scheduler {cluster.spec.describe()} ({exc}); "
        "what was merged before is reported"
    )


class ClusterExecutor:
    """The tree engine's batch executor on a Dask cluster (see the module docstring)."""

    def __init__(self, cluster: Cluster, shares: ShareConfig | None = None) -> None:
        self.cluster = cluster
        self.shares = shares or ShareConfig()
        self.ledger = LinkLedger()
        #: shares split after they kept killing workers
        self.splits = 0
        self._waiter = Waiter(cluster)
        self._lock = threading.Lock()
        self._threads = cluster.threads()
        self._refreshed = time.monotonic()
        self._seconds = min(self.shares.first_seconds, self.shares.share_seconds)
        self._limiter: anyio.CapacityLimiter | None = None
        # suspects (shares that kept killing workers) run one at a time, alone
        self._suspects = threading.RLock()
        self._quarantine = 0
        self._open = threading.Event()
        self._open.set()

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
            res = BatchResult(errors=[_error(root, exc) for root in config.roots])
            res.totals.errors = len(res.errors)
            return res
        return self._settle(BatchResult() if packed is None else unpack_result(packed), config)

    def _share(self, tasks: list[DirTask], config: WalkConfig, shared: SharedState) -> BatchResult:
        with self._lock:
            seconds = self._seconds
            self._seconds = min(self.shares.share_seconds, seconds * 2)
        res = self._run(tasks, config, seconds, shared)
        self._refresh()
        return self._settle(res, config)

    def _run(
        self,
        tasks: list[DirTask],
        config: WalkConfig,
        seconds: float,
        shared: SharedState,
        *,
        suspect: bool = False,
    ) -> BatchResult:
        if not suspect:
            self._open.wait()  # while a suspect runs alone, nothing else is sent
        try:
            packed = self._waiter.run(
                walk_share,
                pack_tasks(tasks),
                config,
                seconds,
                name="walk",
                stopped=_flag(shared),
                grace=2 * seconds + 1.0,
            )
        except TaskFailed as exc:
            if exc.killed:
                return self._suspect(tasks, config, seconds, shared, again=not suspect)
            res = BatchResult(errors=[_error(t.path, exc) for t in tasks])
            res.totals.errors = len(res.errors)
            return res
        # None: abandoned after a stop, its directories were not read
        return BatchResult(frontier=list(tasks)) if packed is None else unpack_result(packed)

    def _suspect(
        self,
        tasks: list[DirTask],
        config: WalkConfig,
        seconds: float,
        shared: SharedState,
        *,
        again: bool,
    ) -> BatchResult:
        """A share that kept killing workers, run again alone: nothing else is submitted
        meanwhile, since Dask blames every task queued on a worker that died, innocent
        ones too. Split in halves until the directory that kills is found, which becomes
        an error record after one more try of its own."""
        with self._suspects:
            self._quarantine += 1
            self._open.clear()
            try:
                if len(tasks) > 1:
                    self.splits += 1
                    mid = len(tasks) // 2
                    first = self._run(tasks[:mid], config, seconds, shared, suspect=True)
                    second = self._run(tasks[mid:], config, seconds, shared, suspect=True)
                    return combine(first, second, config)
                if again:
                    return self._run(tasks, config, seconds, shared, suspect=True)
                res = BatchResult(errors=[_killed(tasks[0].path)])
                res.totals.errors = 1
                return res
            finally:
                self._quarantine -= 1
                if not self._quarantine:
                    self._open.set()

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


def _killed(subject: str) -> ItemError:
    message = "the workers reading this kept dying, also when it was sent alone; not read"
    return ItemError(subject=subject, phase="cluster", message=message)


def combine(a: BatchResult, b: BatchResult, config: WalkConfig) -> BatchResult:
    """One result holding both ``a`` and ``b`` (``a`` is extended and returned)."""
    a.totals.add(b.totals)
    for ext, (files, nbytes) in b.extensions.items():
        slot = a.extensions.get(ext)
        if slot is None:
            a.extensions[ext] = [files, nbytes]
        else:
            slot[0] += files
            slot[1] += nbytes
    a.largest = heapq.nlargest(config.largest, a.largest + b.largest)
    heapq.heapify(a.largest)
    a.errors += b.errors
    a.entries += b.entries
    a.frontier += b.frontier
    a.links += b.links
    a.dirs_read += b.dirs_read
    a.calls += b.calls
    a.wall += b.wall
    a.cpu += b.cpu
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
