"""Archives and sweeps on a Dask cluster: the single-process results, archive by archive and
host by host, faults included."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner.archives.config import EngineConfig, ZipConfig
from scanner.archives.engine import inspect_paths
from scanner.archives.model import ArchiveReport, Candidate
from scanner.cluster import (
    Cluster,
    ClusterSpec,
    ShareConfig,
    inspect_on_cluster,
    open_cluster,
    sweep_on_cluster,
)
from scanner.cluster.blocks import cut_blocks
from scanner.cluster.faults import FAULT_ENV
from scanner.labs.archives import write_corpus
from scanner.labs.fakeping import (
    SILENT,
    write_fake_ping,
)
from scanner.net.config import ProbeMethod, SweepConfig
from scanner.net.engine import sweep
from scanner.net.icmp.access import detect_access
from scanner.net.model import HostResult, HostState
from scanner.net.targets import TargetSpec, expand, parse_target_spec, spans
from tests.fakeping_hosts import MIXED_HOSTS

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def local2() -> Iterator[Cluster]:
    with open_cluster(ClusterSpec.parse("local:2")) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Candidate]:
    root = tmp_path_factory.mktemp("zips")
    paths = write_corpus(root, seed=3, ordinary=40, hostile=True)
    (root / "missing.zip").write_bytes(b"")
    (root / "missing.zip").unlink()
    out = [Candidate(str(p), p.stat().st_size) for p in sorted(paths)]
    return [*out, Candidate(str(root / "missing.zip"), None)]


def comparable(reports: list[ArchiveReport]) -> list[dict[str, Any]]:
    return sorted((dataclasses.asdict(r) for r in reports), key=lambda d: d["path"])


async def inspect(
    candidates: list[Candidate], cluster: Cluster | None, shares: ShareConfig | None = None
) -> list[ArchiveReport]:
    reports: list[ArchiveReport] = []

    async def keep(report: ArchiveReport) -> None:
        reports.append(report)

    cfg = ZipConfig(keep_members=True)
    if cluster is None:
        await inspect_paths(candidates, cfg, keep, EngineConfig(deadline=None))
    else:
        await inspect_on_cluster(cluster, candidates, cfg, keep, shares=shares)
    return reports


@pytest.mark.parametrize("per_batch", [1, 16])
async def test_archives_on_a_cluster_give_the_same_reports(
    corpus: list[Candidate], local2: Cluster, per_batch: int
) -> None:
    shares = ShareConfig(archives_per_batch=per_batch)
    single = await inspect(corpus, None)
    got = await inspect(corpus, local2, shares)
    assert len(got) == len(corpus)  # one report per archive
    assert comparable(got) == comparable(single)
    assert any(r.findings for r in single) and any(r.error for r in single)


@pytest.fixture(scope="module")
def fake_ping(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fake_ping(
        tmp_path_factory.mktemp("fakeping"),
        behaviours={**MIXED_HOSTS, "127.0.1.*[05]": SILENT},
        latency_ms=0.2,
        jitter_ms=1.0,
    )


def states(results: list[HostResult]) -> dict[str, tuple[Any, ...]]:
    out = {}
    for r in results:
        assert r.target not in out, f"{r.target} reported twice"
        out[r.target] = (r.address, r.state, r.cause, r.sent, r.received, r.loss_pct)
    return out


SPECS = ["127.0.0.1-6", "127.0.1.0/25", "127.0.0.3", "127.0.2.7", "localhost"]
EXCLUDES = ["127.0.1.64/28"]


async def sweep_states(
    fake: Path, cluster: Cluster | None, shares: ShareConfig | None = None
) -> dict[str, tuple[Any, ...]]:
    specs = [parse_target_spec(s) for s in SPECS]
    excludes = [parse_target_spec(s) for s in EXCLUDES]
    cfg = SweepConfig(ping=str(fake), timeout=0.2, count=2, interval=0.01, concurrency=32)
    results: list[HostResult] = []

    async def keep(result: HostResult) -> None:
        results.append(result)

    if cluster is None:
        await sweep(expand(specs, excludes), cfg, keep)
    else:
        await sweep_on_cluster(cluster, specs, cfg, keep, excludes=excludes, shares=shares)
    return states(results)


@pytest.mark.parametrize("block", [7, 2048])
async def test_a_sweep_on_a_cluster_gives_the_same_host_states(
    fake_ping: Path, local2: Cluster, block: int
) -> None:
    shares = ShareConfig(block_addresses=block, names_per_block=1)
    single = await sweep_states(fake_ping, None)
    assert await sweep_states(fake_ping, local2, shares) == single
    assert len(single) == 6 + 126 - 16 + 1 + 1
    assert single["127.0.0.2"][1] is HostState.UNREACHABLE
    assert single["127.0.0.5"][1] is HostState.ERROR


@pytest.mark.skipif(
    detect_access(4).kind is None, reason="no ICMP socket may be opened (ping_group_range, root)"
)
async def test_an_icmp_sweep_on_a_cluster_gives_the_same_host_states(local2: Cluster) -> None:
    # the icmp prober in each worker's thread (the fed path, not a task per host)
    specs = [parse_target_spec(s) for s in ("127.0.0.1-40", "::1")]
    cfg = SweepConfig(method=ProbeMethod.ICMP, timeout=0.5, count=2, interval=0.01)
    single: list[HostResult] = []
    spread: list[HostResult] = []

    async def keep_single(result: HostResult) -> None:
        single.append(result)

    async def keep_spread(result: HostResult) -> None:
        spread.append(result)

    await sweep(expand(specs), cfg, keep_single)
    shares = ShareConfig(block_addresses=8, names_per_block=1)
    await sweep_on_cluster(local2, specs, cfg, keep_spread, shares=shares)
    assert states(spread) == states(single)
    assert len(single) == 41 and all(r.state is HostState.ALIVE for r in single)


def test_blocks_cover_the_targets_exactly_once() -> None:
    specs: list[TargetSpec] = [
        parse_target_spec(s) for s in ("127.0.0.0/22", "127.0.1.5", "a.example", "127.0.9.1-40")
    ]
    excludes = [parse_target_spec("127.0.2.0/24")]
    blocks = list(cut_blocks(spans(specs, excludes), addresses=100, names=1))
    assert all(b.size <= 100 for b in blocks)
    got = [t for b in blocks for t in b.targets()]
    expected = list(expand(specs, excludes))
    assert len(got) == len(expected) == len(set(got))  # names go in blocks of their own
    assert set(got) == set(expected)
    assert [t for t in got if t.kind == "ip"] == [t for t in expected if t.kind == "ip"]


async def test_a_block_that_dies_once_is_swept_once(
    fake_ping: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    monkeypatch.setenv(FAULT_ENV, f"die-first:{markers}:2")
    single = await sweep_states(fake_ping, None)
    with open_cluster(ClusterSpec.parse("local:2")) as cluster:
        got = await sweep_states(fake_ping, cluster, ShareConfig(block_addresses=16))
    assert got == single
    assert len(list(markers.iterdir())) == 2


async def test_an_archive_that_keeps_killing_workers_is_an_error_report(
    corpus: list[Candidate], monkeypatch: pytest.MonkeyPatch
) -> None:
    poison = corpus[3]
    monkeypatch.setenv(FAULT_ENV, f"die-always:{poison.path}")
    import dask
    import distributed  # noqa: F401  (its config defaults first)

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        open_cluster(ClusterSpec.parse("local:2")) as cluster,
    ):
        got = await inspect(corpus[:8], cluster, ShareConfig(archives_per_batch=8))
    single = {r.path: r for r in await inspect(corpus[:8], None)}
    by_path = {r.path: r for r in got}
    assert set(by_path) == set(single)
    bad = by_path.pop(poison.path)
    assert bad.error is not None and bad.error.phase == "cluster"
    assert comparable(list(by_path.values())) == comparable(
        [r for p, r in single.items() if p != poison.path]
    )
