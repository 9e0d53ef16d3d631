"""How a cluster walk cuts its frontier into shares (``ClusterExecutor.spread``).

On a fast file system a share takes a part of the frontier per worker thread, not per share
in flight, so that it runs its time through instead of running dry (every share costs the
client milliseconds of Dask's CPU); on a slow one, and until a share has said which it is,
shares stay as small as before. Deterministic: the executor's estimate is fed results, and
the engine's hand-out is watched through a recording executor.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from scanner.cluster import Cluster, ClusterExecutor, ShareConfig
from scanner.fs import WalkConfig, Walker
from scanner.fs.batch import BatchResult, Budget, DirTask, SharedState
from scanner.fs.executor import ThreadExecutor
from scanner.fs.frontier import LISTED_BUNDLE, Frontier
from scanner.fs.listed import ListedDir

pytestmark = pytest.mark.anyio


class _Threads:
    """What ``ClusterExecutor.attach`` asks of a cluster: its thread count."""

    def __init__(self, threads: int) -> None:
        self._threads = threads

    def threads(self) -> int:
        return self._threads


def _executor(threads: int = 2) -> ClusterExecutor:
    executor = ClusterExecutor(None, ShareConfig(shares_per_thread=2))
    executor.attach(cast(Cluster, _Threads(threads)))
    return executor


def _share(calls: int, wall: float) -> BatchResult:
    return BatchResult(calls=calls, wall=wall)


def test_before_a_share_returns_the_frontier_is_cut_per_share_in_flight() -> None:
    executor = _executor()
    assert executor.slots == 4
    assert executor.spread is None  # the engine then cuts it into ``slots`` parts
    executor.observe(BatchResult())  # a share that made no call says nothing
    assert executor.spread is None


def test_on_a_fast_file_system_the_frontier_is_cut_per_thread() -> None:
    executor = _executor(threads=3)
    executor.observe(_share(calls=20_000, wall=0.25))  # 12.5 µs a call: a warm local disk
    assert executor.spread == 3
    assert executor.slots == 6  # still two shares in flight per thread


def test_one_worker_thread_still_gets_two_parts() -> None:
    executor = _executor(threads=1)
    executor.observe(_share(calls=20_000, wall=0.25))
    assert executor.spread == 2  # its next share waits for it with the other half


def test_on_a_slow_file_system_shares_stay_small() -> None:
    executor = _executor()
    executor.observe(_share(calls=200, wall=0.5))  # 2.5 ms a call: NFS, the FUSE lab
    assert executor.spread is None


def test_the_estimate_follows_the_shares_smoothed() -> None:
    executor = _executor()
    executor.observe(_share(calls=200, wall=0.5))
    executor.observe(_share(calls=20_000, wall=0.25))  # one fast share: still slow
    assert executor.spread is None
    for _ in range(20):
        executor.observe(_share(calls=20_000, wall=0.25))
    assert executor.spread == 2


class _Recording:
    """The thread executor, recording how many directories each batch was handed; its
    roots are the given directories (as if a root had been read and held them)."""

    def __init__(self, dirs: list[DirTask], slots: int, spread: int | None) -> None:
        self.inner = ThreadExecutor(1)
        self.dirs = dirs
        self._slots = slots
        self._spread = spread
        self.handed: list[int] = []

    @property
    def slots(self) -> int | None:
        return self._slots

    @property
    def spread(self) -> int | None:
        return self._spread

    async def roots(self, config: WalkConfig, shared: SharedState) -> BatchResult:
        return BatchResult(frontier=list(self.dirs))

    async def batch(
        self, tasks: list[DirTask], config: WalkConfig, budget: Budget, shared: SharedState
    ) -> BatchResult:
        self.handed.append(len(tasks))
        return await self.inner.batch(tasks, config, budget, shared)


@pytest.mark.parametrize(("spread", "first"), [(None, 2), (1, 8), (2, 4)])
async def test_the_engine_cuts_the_frontier_into_spread_parts(
    tmp_path: Path, spread: int | None, first: int
) -> None:
    dirs = []
    for i in range(8):
        (tmp_path / f"d{i}").mkdir()
        (tmp_path / f"d{i}" / "f.txt").write_text("x")
        dirs.append(DirTask(str(tmp_path / f"d{i}"), 1, len(str(tmp_path)) + 1))
    executor = _Recording(dirs, slots=4, spread=spread)
    report = await Walker(WalkConfig(roots=(str(tmp_path),)), executor=executor).run()
    # 8 directories waiting, 4 batches allowed to run: the first takes its part, the
    # others less (trio starts them in any order: the largest is the first)
    assert max(executor.handed) == first
    assert sum(executor.handed) == 8
    assert report.totals.files == 8


# --- a directory listed part-way: pieces, and how the frontier hands them out ------------


def _listed(path: str, n: int) -> DirTask:
    names = tuple(f"{path}-{i}" for i in range(n))
    return DirTask(path, 1, 0, open=ListedDir(names, "f" * n))


def _names(tasks: list[DirTask]) -> list[str]:
    return [n for t in tasks if isinstance(t.open, ListedDir) for n in t.open.names]


def test_a_listed_directory_is_cut_into_a_piece_per_share_in_flight() -> None:
    executor = _executor(threads=4)  # 8 shares in flight
    plain = DirTask("/t/plain", 1, 0)
    big = _listed("/t/big", 500)
    out = executor.pieces([big, plain, _listed("/t/small", 40)])
    assert out[0] is plain  # plain directories first, the open kinds at the end
    pieces = [t for t in out if t.path == "/t/big"]
    assert [len(t.open) for t in pieces] == [63] * 7 + [59]  # type: ignore[arg-type]
    assert _names(pieces) == _names([big])  # in order, each name once
    # too small to be worth two shares (LISTED_BUNDLE names each): one piece
    assert [len(t.open) for t in out if t.path == "/t/small"] == [40]  # type: ignore[arg-type]
    # and never more than share_entries names a piece
    capped = ClusterExecutor(None, ShareConfig(share_entries=100))
    capped.attach(cast(Cluster, _Threads(1)))
    assert [len(t.open) for t in capped.pieces([big])] == [100] * 5  # type: ignore[arg-type]


def test_the_frontier_hands_out_listed_pieces_one_a_share_oldest_first_small_rests_together() -> (
    None
):
    frontier = Frontier()
    first, second = _listed("/t/first", 40), _listed("/t/second", 40)
    rests = [_listed(f"/t/rest{i}", 10) for i in range(4)]
    frontier.push([DirTask("/t/a", 1, 0), first, second, *rests])
    assert len(frontier) == 7
    assert frontier.share(1) == [DirTask("/t/a", 1, 0), first]
    assert frontier.share(1) == [second]  # a piece of LISTED_BUNDLE names or more goes alone
    assert 3 * 10 <= LISTED_BUNDLE < 4 * 10
    assert frontier.share(1) == rests[:3]  # small rests go together, up to LISTED_BUNDLE names
    assert frontier.share(1) == rests[3:]
    assert len(frontier) == 0
