"""The archive engine: inspect many archives concurrently, bounded, streaming reports.

The work unit is :func:`scanner.archives.zip.inspect.inspect_file` (pure, synchronous); this
module only schedules it:

* Worker tasks pull :class:`Candidate` paths from a memory stream and run the work unit in
  worker threads (``anyio.to_thread.run_sync``) under one :class:`~anyio.CapacityLimiter`.
  A thread hop costs ~100 µs, as much as parsing a small archive, so a worker that finds a
  backlog takes several *small* archives into one hop (a batch bounded in files and bytes);
  big archives always go alone.
* Big archives can go to worker processes instead (``anyio.to_process.run_sync``) when the
  parse is CPU-bound and the report is cheap to send back: four 100k-member archives were
  audited 1.7x faster on 2 cores, but kept members cost more to pickle back than the
  parallel parse saves (``benchmarks/RESULTS.md``, "Zip archives"); hence
  :attr:`ProcessPolicy.AUTO` and :attr:`EngineConfig.process_min_size`.
* Every report goes to ``on_report`` as soon as its archive is done (not in input order).
* A per-archive deadline is enforced by a watchdog task: a thread cannot be interrupted, so
  an archive over its deadline is abandoned (its thread finishes on its own and its result
  is dropped) and reported as an error with phase ``deadline``; the rest of its batch is
  re-queued. A worker process over its deadline is killed.

Memory is bounded by the stream buffer, the number of workers and the work unit's own
budgets; nothing here writes to disk.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream

from scanner.archives._unit import deadline_report, inspect_one
from scanner.archives.config import EngineConfig, ProcessPolicy, ZipConfig
from scanner.archives.model import ArchiveReport, Candidate
from scanner.archives.stop import Stopped, stoppable
from scanner.oslimits import usable_cpus

OnReport = Callable[[ArchiveReport], Awaitable[None]]
#: The work unit: path and config in, report out; never raises (see :func:`inspect_one`).
#: Must be a module-level function when archives may go to worker processes (pickled).
WorkUnit = Callable[[str, ZipConfig], ArchiveReport]


@dataclass
class EngineStats:
    """What the engine did (for summaries and benchmarks)."""

    archives: int = 0
    batches: int = 0
    in_processes: int = 0
    deadlines: int = 0
    elapsed: float = 0.0


@dataclass
class _Batch:
    """State shared between a worker task and the thread running its batch."""

    items: Sequence[Candidate]
    cfg: ZipConfig
    work: WorkUnit
    done: list[ArchiveReport] = field(default_factory=list)
    index: int = 0  # item being inspected
    started: float | None = None  # monotonic start of that item; None when idle
    abandoned: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Set with ``abandoned``: the item in progress stops at its next check.
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        """Runs in the worker thread: inspect items in order until done or abandoned (the
        item being inspected then stops at its next :func:`~scanner.archives.stop.check`)."""
        with stoppable(self.stop), contextlib.suppress(Stopped):
            for i, item in enumerate(self.items):
                if not self._begin(i):
                    return
                if not self._finish(self.work(item.path, self.cfg)):
                    return
        with self.lock:
            self.started = None

    def _begin(self, index: int) -> bool:
        with self.lock:
            if self.abandoned:
                return False
            self.index, self.started = index, time.monotonic()
            return True

    def _finish(self, report: ArchiveReport) -> bool:
        with self.lock:
            if self.abandoned:
                return False
            self.done.append(report)
            return True

    def abandon(self) -> list[ArchiveReport]:
        """Stop the thread (its current item at its next check); the reports finished so
        far."""
        with self.lock:
            self.abandoned = True
            self.stop.set()
            return list(self.done)


@dataclass
class _Slot:
    """One worker's current job, as the watchdog sees it."""

    scope: anyio.CancelScope | None = None
    batch: _Batch | None = None
    started: float | None = None  # for process jobs (no _Batch)
    timed_out: int | None = None  # index in the batch that hit the deadline

    def start(self, scope: anyio.CancelScope, batch: _Batch | None) -> None:
        """A job begins: the watchdog may now cancel ``scope``."""
        self.scope, self.batch, self.timed_out = scope, batch, None
        self.started = time.monotonic() if batch is None else None

    def stop(self) -> int | None:
        """The job ended: the batch index the watchdog timed out, if it did."""
        timed_out = self.timed_out
        self.scope, self.batch, self.started, self.timed_out = None, None, None, None
        return timed_out


