"""The anyio scheduler around the work unit.

One dispatcher loop owns the ``Frontier`` of unread directories (LIFO keeps the walk mostly
depth-first, so memory is bounded by the frontier, not by the number of files). While the
frontier has work and fewer than ``tuner.limit`` batches are running, it hands a fair share of
the frontier to a new batch task; each batch task makes one call of the batch executor
(``scanner.fs.executor``: one worker-thread hop by default), merges the result in the event
loop, pushes the directories it left unread back onto the frontier and passes the batch to
the optional async consumer (serialised, so a consumer never sees two batches at once; a slow
consumer holds its worker slot, which is the back-pressure). A batch may stop inside a huge
directory (its budget is checked there too): the directory comes back with its scandir iterator open
and goes out first in the next share, so no batch holds more than its budget of entries, the
consumer sees a huge directory batch by batch, and at most one directory per running batch
is open.

Cancellation: a cancelled walk sets the shared stop flag at once, so every running work unit
returns within a few hundred entries; their results are still merged (the hop is shielded),
so the partial report holds everything that was read. The directories left open on the
frontier (and in shares whose batch never started) are closed when ``run`` ends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import perf_counter
from typing import TYPE_CHECKING

import anyio
from anyio.abc import TaskGroup

from scanner.fs.batch import BatchResult, DirTask, ReportBuilder, SharedState, close_tasks
from scanner.fs.config import WalkConfig
from scanner.fs.executor import BatchExecutor, ThreadExecutor
from scanner.fs.frontier import Frontier
from scanner.fs.model import WalkBatch, WalkReport
from scanner.fs.tuner import Tuner

if TYPE_CHECKING:
    from scanner.fs.inline import InlineStart

BatchConsumer = Callable[[WalkBatch], Awaitable[None]]


class Walker:
    """One walk: ``await Walker(config).run()``; ``report`` is live while it runs (progress
    displays read it) and holds the partial result after a cancellation."""

    def __init__(
        self,
        config: WalkConfig,
        on_batch: BatchConsumer | None = None,
        *,
        executor: BatchExecutor | None = None,
        inline: InlineStart | None = None,
    ) -> None:
        self.config = config
        # ``inline``: the walk's first batches, read before the event loop started
        # (``scanner.fs.inline``); the engine carries on from its state
        self._inline = inline
        self.shared = SharedState() if inline is None else inline.shared
        self.tuner = (
            Tuner(pinned=config.workers, max_workers=config.max_workers)
            if inline is None
            else inline.tuner
        )
        self._on_batch = on_batch
        self._builder = ReportBuilder(config)
        self._frontier = Frontier() if inline is None else inline.frontier
        # shares handed to batch tasks that have not started yet (by id): if the walk is
        # cancelled first, their open directories are closed with the frontier's
        self._unstarted: dict[int, list[DirTask]] = {}
        self._running = 0
        self._changed = anyio.Event()
        self._executor = executor or ThreadExecutor(max(config.max_workers, config.workers or 1))
        self._consumer_lock = anyio.Lock()
        self._start = perf_counter()
        self._done = False

    @property
    def report(self) -> WalkReport:
        """The report so far (final once ``run`` has returned or was cancelled)."""
        if self._done:
            return self._builder.report
        return self._builder.finish(perf_counter() - self._start, final=False)

    @property
    def frontier_size(self) -> int:
        """Directories known but not yet read."""
        return len(self._frontier)

    async def run(self) -> WalkReport:
        """Walk every root; return the report (also when the walk is cancelled part-way:
        then the cancellation propagates and ``report`` holds what was finished)."""
        inline = self._inline
        self._start = perf_counter() if inline is None else inline.start
        interrupted = True
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._stop_on_cancel)
                if inline is None:
                    first = await self._shielded(self._executor.roots(self.config, self.shared))
                    await self._absorb(first, running=1)
                else:  # read already, in order: they reach the consumer first
                    results, inline.results = inline.results, []
                    for res in results:
                        await self._deliver(res)
                await self._dispatch(tg)
                tg.cancel_scope.cancel()  # only the stop watcher is left
            interrupted = False
        except ExceptionGroup as group:
            # a consumer's own exception (a closed pipe, a full disk) reaches the caller as
            # itself, not wrapped in the task group's ExceptionGroup
            if len(group.exceptions) == 1:
                raise group.exceptions[0] from None
            raise
        finally:
            # every batch has returned (their hops are shielded): what is left is closed
            self._frontier.close()
            for share in self._unstarted.values():
                close_tasks(share)
            self._unstarted.clear()
            self._done = True
            self._builder.finish(perf_counter() - self._start, interrupted=interrupted)
            self._builder.report.stats.peak_workers = self.tuner.peak
            self._builder.report.stats.latency = self.tuner.latency
        return self._builder.report

    async def _stop_on_cancel(self) -> None:
        try:
            await anyio.sleep_forever()
        finally:
            # reached on the normal end too, when every work unit has already returned
            self.shared.stop = True

    async def _dispatch(self, tg: TaskGroup) -> None:
        frontier = self._frontier
        executor = self._executor
        while True:
            slots = executor.slots
            limit = self.tuner.limit if slots is None else slots
            if frontier and self._running < limit:
                tasks = frontier.share(executor.spread or limit)
                self._running += 1
                self._unstarted[id(tasks)] = tasks
                tg.start_soon(self._batch, tasks)
                continue
            if not frontier and not self._running:
                return
            self._changed = anyio.Event()
            await self._changed.wait()

    async def _shielded(self, call: Awaitable[BatchResult]) -> BatchResult:
        # shielded: the executor finishes its (budget-bounded) batch anyway, and what it read
        # must reach the report
        with anyio.CancelScope(shield=True):
            res = await call
        return res  # noqa: RET504 (mypy: a cancel scope may swallow the return inside it)

    async def _batch(self, tasks: list[DirTask]) -> None:
        del self._unstarted[id(tasks)]
        try:
            budget = self.tuner.budget()
            res = await self._shielded(
                self._executor.batch(tasks, self.config, budget, self.shared)
            )
            await self._absorb(res, running=self._running)
        finally:
            self._running -= 1
            self._changed.set()

    async def _absorb(self, res: BatchResult, *, running: int) -> None:
        self._frontier.push(res.frontier)  # first: it may hold open directories
        self.tuner.observe(res, running)
        self._changed.set()  # new frontier: the dispatcher may start batches while we print
        await self._deliver(res)

    async def _deliver(self, res: BatchResult) -> None:
        if self._on_batch is None:
            self._builder.merge(res)
            return
        # The report counts what the consumer took: a batch still waiting for the consumer
        # when the walk is cancelled is neither given nor counted, so an interrupted
        # listing's summary matches its records (the command runtime finishes a write it
        # started: scanner.runtime.command).
        async with self._consumer_lock:
            await self._on_batch(WalkBatch(res.entries, res.errors, res.totals))
            self._builder.merge(res)


async def walk(
    config: WalkConfig,
    on_batch: BatchConsumer | None = None,
    *,
    executor: BatchExecutor | None = None,
) -> WalkReport:
    """Walk the roots of ``config`` and return the report.

    ``on_batch`` (optional) is awaited once per batch with its entries (when
    ``config.listing``), errors and counts, in the event loop, one batch at a time.
    ``executor`` runs the work unit (default: worker threads).
    """
    return await Walker(config, on_batch, executor=executor).run()
