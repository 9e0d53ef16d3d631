"""Sweeps on a cluster: blocks of targets as tasks, results streamed as blocks complete.

The client computes the disjoint target intervals after excludes and de-duplication and
cuts them into blocks (:mod:`scanner.cluster.blocks`); each task runs the sweep engine
(:func:`scanner.net.engine.sweep`, the same probes, retries and parsing) on one block
(:func:`scanner.cluster.tasks.sweep_block`). What changes with the scale:

* ``--rate`` stays a whole-sweep limit: each block gets ``rate / worker threads`` (at most
  that many blocks probe at once: one per worker thread), so the sum never exceeds it (the
  ``icmp`` method's default rate is divided the same way);
* ``-j`` is per block, that is per worker thread (each node's own process and descriptor
  budget);
* a block that keeps killing workers is split until the target that does is found, which
  becomes an ``error`` result (:func:`scanner.cluster.waiter.isolate`).

Results go to ``on_result`` one by one, in the order their blocks complete; ``summary`` is
updated in place, so it holds the merged counts also when the run is cancelled or the
scheduler is lost (``ClusterLost``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace

import anyio
import anyio.to_thread

from scanner.cluster.blocks import Block, cut_blocks
from scanner.cluster.connect import Cluster
from scanner.cluster.spec import ShareConfig
from scanner.cluster.tasks import sweep_block
from scanner.cluster.waiter import Quarantine, TaskFailed, Waiter, isolate
from scanner.net.config import ProbeMethod, SweepConfig
from scanner.net.engine import OnResult
from scanner.net.model import HostResult, HostState, SweepSummary
from scanner.net.targets import Target, TargetSpec, spans


class ClusterSweep:
    """One sweep on a cluster (see the module docstring)."""

    def __init__(
        self,
        cluster: Cluster,
        cfg: SweepConfig,
        on_result: OnResult,
        summary: SweepSummary,
        shares: ShareConfig | None = None,
    ) -> None:
        self.cluster = cluster
        self.shares = shares or ShareConfig()
        threads = cluster.threads()
        rate = cfg.rate
        if rate is None and cfg.method in (ProbeMethod.ICMP, ProbeMethod.AUTO):
            rate = cfg.icmp_rate  # icmp paces itself by default: that, too, is for the sweep
        self.cfg = cfg if rate is None else replace(cfg, rate=rate / threads)
        self.on_result = on_result
        self.summary = summary
        #: blocks whose task kept killing workers (run again alone, split)
        self.suspects = 0
        self._slots = self.shares.shares_per_thread * threads
        self._waiter = Waiter(cluster)
        self._quarantine = Quarantine()
        self._stop = threading.Event()
        self._counter_lock = threading.Lock()
        self._lock = anyio.Lock()

    async def run(self, blocks: Iterator[Block]) -> SweepSummary:
        """Sweep every block; the summary (also updated while it runs)."""
        self.summary.started = time.monotonic()
        try:
            async with anyio.create_task_group() as tg:
                for _ in range(self._slots):
                    tg.start_soon(self._worker, blocks)
        finally:
            self._stop.set()
            self.summary.finished = time.monotonic()
        return self.summary

    async def _worker(self, blocks: Iterator[Block]) -> None:
        for block in blocks:  # one event loop thread: the iterator is never shared at once
            results = await anyio.to_thread.run_sync(self._block, block, abandon_on_cancel=True)
            async with self._lock:  # one consumer call at a time, as the sweep engine does
                for result in results:
                    self.summary.add(result)
                    await self.on_result(result)

    # --- in worker threads -------------------------------------------------------------

    def _block(self, block: Block) -> list[HostResult]:
        self._quarantine.gate()
        try:
            return self._attempt(list(block.targets()), block)
        except TaskFailed:  # it kept killing workers
            with self._counter_lock:
                self.suspects += 1
            return isolate(
                list(block.targets()), self._attempt, list.__add__, _condemned, self._quarantine
            )

    def _attempt(self, targets: list[Target], block: Block | None = None) -> list[HostResult]:
        # a whole probe's worth of time to finish after a stop, then it is abandoned
        grace = self.cfg.effective_deadline * (self.cfg.retries + 1) + 1.0
        try:
            results = self._waiter.run(
                sweep_block,
                block or Block(listed=tuple(targets)),
                self.cfg,
                name="ping",
                stopped=self._stop.is_set,
                grace=grace,
            )
        except TaskFailed as exc:
            if exc.killed:
                raise
            cause = f"cluster task failed: {type(exc.cause).__name__}: {exc.cause}"
            return [_error(t, cause) for t in targets]
        return results or []


def _error(target: Target, cause: str) -> HostResult:
    address = target.host if target.kind == "ip" else None
    return HostResult(target.text, address, HostState.ERROR, cause=cause, attempts=0)


def _condemned(target: Target) -> list[HostResult]:
    return [_error(target, "the workers probing this kept dying, also when it was sent alone")]


async def sweep_on_cluster(
    cluster: Cluster,
    specs: Iterable[TargetSpec],
    cfg: SweepConfig,
    on_result: OnResult,
    *,
    excludes: Iterable[TargetSpec] = (),
    summary: SweepSummary | None = None,
    shares: ShareConfig | None = None,
) -> SweepSummary:
    """Sweep the targets of ``specs`` (less ``excludes``) on ``cluster``: the same per-host
    results as :func:`scanner.net.engine.sweep` over ``expand(specs, excludes)``, each to
    ``on_result`` once, in completion order of their blocks."""
    shares = shares or ShareConfig()
    summary = summary if summary is not None else SweepSummary()
    blocks = cut_blocks(spans(specs, excludes), shares.block_addresses, shares.names_per_block)
    return await ClusterSweep(cluster, cfg, on_result, summary, shares).run(blocks)
