"""Which worker a tree-walk share goes to when the file system is slow.

On a fast file system a worker's bound is its CPU, and Dask's own choice of a worker is
right. On a latency-bound one (NFS, Lustre, the multi-node lab) a node's bound is its mount:
a share that meets a directory of seconds holds that node's bandwidth until it is done, and a
share Dask sends to the node's other thread meanwhile reads at a fraction of its speed (traced
on the 4-node lab, two threads a node: the tree's two largest directories on one node, 5.4 s
for what alone takes 3.2). Dask cannot see that (it balances threads, and a thread is free),
so the client places such shares itself: on the worker with the fewest shares in flight per
thread, never on one whose share is overdue (in flight for more than ``overdue`` seconds:
much longer than its time, it is finishing a directory that is large) while another has none.
A share placed on a worker that leaves may still run elsewhere (``allow_other_workers``).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Placement:
    """Shares in flight per worker, and where the next one goes (see the module docstring).
    Thread-safe: shares are placed and finished from the executor's worker threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        #: worker address -> its Dask threads
        self._threads: dict[str, int] = {}
        #: worker address -> {flight id: when it was sent}
        self._flights: dict[str, dict[int, float]] = {}
        self._ids = itertools.count()

    def workers(self, threads: dict[str, int]) -> None:
        """The workers now in the cluster, with their thread counts."""
        with self._lock:
            self._threads = {addr: max(1, n) for addr, n in threads.items()}

    def choose(self, overdue: float) -> str | None:
        """The worker for the next share: the fewest shares in flight per thread among those
        with no share in flight for more than ``overdue`` seconds (all of them when every
        worker has one). None when no worker is known."""
        now = self._clock()
        with self._lock:
            best: tuple[bool, float, str] | None = None
            for addr, threads in sorted(self._threads.items()):
                flights = self._flights.get(addr, {})
                late = any(now - sent > overdue for sent in flights.values())
                key = (late, len(flights) / threads, addr)
                if best is None or key < best:
                    best = key
            return None if best is None else best[2]

    @contextmanager
    def flight(self, addr: str | None) -> Iterator[None]:
        """Count a share in flight on ``addr`` (None: not placed, not counted) for the
        body's duration."""
        if addr is None:
            yield
            return
        with self._lock:
            ident = next(self._ids)
            self._flights.setdefault(addr, {})[ident] = self._clock()
        try:
            yield
        finally:
            with self._lock:
                self._flights[addr].pop(ident, None)
