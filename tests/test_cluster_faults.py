"""Workers that die: every entry and count still reported exactly once, never a hang.

The hook ``SCANNER_CLUSTER_FAULT`` (``scanner.cluster.faults``) kills a worker right after it
did a task's work and before the result is returned, the worst moment. Each test starts its
own embedded cluster, since the hook is read from the environment its workers inherit.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dask
import distributed  # noqa: F401  (its config defaults, before dask.config.set touches them)
import pytest

from scanner.cluster import Cluster, ClusterExecutor, ClusterSpec, ShareConfig, open_cluster
from scanner.cluster.faults import FAULT_ENV
from scanner.fs import WalkConfig, Walker
from scanner.labs.tree import TreeSpec, generate_tree
from tests.cluster_helpers import CONFIGS, config, walk_digest
from tests.fs_helpers import make_files

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("faults") / "tree"
    generate_tree(root, TreeSpec(files=2000, seed=5, hardlinks=20, symlinks=10))
    return root


@pytest.fixture
def dying_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    markers = tmp_path / "markers"
    markers.mkdir()
    # two deaths: the roots task and the first share (the root alone) exist in every walk,
    # one after the other; a third task does not (a share of 5 ms reads at least 20 ms, and
    # the whole 2,000-file tree can go in the next: 1 run in 3-5 failed with 3 at load 3)
    monkeypatch.setenv(FAULT_ENV, f"die-first:{markers}:2")
    with open_cluster(ClusterSpec.parse("local:2")) as cluster:
        yield cluster
    assert len(list(markers.iterdir())) == 2  # two workers did die


@pytest.mark.parametrize("name", ["count", "list", "follow"])
async def test_a_worker_dying_on_its_first_attempt_changes_nothing(
    tree: Path, dying_cluster: Cluster, name: str
) -> None:
    cfg = config(name, (str(tree),))
    shares = ShareConfig(share_seconds=0.005, first_seconds=0.005)
    got = await walk_digest(cfg, dying_cluster, shares)
    assert got == await walk_digest(cfg)
    if cfg.listing:  # nothing doubled: every path once
        paths = [e[0] for e in got["entries"]]
        assert len(paths) == len(set(paths))


async def test_a_share_that_keeps_killing_workers_is_split_then_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for part in ("a", "b", "c", "poison"):
        make_files(tmp_path, {f"{part}/x.txt": 10, f"{part}/sub/y.bin": 20})
    monkeypatch.setenv(FAULT_ENV, "die-always:/poison")
    roots = tuple(str(tmp_path / part) for part in ("a", "b", "c", "poison"))
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        open_cluster(ClusterSpec.parse("local:2")) as cluster,
    ):
        # one share per worker thread: the roots go out two at a time, poison with another
        executor = ClusterExecutor(cluster, ShareConfig(shares_per_thread=1, first_seconds=1))
        report = await Walker(WalkConfig(roots=roots), executor=executor).run()
    healthy = await walk_digest(WalkConfig(roots=roots[:3]))
    assert [(e.subject, e.phase) for e in report.errors] == [(roots[3], "cluster")], report.errors
    assert executor.suspects >= 1
    t = report.totals
    assert [t.files, t.dirs, t.symlinks, t.other, t.bytes, t.errors] == [
        *healthy["totals"][:5],
        1,
    ]


def test_configs_cover_listing_and_follow() -> None:
    assert {"list", "follow"} <= set(CONFIGS)
