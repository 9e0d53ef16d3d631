"""Where a walk's shares go (``scanner.cluster.placement``) and how one is taken back.

The placement is a pure record driven by a fake clock here; the take-back through Dask
(``Waiter.run(reclaim=...)``) runs on a one-thread local cluster, with a task that holds
the worker until the test lets it go: no timing is asserted.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.cluster import ClusterSpec, open_cluster
from scanner.cluster.connect import Cluster
from scanner.cluster.placement import Placed, Placement
from scanner.cluster.waiter import TakenBack, Waiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _placement(workers: dict[str, int], per_thread: int = 2) -> tuple[Placement, Clock]:
    clock = Clock()
    placement = Placement(per_thread, clock=clock)
    placement.workers(workers)
    return placement, clock


def _started(share: Placed) -> float | None:
    return share.started  # read anew: a call's effect the type checker cannot see


def test_shares_go_to_the_least_loaded_worker_in_turn() -> None:
    placement, _ = _placement({"a": 1, "b": 1})
    assert placement.capacity() == 4
    placed = [placement.place(0.5) for _ in range(4)]
    assert [p.worker for p in placed if p is not None] == ["a", "b", "a", "b"]
    # the first share on each worker runs, the second waits behind it
    assert [p.started is not None for p in placed if p is not None] == [True, True, False, False]


def test_a_share_queued_behind_an_overdue_share_goes_to_a_free_thread_elsewhere() -> None:
    placement, clock = _placement({"a": 1, "b": 1})
    running_a, running_b, queued_a = (placement.place(0.5) for _ in range(3))
    assert running_a is not None and running_b is not None and queued_a is not None
    assert queued_a.worker == "a"
    clock.now += 0.9  # a's share is late, not yet overdue (twice its 0.5 s)
    assert not placement.stuck(queued_a)
    placement.done(running_b)  # b is free again
    clock.now += 0.2
    assert placement.capacity() == 3  # a stuck worker is offered only its running share
    assert placement.stuck(queued_a)  # 1.1 s into a 0.5 s share: taken back
    assert placement.taken_back == 1
    assert not placement.stuck(queued_a)  # once
    again = placement.place(0.5)
    assert again is not None and again.worker == "b"
    # and no new share goes to a while it is stuck, though b holds more
    later = placement.place(0.5)
    assert later is not None and later.worker == "b"
    placement.done(queued_a)  # the taken-back share's wait ends: nothing changes
    placement.done(running_a)  # a's long share returned: a takes shares again
    assert placement.capacity() == 4
    last = placement.place(0.5)
    assert last is not None and last.worker == "a" and last.started == clock.now


def test_nothing_is_taken_back_when_every_worker_is_stuck() -> None:
    placement, clock = _placement({"a": 1, "b": 1}, per_thread=2)
    shares = [placement.place(0.5) for _ in range(4)]
    clock.now += 5.0
    queued = [s for s in shares if s is not None and s.started is None]
    assert len(queued) == 2
    assert not any(placement.stuck(s) for s in queued)  # nowhere better to go
    assert placement.capacity() == 2


def test_a_worker_is_stuck_only_when_all_its_threads_run_overdue_shares() -> None:
    placement, clock = _placement({"a": 2, "b": 1})
    s1 = placement.place(0.5)
    clock.now += 0.6
    s2, s3, s4, s5 = (placement.place(0.5) for _ in range(4))
    assert s1 is not None and s2 is not None and s3 is not None
    assert s4 is not None and s5 is not None
    # b (empty), a's second thread, then one queued on each (b first at equal load: a was
    # chosen last)
    assert [s.worker for s in (s1, s2, s3, s4, s5)] == ["a", "b", "a", "b", "a"]
    assert s3.started is not None and s4.started is None and s5.started is None
    clock.now += 0.5  # s1 overdue; s3 (a's other thread) and s2 are not
    assert not placement.stuck(s5)
    clock.now += 0.6  # every running share overdue: a and b are both stuck
    assert not placement.stuck(s5) and not placement.stuck(s4)  # nowhere better
    placement.done(s2)  # b's share returned: s4 starts there
    assert _started(s4) == clock.now
    assert not placement.stuck(s5)  # b is not stuck but has no thread free: s5 stays
    placement.done(s4)
    assert placement.stuck(s5)  # a's two threads are stuck, b's is free


def test_the_next_queued_share_starts_when_one_returns() -> None:
    placement, clock = _placement({"a": 1})
    first, second = placement.place(0.25), placement.place(0.25)
    assert first is not None and second is not None and second.started is None
    clock.now += 3.0
    placement.done(first)
    assert _started(second) == clock.now


def test_without_workers_dask_places_the_share() -> None:
    placement, _ = _placement({})
    assert placement.place(0.5) is None
    assert placement.capacity() == 1


# --- the take-back through Dask ---------------------------------------------------------


def _hold(started: str, release: str) -> str:
    """Hold the worker's only thread until ``release`` exists (bounded: never a hang)."""
    Path(started).touch()
    deadline = time.monotonic() + 120
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.01)
    return "held"


def _mark(path: str) -> str:
    Path(path).touch()
    return "ran"


@pytest.fixture(scope="module")
def one_thread() -> Iterator[Cluster]:
    with open_cluster(ClusterSpec.parse("local:1")) as cluster:
        yield cluster


def test_a_task_taken_back_before_it_starts_never_runs(one_thread: Cluster, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    waiter = Waiter(one_thread)
    started, release = tmp_path / "started", tmp_path / "release"
    marker, after = tmp_path / "marker", tmp_path / "after"
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(
            waiter.run, _hold, str(started), str(release), name="hold", stopped=lambda: False,
            grace=1.0,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while not started.exists() and time.monotonic() < deadline:
                time.sleep(0.01)  # the worker's only thread is taken: the next task waits
            asked: list[int] = []

            def reclaim() -> bool:
                asked.append(1)
                return len(asked) >= 2  # asked while it waits: the second time says yes

            with pytest.raises(TakenBack):
                waiter.run(
                    _mark, str(marker), name="mark", stopped=lambda: False, grace=1.0,
                    reclaim=reclaim,
                )  # fmt: skip
        finally:
            release.touch()
        assert held.result(timeout=120) == "held"
    # the worker runs in order: had the taken-back task stayed queued, it would run first
    assert waiter.run(_mark, str(after), name="after", stopped=lambda: False, grace=1.0) == "ran"
    assert after.exists()
    assert not marker.exists()
