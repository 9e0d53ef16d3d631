"""The batch-executor seam: where the tree engine's work unit runs.

The engine (``scanner.fs.engine.Walker``) owns the frontier, the tuner, the merge and the
consumer; an executor only runs work-unit calls and hands their ``BatchResult`` back. Today
the work unit runs in worker threads (:class:`ThreadExecutor`, one hop per batch); another
executor (worker processes, a cluster: ``scanner.cluster``) implements the same two
methods and says through ``slots`` how many batches it wants in flight.

Both calls must return what was read even when the walk is being cancelled (the engine
shields them): a batch's budget bounds how long that takes.
"""

from __future__ import annotations

from typing import Protocol

import anyio
import anyio.to_thread

from scanner.fs._unit import root_tasks, scan_batch
from scanner.fs.batch import BatchResult, Budget, DirTask, SharedState
from scanner.fs.config import WalkConfig


class BatchExecutor(Protocol):
    """Runs the tree engine's work unit."""

    @property
    def slots(self) -> int | None:
        """How many batches to keep in flight: None lets the engine's tuner decide (threads
        in this process); a number fixes it (a cluster: a few shares per worker thread)."""
        ...

    @property
    def spread(self) -> int | None:
        """Into how many parts the frontier is cut, a batch taking one (None: as many as
        batches may run). Fewer parts than batches make each batch larger than its share
        of the batches in flight (a cluster's worker holds one share running and the
        next one queued: both need not be small)."""
        ...

    async def roots(self, config: WalkConfig, shared: SharedState) -> BatchResult:
        """Stat the roots: their counts, errors and first frontier."""
        ...

    async def batch(
        self, tasks: list[DirTask], config: WalkConfig, budget: Budget, shared: SharedState
    ) -> BatchResult:
        """Read a share of the frontier within ``budget``."""
        ...


class ThreadExecutor:
    """One worker-thread hop per batch (a hop costs ~100 µs: never per directory)."""

    def __init__(self, threads: int) -> None:
        self._threads = anyio.CapacityLimiter(threads)

    @property
    def slots(self) -> int | None:
        """None: the tuner sizes the concurrency from the latency it observes."""
        return None

    @property
    def spread(self) -> int | None:
        """None: the frontier is shared between the batches that may run."""
        return None

    async def roots(self, config: WalkConfig, shared: SharedState) -> BatchResult:
        """``root_tasks`` in a worker thread."""
        return await anyio.to_thread.run_sync(root_tasks, config, shared, limiter=self._threads)

    async def batch(
        self, tasks: list[DirTask], config: WalkConfig, budget: Budget, shared: SharedState
    ) -> BatchResult:
        """``scan_batch`` in a worker thread."""
        return await anyio.to_thread.run_sync(
            scan_batch, tasks, config, budget, shared, limiter=self._threads
        )
