"""Tree walks on a Dask cluster give exactly the single-process result, faults included.

One embedded ``local:2`` cluster serves the module (it starts in well under a second); the
``dask scheduler``/``dask worker`` commands start once for the tcp:// tests. The tree has
what makes walks differ when they go wrong: hard links (some across directories that go to
different tasks), a symlink loop and a self-link, unreadable directories (compared without
root's capabilities, so that chmod 000 holds) and a directory of 12,000 entries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner import exit_codes
from scanner.cluster import (
    Cluster,
    ClusterExecutor,
    ClusterLost,
    ClusterSpec,
    ShareConfig,
    open_cluster,
    walk_on_cluster,
)
from scanner.fs import WalkBatch, WalkConfig, Walker, walk
from scanner.fs.listed import ListedDir
from scanner.labs.tree import TreeSpec, generate_tree
from tests.cluster_helpers import (
    CONFIGS,
    NO_DAC,
    PSEUDO_DIR,
    REPO,
    DaskProcesses,
    config,
    dask_processes,
    make_huge_dir,
    walk_digest,
    write_mountinfo,
)

pytestmark = pytest.mark.anyio

HUGE = 12_000
ROOT_DROPS_CAPS = os.geteuid() == 0


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    top = tmp_path_factory.mktemp("cluster")
    generate_tree(top / "lab", TreeSpec(files=3000, seed=11, hardlinks=30, symlinks=15))
    make_huge_dir(top / "huge", HUGE)
    twins = top / "twins"
    for part in ("a", "b"):
        (twins / part).mkdir(parents=True)
    for i in range(5):
        with open(twins / "a" / f"x{i}.bin", "wb") as fh:
            fh.truncate(1000 + i)
        os.link(twins / "a" / f"x{i}.bin", twins / "b" / f"x{i}.bin")
    # --gitignore rules at two levels, and a mount table that makes a directory a pseudo
    # file system (the "filters" and "pseudo" configs)
    (top / "lab" / ".gitignore").write_text("*.png\nconf*/\n")
    (top / ".ignore").write_text("huge/f1*\n")
    write_mountinfo(top)
    for locked in (top / "lab" / "locked", top / "closed" / "shut"):
        locked.mkdir(parents=True)
        (locked / "hidden.txt").write_text("x")
        locked.chmod(0)
    yield top
    for locked in (top / "lab" / "locked", top / "closed" / "shut"):
        locked.chmod(0o700)


@pytest.fixture(scope="module")
def local2() -> Iterator[Cluster]:
    with open_cluster(ClusterSpec.parse("local:2")) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def expected(tree: Path) -> dict[str, Any]:
    """What the workers of ``commands`` must find: single-process digests, computed with
    the same capabilities as theirs."""
    return reference((str(tree),), no_dac=ROOT_DROPS_CAPS, single=True)


@pytest.fixture(scope="module")
def commands(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskProcesses]:
    """A scheduler and two workers from the dask commands; the workers without root's
    capabilities, so that unreadable directories are unreadable to them."""
    tmp = tmp_path_factory.mktemp("dask-commands")
    with dask_processes(tmp, 2, prefix=NO_DAC if ROOT_DROPS_CAPS else None) as procs:
        yield procs


def reference(roots: tuple[str, ...], *, no_dac: bool, single: bool = False) -> dict[str, Any]:
    """Single-process digests of every config (and local:2 ones), from a child process."""
    argv = [
        sys.executable,
        "-m",
        "tests.cluster_helpers",
        *(["--single"] if single else []),
        *roots,
    ]
    if no_dac:
        argv = [*NO_DAC, *argv]
    out = subprocess.run(argv, cwd=REPO, capture_output=True, check=True, timeout=300)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("share_seconds", [0.002, 0.25])
async def test_local_cluster_gives_the_single_process_result(
    tree: Path, local2: Cluster, name: str, share_seconds: float
) -> None:
    cfg = config(name, (str(tree),))
    shares = ShareConfig(share_seconds=share_seconds, first_seconds=share_seconds)
    single = await walk_digest(cfg)
    assert await walk_digest(cfg, local2, shares) == single
    assert single["totals"][0] > 1000
    if cfg.follow:
        assert any(e[1] == "loop" for e in single["errors"])
        assert single["notes"][0] > 0  # directories reached twice, read once
    if name == "pseudo":
        assert single["notes"][1] == [[str(tree / PSEUDO_DIR), "proc"]]
    if cfg.gitignore:
        assert single["totals"][6] > 0  # ignored
    if cfg.dir_totals is not None:
        assert single["dirs"]


async def test_overlapping_roots_are_merged_as_in_one_process(tree: Path, local2: Cluster) -> None:
    roots = (str(tree / "twins"), str(tree), str(tree / "lab"), str(tree / "twins" / "a"))
    for name in ("list", "du"):
        cfg = config(name, roots)
        single = await walk_digest(cfg)
        assert await walk_digest(cfg, local2, ShareConfig(share_seconds=0.01)) == single
        assert len(single["notes"][2]) == 3


@pytest.mark.parametrize("name", ["count", "list", "follow"])
async def test_a_cluster_started_by_the_walk_reads_here_meanwhile(tree: Path, name: str) -> None:
    # given a spec, the walk starts the cluster itself, reading the first directories in
    # this process while it starts (devices and hard links named as the workers name them)
    cfg = config(name, (str(tree),))
    got = await walk_digest(cfg, ClusterSpec.parse("local:2"), ShareConfig(share_seconds=0.01))
    assert got == await walk_digest(cfg)


async def test_the_huge_directory_is_shared_between_tasks_each_entry_once(
    tree: Path, local2: Cluster
) -> None:
    # a share whose time runs out inside the 12,000-entry directory sends back the names it
    # did not read (an open scandir cannot travel), and the client cuts them into pieces
    # for several tasks: each entry comes back exactly once, across several batches
    batches: list[list[str]] = []

    async def keep(batch: WalkBatch) -> None:
        batches.append([e.path for e in batch.entries])

    root = tree / "huge"
    cfg = WalkConfig(roots=(str(root),), listing=True, stat_listed=True)
    report = await walk_on_cluster(local2, cfg, keep, shares=ShareConfig(share_seconds=0.001))
    paths = [p for batch in batches for p in batch]
    assert report.totals.files == HUGE
    assert sorted(paths) == sorted(str(root / name) for name in os.listdir(root))
    assert report.totals == (await walk(cfg)).totals


def test_a_share_lists_at_most_four_share_entries_names_and_reads_the_rest_itself(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # deterministic: a share with no time at all (and no least time for its first batch)
    # stops inside the huge directory at its first clock check, then sends back at most
    # 4 x max_entries names of it listed (what a result holds stays bounded) and reads the
    # rest itself; every entry once
    from scanner.cluster import share
    from scanner.cluster.claims import WorkerState
    from scanner.fs._unit import root_tasks

    monkeypatch.setattr(share, "_FIRST_SECONDS", 0.0)
    root = tree / "huge"
    cfg = WalkConfig(roots=(str(root),), listing=True)
    state = WorkerState()
    roots = root_tasks(cfg, state).frontier
    res = share.read_share(roots, cfg, 0.0, max_entries=100, state=state, linger=0.0)
    [listed] = res.frontier
    assert isinstance(listed.open, ListedDir) and len(listed.open) == 400
    read = [e.name for e in res.entries]
    assert len(read) == HUGE - 400
    assert sorted(read + list(listed.open.names)) == sorted(os.listdir(root))


async def test_hard_links_in_different_tasks_count_once(tree: Path, local2: Cluster) -> None:
    roots = (str(tree / "twins" / "a"), str(tree / "twins" / "b"))
    cfg = WalkConfig(roots=roots)
    executor = ClusterExecutor(local2, ShareConfig(first_seconds=0.001))
    report = await Walker(cfg, executor=executor).run()
    assert executor.ledger.repeated == 5  # each inode's second name came from another task
    assert report.totals.bytes == sum(1000 + i for i in range(5))
    assert report.totals.files == 10
    assert report.extensions.as_dict()["bin"] == (10, report.totals.bytes)
    assert sorted(f.size for f in report.largest) == [1000 + i for i in range(5)]
    single = await walk(cfg)
    assert single.totals.bytes == report.totals.bytes


def test_an_embedded_cluster_runs_without_the_dashboards_monitors() -> None:
    import dask
    import distributed  # noqa: F401 (loads Dask's distributed settings)

    def seen(dask_worker: Any) -> tuple[object, object, bool]:
        return (
            dask.config.get("distributed.admin.tick.interval"),
            dask_worker.memory_manager.memory_limit,
            "memory_monitor" in dask_worker.periodic_callbacks,
        )

    before = dask.config.get("distributed.admin.tick.interval")
    with open_cluster(ClusterSpec.parse("local:1")) as cluster:
        assert list(cluster.client.run(seen).values()) == [("1s", None, False)]
    assert dask.config.get("distributed.admin.tick.interval") == before


@pytest.mark.skipif(not ROOT_DROPS_CAPS, reason="chmod 000 already holds for this user")
def test_unreadable_directories_without_root_capabilities(tree: Path) -> None:
    both = reference((str(tree),), no_dac=True)
    for name, pair in both.items():
        assert pair["cluster"] == pair["single"], name
        denied = [e for e in pair["single"]["errors"] if e[2] == 13]  # EACCES
        assert len(denied) == 2, name


@pytest.mark.parametrize("how", ["address", "scheduler-file"])
async def test_scheduler_and_workers_started_with_the_dask_commands(
    tree: Path,
    commands: DaskProcesses,
    expected: dict[str, Any],
    how: str,
    anyio_backend: str,
) -> None:
    spec = (
        ClusterSpec.parse(commands.address)
        if how == "address"
        else ClusterSpec.from_file(str(commands.scheduler_file))
    )
    # every config and two share budgets once; the other runs (the scheduler file, trio)
    # with one config and one budget each
    thorough = how == "address" and anyio_backend == "asyncio"
    with open_cluster(spec) as cluster:
        cluster.client.wait_for_workers(2, timeout=60)
        assert cluster.workers() == 2
        for name in CONFIGS if thorough else ["list"]:
            for seconds in (0.005, 0.25) if thorough else (0.02,):
                shares = ShareConfig(share_seconds=seconds, first_seconds=seconds)
                got = await walk_digest(config(name, (str(tree),)), cluster, shares)
                assert got == expected[name]["single"], (name, seconds)


def test_no_dask_is_one_line_and_exit_4(monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.cluster import connect, require_dask

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(Exception) as caught:
        require_dask()
    assert caught.value.exit_code == exit_codes.FAILURE  # type: ignore[attr-defined]
    assert "pip install 'scanner[cluster]'" in str(caught.value)
    assert "\n" not in str(caught.value)
    with pytest.raises(type(caught.value)):
        connect(ClusterSpec.parse("local:1"))


def test_nothing_imports_dask_unless_asked() -> None:
    code = (
        "import sys, scanner.cluster, scanner.fs, scanner.cluster.tasks\n"
        "assert not {'dask', 'distributed'} & set(sys.modules), 'dask imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)


@pytest.mark.parametrize(
    ("text", "kind", "workers"),
    [
        ("local", "local", None),
        ("local:3", "local", 3),
        ("tcp://127.0.0.1:8786", "scheduler", None),
    ],
)
def test_cluster_spec_parses(text: str, kind: str, workers: int | None) -> None:
    spec = ClusterSpec.parse(text)
    assert (spec.kind, spec.workers) == (kind, workers)


@pytest.mark.parametrize("text", ["local:0", "remote", "tcp://127.0.0.1", "127.0.0.1:8786", ""])
def test_bad_cluster_specs_are_usage_problems(text: str) -> None:
    from scanner.errors import UsageProblem

    with pytest.raises(UsageProblem):
        ClusterSpec.parse(text)


async def test_losing_the_scheduler_ends_with_cluster_lost_and_the_merged_part(
    tree: Path, tmp_path: Path
) -> None:
    # a share reads at least 20 ms (whatever --share-seconds says), within which the lab
    # alone (3,000 files) could be read whole before the scheduler is killed: nothing left
    # to ask it, no ClusterLost (1 run in ~5 under load). A 20,000-file root is ~10 times
    # that: shares are still to come when the first batch arrives.
    big = tmp_path / "big"
    generate_tree(big, TreeSpec(files=20_000, seed=12))
    with (
        dask_processes(tmp_path, 1) as procs,
        open_cluster(ClusterSpec.parse(procs.address), timeout=5) as cluster,
    ):
        seen = 0

        async def kill_at_first(batch: WalkBatch) -> None:
            nonlocal seen
            seen += batch.totals.entries
            if seen and procs.processes[0].poll() is None:
                procs.kill_scheduler()

        cfg = WalkConfig(roots=(str(tree / "lab"), str(big)))
        with pytest.raises(ClusterLost) as caught:
            await walk_on_cluster(
                cluster, cfg, kill_at_first, shares=ShareConfig(share_seconds=0.001)
            )
        assert caught.value.exit_code == exit_codes.FAILURE
        assert "lost the Dask scheduler" in str(caught.value)
        partial = caught.value.report
        assert partial is not None
        assert 0 < partial.totals.entries == seen  # type: ignore[attr-defined]


@pytest.mark.parametrize("seconds", [0.0, -1.0])
def test_a_share_out_of_time_before_its_first_batch_still_reads(
    tmp_path: Path, seconds: float
) -> None:
    # a share's time can run out while its event loop starts (a short --share-seconds on a
    # busy, coverage-measured worker); handing every directory back unread made the client
    # send the same share again, for ever (a CI run hung here). It reads one batch first.
    from scanner.cluster.claims import WorkerState
    from scanner.cluster.share import read_share
    from scanner.fs._unit import root_tasks

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}.txt").write_text(name)
    cfg = WalkConfig(roots=(str(tmp_path),))
    state = WorkerState()
    roots = root_tasks(cfg, state).frontier
    res = read_share(roots, cfg, seconds, state=state)
    assert res.dirs_read >= 1
    assert res.frontier != roots  # progress: not the same share handed back
