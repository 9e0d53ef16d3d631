"""Which worker reads the next share of a walk, and which queued shares to take back.

Dask sends a task to the worker with the fewest tasks (weighted by their average duration),
and a worker queues what it cannot start yet. On a slow file system that goes wrong exactly
where it matters: a share that opened a directory of seconds (a directory is finished where
it was opened) keeps its worker busy far past its budget, yet counts as one task like any
other, so the next share is queued behind it, and that share's directories wait seconds
while the other workers run dry. Traced on the multi-node lab (4 nodes, one thread each):
a share queued at 1.3 s behind the 636-entry directory started at 3.9 s; when it holds the
parent of the next large directory, the walk takes a second longer. So the client places
every share itself (a loose restriction: Dask still runs it elsewhere if that worker goes):

* on the worker with the fewest shares in flight per thread, never behind a worker's
  *stuck* shares (each of its threads running a share past ``overdue`` times its budget)
  while another worker is not stuck;
* a share queued on a worker that became stuck is taken back when another worker has a
  thread free (:meth:`Placement.stuck`: the caller cancels its task and places it again,
  there). A share that started meanwhile is dropped with its result: tasks write nothing,
  so reading it again elsewhere changes nothing;
* a stuck worker is offered a share per thread (the ones running), not ``per_thread``:
  :meth:`Placement.capacity` is how many shares the client keeps in flight.

The client does not see when a worker starts a share. A worker starts its tasks in the order
they came (Dask's priorities follow submission), so on a worker of n threads the n oldest
shares in flight are the running ones, each since it was sent or since the share before it
returned: an estimate, good enough to tell a share of seconds from one of its budget.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

#: A running share is overdue once it has run this many times its budget...
OVERDUE_FACTOR: Final = 2.0
#: ... and at least this much longer than its budget (the first shares' budgets are tens of
#: milliseconds: finishing a directory of 100 entries overshoots them by that much).
OVERDUE_MARGIN_S: Final = 0.25


@dataclass(eq=False)
class Placed:
    """One share in flight on ``worker`` (the client's estimate of when it started)."""

    worker: str
    seconds: float
    #: when the share started running (None while queued behind others)
    started: float | None = None
    #: set once it has been taken back (its wait is over)
    gone: bool = field(default=False)


class Placement:
    """The client's record of the shares in flight per worker (see the module docstring).
    Thread-safe: every share waits in a thread of its own."""

    def __init__(self, per_thread: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_thread = per_thread
        self._clock = clock
        self._threads: dict[str, int] = {}
        self._placed: dict[str, list[Placed]] = {}
        #: how often each worker was chosen last (ties go to the one chosen longest ago)
        self._order: dict[str, int] = {}
        self._count = 0
        self._lock = threading.Lock()
        #: shares taken back from stuck workers so far
        self.taken_back = 0

    def workers(self, threads: Mapping[str, int]) -> None:
        """The workers now in the cluster and their threads (others get no more shares)."""
        with self._lock:
            self._threads = {w: max(1, n) for w, n in threads.items()}

    @property
    def threads(self) -> int:
        """Worker threads in the cluster (at least 1)."""
        with self._lock:
            return max(1, sum(self._threads.values()))

    def capacity(self) -> int:
        """Shares to keep in flight: ``per_thread`` per thread, one per thread of a stuck
        worker (a share sent there would wait behind the stuck ones)."""
        now = self._clock()
        with self._lock:
            total = 0
            for worker, threads in self._threads.items():
                total += threads if self._stuck(worker, now) else threads * self.per_thread
            return max(1, total)

    def place(self, seconds: float) -> Placed | None:
        """Place a share of budget ``seconds``: on the worker with the fewest shares in
        flight per thread that is not stuck (a stuck one only when all are); None when no
        worker is known (Dask places it)."""
        now = self._clock()
        with self._lock:
            if not self._threads:
                return None

            def key(worker: str) -> tuple[bool, float, int]:
                load = len(self._placed.get(worker, ())) / self._threads[worker]
                return self._stuck(worker, now), load, self._order.get(worker, -1)

            worker = min(self._threads, key=key)
            self._count += 1
            self._order[worker] = self._count
            share = Placed(worker, seconds)
            queue = self._placed.setdefault(worker, [])
            queue.append(share)
            if len(queue) <= self._threads[worker]:
                share.started = now
            return share

    def done(self, share: Placed) -> None:
        """``share`` returned (or was given up): the next one queued on its worker starts."""
        now = self._clock()
        with self._lock:
            queue = self._placed.get(share.worker)
            if queue is None or share not in queue:
                return
            queue.remove(share)
            threads = self._threads.get(share.worker, 1)
            for other in queue[:threads]:
                if other.started is None:
                    other.started = now
            if not queue:
                del self._placed[share.worker]

    def stuck(self, share: Placed) -> bool:
        """Whether ``share`` waits on a worker whose every thread runs an overdue share
        while another worker has a thread free: then it is taken back (forgotten here; the
        caller cancels its task and places it again, where it starts at once: a share taken
        back never waits in another queue, nor moves twice)."""
        now = self._clock()
        with self._lock:
            if share.started is not None or share.gone:
                return False
            if not self._stuck(share.worker, now):
                return False
            if not any(
                len(self._placed.get(w, ())) < n
                for w, n in self._threads.items()
                if w != share.worker
            ):
                return False  # no thread free elsewhere: it waits here as well as anywhere
            share.gone = True
            self.taken_back += 1
            self._placed[share.worker].remove(share)
            return True

    def _stuck(self, worker: str, now: float) -> bool:
        queue = self._placed.get(worker)
        threads = self._threads.get(worker, 1)
        if not queue or len(queue) < threads:
            return False
        return all(_overdue(share, now) for share in queue[:threads])


def _overdue(share: Placed, now: float) -> bool:
    if share.started is None:
        return False
    late = max(OVERDUE_FACTOR * share.seconds, share.seconds + OVERDUE_MARGIN_S)
    return now - share.started > late
