"""Archive inspection on a cluster: archives (or batches of small ones) as tasks.

The same shape as :class:`scanner.archives.engine.ArchiveEngine` and the same work unit
(:func:`scanner.archives._unit.inspect_one`, through
:func:`scanner.cluster.tasks.inspect_archives`): worker coroutines pull candidates from the
stream; a small archive takes along the small ones already waiting (a batch bounded in files
and bytes: a task costs about a millisecond of scheduling, as much as parsing a small
archive), a big one goes alone; a few tasks per worker thread are in flight; every report
goes to ``on_report`` as its task completes, one report per archive, merged by nobody but
the consumer.

A task runs the archive engine itself on its batch (threads only), so the per-archive
deadline holds from each archive's start, exactly as in one process (a task queued behind
another on its worker does not lose its time). An archive that keeps killing workers is
found by :func:`scanner.cluster.waiter.isolate` and reported with phase ``cluster``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import anyio
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream

from scanner.archives._unit import error_report
from scanner.archives.config import EngineConfig, ZipConfig
from scanner.archives.engine import EngineStats, OnReport, candidate_stream
from scanner.archives.model import ArchiveReport, Candidate
from scanner.cluster.connect import Cluster
from scanner.cluster.spec import ShareConfig
from scanner.cluster.tasks import inspect_archives
from scanner.cluster.waiter import Quarantine, TaskFailed, Waiter, isolate
from scanner.errors import ItemError


class ClusterArchiveEngine:
    """Inspects candidates on a cluster; one instance per run."""

    def __init__(
        self,
        cluster: Cluster,
        cfg: ZipConfig,
        on_report: OnReport,
        engine: EngineConfig | None = None,
        shares: ShareConfig | None = None,
    ) -> None:
        self.cluster = cluster
        self.cfg = cfg
        self.engine = engine or EngineConfig()
        self.shares = shares or ShareConfig()
        self.on_report = on_report
        self.stats = EngineStats()
        #: archives whose task kept killing workers (run again alone)
        self.suspects = 0
        self._waiter = Waiter(cluster)
        self._quarantine = Quarantine()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._slots = self.shares.shares_per_thread * cluster.threads()

    async def run(self, candidates: MemoryObjectReceiveStream[Candidate]) -> EngineStats:
        """Inspect every candidate received until the stream closes; return the stats."""
        start = time.monotonic()
        try:
            async with candidates, anyio.create_task_group() as tg:
                for _ in range(self._slots):
                    tg.start_soon(self._worker, candidates)
        finally:
            self._stop.set()  # abandoned waits (a cancelled run) give their tasks up
            self.stats.elapsed = time.monotonic() - start
        return self.stats

    def _small(self, candidate: Candidate) -> bool:
        return candidate.size is not None and candidate.size <= self.shares.batch_max_bytes

    async def _worker(self, candidates: MemoryObjectReceiveStream[Candidate]) -> None:
        async for first in candidates:
            batch = [first]
            if self._small(first):
                total = first.size or 0
                # take only what is already waiting: batching must never add latency
                while (
                    len(batch) < self.shares.archives_per_batch
                    and total < self.shares.batch_max_bytes
                ):
                    try:
                        nxt = candidates.receive_nowait()
                    except (anyio.WouldBlock, anyio.EndOfStream):
                        break
                    if not self._small(nxt):
                        await self._inspect([nxt])
                        break
                    batch.append(nxt)
                    total += nxt.size or 0
            await self._inspect(batch)

    async def _inspect(self, batch: list[Candidate]) -> None:
        reports = await anyio.to_thread.run_sync(self._batch, batch, abandon_on_cancel=True)
        self.stats.batches += 1
        for report in reports:
            self.stats.archives += 1
            await self.on_report(report)

    # --- in worker threads -------------------------------------------------------------

    def _batch(self, batch: list[Candidate]) -> list[ArchiveReport]:
        self._quarantine.gate()
        try:
            return self._attempt(batch)
        except TaskFailed:  # it kept killing workers
            with self._lock:
                self.suspects += 1
            return isolate(batch, self._attempt, list.__add__, _condemned, self._quarantine)

    def _attempt(self, batch: list[Candidate]) -> list[ArchiveReport]:
        try:
            reports = self._waiter.run(
                inspect_archives,
                batch,
                self.cfg,
                self.engine,
                name="zip",
                stopped=self._stop.is_set,
                grace=0.0,
            )
        except TaskFailed as exc:
            if exc.killed:
                raise
            message = f"cluster task failed: {type(exc.cause).__name__}: {exc.cause}"
            return [error_report(ItemError(c.path, "cluster", message), c.size) for c in batch]
        # None: the run was stopped, and what was not finished is not reported
        return reports or []


def _condemned(candidate: Candidate) -> list[ArchiveReport]:
    message = "the workers inspecting this kept dying, also when it was sent alone"
    return [error_report(ItemError(candidate.path, "cluster", message), candidate.size)]


async def inspect_on_cluster(
    cluster: Cluster,
    candidates: Sequence[Candidate] | MemoryObjectReceiveStream[Candidate],
    cfg: ZipConfig,
    on_report: OnReport,
    *,
    engine: EngineConfig | None = None,
    shares: ShareConfig | None = None,
) -> EngineStats:
    """Inspect ``candidates`` on ``cluster`` and stream reports to ``on_report``: the same
    reports as :func:`scanner.archives.engine.inspect_paths`, in completion order."""
    runner = ClusterArchiveEngine(cluster, cfg, on_report, engine, shares)
    return await runner.run(await candidate_stream(candidates))
