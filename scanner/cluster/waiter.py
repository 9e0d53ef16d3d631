"""Submitting tasks and waiting for them from plain threads, with Dask's failures mapped.

Every cluster engine waits for its tasks in worker threads of its event loop (one per task
in flight), so that they run on asyncio and trio alike and never block the loop. What comes
back is mapped here, once for every engine:

* a result, or None for a task abandoned after the run was stopped (Ctrl-C: the task gets
  ``grace`` seconds to finish first);
* ``TaskFailed(killed=True)`` when Dask gave up on a task that kept killing its workers
  (``KilledWorker``), ``TaskFailed(killed=False)`` when the task raised;
* ``ClusterLost`` when the scheduler is gone (raised once per run: the other waits return
  None, so the engine ends with one clear error and what it merged).

A task that kept killing workers is run again by :func:`isolate`: alone (:class:`Quarantine`
holds every other submission back, since Dask blames every task queued on a worker that
died, innocent ones too), split in halves until one item is left, and an item that still
kills its worker when sent alone is condemned (an error record), never retried forever.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final, TypeVar

from scanner.cluster.connect import Cluster, ClusterLost

if TYPE_CHECKING:
    from distributed import Future

T = TypeVar("T")

#: How often a thread waiting for a task looks at the stop flag.
_POLL_S: Final = 0.2


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


class Quarantine:
    """Holds submissions back while a suspect runs alone."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._open = threading.Event()
        self._open.set()

    def gate(self) -> None:
        """Wait (in a worker thread) until no suspect is running."""
        self._open.wait()

    @contextmanager
    def alone(self) -> Iterator[None]:
        """Run the body with nothing else submitted (one suspect at a time; re-entrant)."""
        with self._lock:
            self._depth += 1
            self._open.clear()
            try:
                yield
            finally:
                self._depth -= 1
                if not self._depth:
                    self._open.set()


Item = TypeVar("Item")
R = TypeVar("R")


def isolate(
    items: list[Item],
    attempt: Callable[[list[Item]], R],
    combine: Callable[[R, R], R],
    condemn: Callable[[Item], R],
    quarantine: Quarantine,
) -> R:
    """The result of ``items``, whose task kept killing workers: run again alone, in halves
    until the item that kills is found; that item is ``condemn``-ed. ``attempt`` runs a
    part and raises ``TaskFailed(killed=True)`` when its task kept killing workers too."""

    def part(some: list[Item]) -> R:
        try:
            return attempt(some)
        except TaskFailed as exc:
            if not exc.killed:
                raise
            if len(some) == 1:
                return condemn(some[0])
            return isolate(some, attempt, combine, condemn, quarantine)

    with quarantine.alone():
        if len(items) == 1:
            return part(items)  # once more on its own before it is condemned
        mid = len(items) // 2
        return combine(part(items[:mid]), part(items[mid:]))
