"""Adaptive concurrency and batch budgets, from the latency the work units observe.

Each batch reports its metadata calls, wall time and thread CPU time. From them:

* CPU per call ``c`` = cpu / calls;
* wait per call = (wall - cpu) / calls, minus the share explained by waiting for the GIL
  while ``k - 1`` other workers ran (up to ``(k - 1) * c``, scaled by how busy the GIL is):
  what remains is the file system's own latency ``L``.

By Little's law about ``L / c`` calls must be in flight to keep one core busy. On a warm local
disk ``L`` is near zero: stay at *one* worker (measured on a warm 200k-file tree on 2 cores:
one worker 0.87 s, two 1.1-1.3 s, os.walk 1.1 s; a second thread only adds GIL hand-offs,
since the per-entry work is Python holding the GIL) and grow the batches so that the
~100 µs thread hop is amortised over thousands of entries. On a latency-bound file system
(NFS, SMB, FUSE: ~ms per call) ramp the concurrency up, doubling per batch, to
``max_workers``, and keep batches short in time so the frontier keeps fanning out to the
idle workers. Estimates are smoothed (EWMA) so one slow directory does not swing
the pool.
"""

from __future__ import annotations

import math

from scanner.fs.batch import BatchResult, Budget

#: Above this per-call latency the file system is treated as latency-bound.
SLOW_CALL_SECONDS = 200e-6
#: First batches: small, so that a single root fans out to every worker quickly (and the
#: clock read often inside a directory, as the file system's speed is not known yet).
START_BUDGET = Budget(max_entries=256, max_seconds=0.02, check_every=16)
#: Largest batches on a fast disk (a hop every few tens of milliseconds), shared among the
#: workers: with ``-j N`` each batch holds at most 1/N of it, so that the entries held in
#: flight (what a listing keeps until it is written) stay bounded whatever ``-j`` says.
FAST_MAX_ENTRIES = 16384
FAST_MAX_SECONDS = 0.1
#: Batches on a slow file system: short in time, so the frontier keeps being shared (the
#: deadline checked after every entry: each one waits milliseconds, the clock ~50 ns).
SLOW_BUDGET = Budget(max_entries=2048, max_seconds=0.02, check_every=1)
_ALPHA = 0.3


class Tuner:
    """Chooses how many work units run at once and how big their batches are."""

    def __init__(self, *, pinned: int | None, max_workers: int) -> None:
        self.pinned = pinned
        self.floor = pinned or 1
        self.ceiling = pinned or max_workers
        self.limit = self.floor
        self.peak = self.limit
        self.latency: float | None = None
        self.cpu_per_call: float | None = None
        self._budget = START_BUDGET

    @property
    def slow(self) -> bool:
        """True once the file system looks latency-bound."""
        return self.latency is not None and self.latency > SLOW_CALL_SECONDS

    def budget(self) -> Budget:
        """The budget for the next batch."""
        return self._budget

    def observe(self, res: BatchResult, running: int) -> None:
        """Fold one finished batch into the estimates and adjust limit and budget."""
        if res.calls == 0:
            return
        cpu = res.cpu / res.calls
        period = res.wall / res.calls
        # waiting for the GIL: at most (k - 1) * c per call, and only as much as the GIL is
        # busy (utilisation k * c / period; squared, as queueing delay grows faster than it)
        busy = min(1.0, running * cpu / period) if period > 0 else 1.0
        gil_wait = max(0, running - 1) * cpu * busy * busy
        latency = max(0.0, period - cpu - gil_wait)
        if self.latency is None or self.cpu_per_call is None:
            self.latency, self.cpu_per_call = latency, cpu
        else:
            self.latency += _ALPHA * (latency - self.latency)
            self.cpu_per_call += _ALPHA * (cpu - self.cpu_per_call)

        if self.slow:
            # Little's law, with a floor on the CPU cost so that a tiny sample cannot ask
            # for thousands of threads
            want = math.ceil(self.latency / max(self.cpu_per_call, 20e-6))
            target = max(self.floor, min(self.ceiling, want))
            self.limit = min(target, self.limit * 2) if target > self.limit else target
            self._budget = SLOW_BUDGET
        else:
            self.limit = max(self.floor, self.limit // 2)
            share = max(START_BUDGET.max_entries, FAST_MAX_ENTRIES // self.limit)
            self._budget = Budget(
                max_entries=min(share, self._budget.max_entries * 2),
                max_seconds=FAST_MAX_SECONDS,
            )
        self.peak = max(self.peak, self.limit)
