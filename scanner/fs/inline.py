"""The first steps of a walk, run in this thread before any event loop exists.

A walk of a small tree (``scanner walk DIR | ...`` in a loop or a pipeline) is over in a
millisecond, while importing asyncio and anyio and starting a loop and a worker thread takes
tens. So a plain walk starts here: :class:`InlineStart` makes the very calls the anyio
engine (``scanner.fs.engine.Walker``) makes while one batch at a time is in flight (the
tuner's limit on a local disk, or a single directory waiting): ``root_tasks``, then
``scan_batch`` on the frontier's share with the tuner's budget, each result folded into the
tuner and the frontier in the same order. When that finishes the walk within a few batches,
nothing else runs (``TreeJob`` emits the results without a loop); otherwise the engine
carries on from exactly this state (same shared state, tuner, frontier, results not yet
handed to the consumer), so both paths give the same batches in the same order.

Nothing here imports anyio.
"""

from __future__ import annotations

from time import perf_counter
from typing import TYPE_CHECKING

from scanner.fs._unit import root_tasks, scan_batch
from scanner.fs.batch import BatchResult, ReportBuilder, SharedState
from scanner.fs.frontier import Frontier
from scanner.fs.model import WalkBatch
from scanner.fs.tuner import Tuner

if TYPE_CHECKING:
    from scanner.fs.config import WalkConfig
    from scanner.fs.engine import BatchConsumer
    from scanner.fs.model import WalkReport

#: Batches read inline at most (after the roots): with the first budget (512 entries once
#: the roots are read) a tree of a few hundred entries is read whole; a larger one goes to
#: the engine after a few milliseconds, before a user could miss a progress line. (A walk
#: that needs the engine imports asyncio and anyio anyway: reading more inline would only
#: delay its output.)
INLINE_BATCHES = 1


class InlineStart:
    """A walk's first batches, read in this thread (see the module docstring)."""

    def __init__(self, config: WalkConfig) -> None:
        self.config = config
        self.shared = SharedState()
        self.tuner = Tuner(pinned=config.workers, max_workers=config.max_workers)
        self.frontier = Frontier()
        #: Results read but not handed to a consumer yet, in order.
        self.results: list[BatchResult] = []
        self.start = perf_counter()
        self._builder = ReportBuilder(config)
        self._report: WalkReport | None = None
        self._elapsed = 0.0

    def run(self, batches: int = INLINE_BATCHES) -> bool:
        """Read the roots and up to ``batches`` batches while the engine would run one at
        a time; True when the walk is complete (the frontier is empty). A Ctrl-C meanwhile
        is noted (``scanner.runtime.signals``) and acted on by the runtime afterwards:
        these batches are bounded by their budgets."""
        self._took(root_tasks(self.config, self.shared))
        for _ in range(batches):
            limit = self.tuner.limit
            # with several directories waiting and room for several batches (a slow file
            # system, pinned workers) the engine would run batches side by side: from
            # here on it is the engine's walk (one directory waiting: one batch either way)
            if not self.frontier or (limit > 1 and len(self.frontier) > 1):
                break
            tasks = self.frontier.share(limit)
            self._took(scan_batch(tasks, self.config, self.tuner.budget(), self.shared))
        self._elapsed = perf_counter() - self.start
        return not self.frontier

    def _took(self, res: BatchResult) -> None:
        # what the engine's ``_absorb`` does first, with one batch running
        self.frontier.push(res.frontier)
        self.tuner.observe(res, 1)
        self.results.append(res)

    @property
    def report(self) -> WalkReport:
        """The report of a complete inline walk, once :meth:`deliver` has merged it."""
        if self._report is None:
            self._report = self._builder.finish(self._elapsed)
            self._report.stats.peak_workers = self.tuner.peak
            self._report.stats.latency = self.tuner.latency
        return self._report

    @property
    def frontier_size(self) -> int:
        """Directories known but not read yet (none once the walk is complete)."""
        return len(self.frontier)

    async def deliver(self, on_batch: BatchConsumer | None) -> None:
        """Hand every result to ``on_batch`` and merge it (a complete walk: nothing here
        waits, so no event loop is needed)."""
        results, self.results = self.results, []
        for res in results:
            if on_batch is not None:
                await on_batch(WalkBatch(res.entries, res.errors, res.totals))
            self._builder.merge(res)
        self._report = None  # finished again when next read