class ArchiveEngine:
    """Schedules the work unit over candidates; one instance per run."""

    def __init__(
        self,
        cfg: ZipConfig,
        engine: EngineConfig,
        on_report: OnReport,
        work: WorkUnit | None = None,
    ) -> None:
        self.cfg = cfg
        self.work: WorkUnit = work or inspect_one
        self.engine = engine
        self.on_report = on_report
        self.stats = EngineStats()
        # ``workers`` tasks each wait on one thread at a time, which bounds the live work; the
        # limiter bounds the threads, abandoned ones included: trio keeps an abandoned
        # thread's token until it really ends (asyncio frees it at once), so a few spare
        # tokens let the run go on past a deadline without letting threads pile up.
        self._threads = anyio.CapacityLimiter(engine.workers + engine.max_abandoned)
        self._processes = anyio.CapacityLimiter(
            engine.process_workers or max(1, min(engine.workers, usable_cpus()))
        )
        self._slots: list[_Slot] = []
        self._big_in_flight = 0
        self._processes_broken = False

    def _wants_process(self, candidate: Candidate) -> bool:
        policy = self.engine.processes
        if policy is ProcessPolicy.NEVER or self._processes_broken:
            return False
        if policy is ProcessPolicy.ALWAYS:
            return True
        return (
            self._big_in_flight > 0
            and not self.cfg.keep_members
            and self._is_big(candidate)
            and usable_cpus() > 1
        )

    def _is_big(self, candidate: Candidate) -> bool:
        return candidate.size is not None and candidate.size >= self.engine.process_min_size

    def _is_small(self, candidate: Candidate) -> bool:
        return candidate.size is not None and candidate.size <= self.engine.batch_max_bytes

    async def run(self, candidates: MemoryObjectReceiveStream[Candidate]) -> EngineStats:
        """Inspect every candidate received until the stream closes; return the stats."""
        start = time.monotonic()
        async with candidates, anyio.create_task_group() as tg:
            if self.engine.deadline is not None:
                tg.start_soon(self._watchdog, self.engine.deadline)
            async with anyio.create_task_group() as workers:
                for _ in range(self.engine.workers):
                    slot = _Slot()
                    self._slots.append(slot)
                    workers.start_soon(self._worker, candidates, slot)
            tg.cancel_scope.cancel()  # stop the watchdog once the workers are done
        self.stats.elapsed = time.monotonic() - start
        return self.stats

    async def _worker(self, candidates: MemoryObjectReceiveStream[Candidate], slot: _Slot) -> None:
        async for first in candidates:
            if not self._is_small(first) or self._wants_process(first):
                await self._run_single(first, slot)
                continue
            batch, total = [first], first.size or 0
            # take only what is already waiting: batching must never add latency
            while len(batch) < self.engine.batch_max_files and total < self.engine.batch_max_bytes:
                try:
                    nxt = candidates.receive_nowait()
                except (anyio.WouldBlock, anyio.EndOfStream):
                    break
                if not self._is_small(nxt) or self._wants_process(nxt):
                    await self._run_single(nxt, slot)
                    break
                batch.append(nxt)
                total += nxt.size or 0
            await self._run_batch(batch, slot)

    async def _run_single(self, candidate: Candidate, slot: _Slot) -> None:
        big = self._is_big(candidate)
        in_process = self._wants_process(candidate)
        self._big_in_flight += big
        try:
            if in_process:
                in_process = await self._in_process(candidate, slot)
            if not in_process:
                await self._run_batch([candidate], slot)
        finally:
            self._big_in_flight -= big

    async def _run_batch(self, items: Sequence[Candidate], slot: _Slot) -> None:
        pending = list(items)
        while pending:
            job = _Batch(pending, self.cfg, self.work)
            try:
                with anyio.CancelScope() as scope:
                    slot.start(scope, job)
                    await anyio.to_thread.run_sync(
                        job.run, abandon_on_cancel=True, limiter=self._threads
                    )
            except BaseException:
                # cancelled from outside (Ctrl-C): the thread stops too, not only this task
                # (the process would wait for it at exit)
                job.abandon()
                slot.stop()
                raise
            timed_out = slot.stop()
            self.stats.batches += 1
            if not scope.cancelled_caught:
                done, pending = job.done, []
            else:
                done = job.abandon()
                pending = list(pending[len(done) :])
            for report in done:
                await self._emit(report)
            # Cancelled by the watchdog (an outer cancellation propagates out of the scope).
            # If the item it timed out finished in the meantime, just re-run the rest.
            if scope.cancelled_caught and pending and timed_out == len(done):
                deadline = self.engine.deadline or 0.0
                self.stats.deadlines += 1
                await self._emit(deadline_report(pending[0], deadline))
                pending = pending[1:]

    async def _in_process(self, candidate: Candidate, slot: _Slot) -> bool:
        """Inspect in a worker process; False when processes cannot be started here."""
        report: ArchiveReport | None = None
        with anyio.CancelScope() as scope:
            slot.start(scope, None)
            try:
                report = await anyio.to_process.run_sync(
                    self.work, candidate.path, self.cfg, cancellable=True, limiter=self._processes
                )
            except anyio.BrokenWorkerProcess:
                # e.g. a main module that cannot be re-imported: threads from now on
                self._processes_broken = True
                return False
            finally:
                slot.stop()
        self.stats.in_processes += 1
        if report is None:  # only the watchdog cancels this scope
            self.stats.deadlines += 1
            report = deadline_report(candidate, self.engine.deadline or 0.0)
        await self._emit(report)
        return True

    async def _emit(self, report: ArchiveReport) -> None:
        self.stats.archives += 1
        await self.on_report(report)

    async def _watchdog(self, deadline: float) -> None:
        # One wake-up per tick for all workers, instead of a timer per archive.
        tick = min(0.25, deadline / 4)
        while True:
            await anyio.sleep(tick)
            now = time.monotonic()
            for slot in self._slots:
                if slot.scope is None or slot.timed_out is not None:
                    continue
                batch = slot.batch
                if batch is not None:
                    with batch.lock:
                        started, index = batch.started, batch.index
                else:
                    started, index = slot.started, 0
                if started is not None and now - started > deadline:
                    slot.timed_out = index
                    slot.scope.cancel()


async def inspect_paths(
    candidates: Sequence[Candidate] | MemoryObjectReceiveStream[Candidate],
    cfg: ZipConfig,
    on_report: OnReport,
    engine: EngineConfig | None = None,
    work: WorkUnit | None = None,
) -> EngineStats:
    """Inspect ``candidates`` (a list or a receive stream) and stream reports to ``on_report``."""
    runner = ArchiveEngine(cfg, engine or EngineConfig(), on_report, work)
    return await runner.run(await candidate_stream(candidates))


async def candidate_stream(
    candidates: Sequence[Candidate] | MemoryObjectReceiveStream[Candidate],
) -> MemoryObjectReceiveStream[Candidate]:
    """``candidates`` as the receive stream an engine's ``run`` takes (a list is sent into a
    closed stream of its own size)."""
    if not isinstance(candidates, Sequence):
        return candidates
    items = list(candidates)
    send, receive = anyio.create_memory_object_stream[Candidate](max(1, len(items)))
    async with send:
        for item in items:
            send.send_nowait(item)
    return receive
