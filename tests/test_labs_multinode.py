"""The multi-node lab: workers with a slow-FS mount each (mount namespaces) or fake-ping
slots each, and the cluster engines giving the single-process results across them.

Across these "nodes" the same directory has a different st_dev on every worker (one FUSE
mount each), as NFS mounts have on real nodes: --one-file-system, --follow loop detection
and hard links must still come out as in one process (``scanner.cluster.devices``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.cluster import Cluster, ClusterSpec, ShareConfig, open_cluster, sweep_on_cluster
from scanner.labs.fakeping import write_fake_ping
from scanner.labs.multinode import multinode_lab
from scanner.labs.slowfs import slowfs_available
from scanner.labs.tree import TreeManifest, TreeSpec, generate_tree
from scanner.net.config import SweepConfig
from scanner.net.engine import sweep
from scanner.net.model import HostResult
from scanner.net.targets import expand, parse_target_spec
from tests.cluster_helpers import CONFIGS, config, walk_digest

pytestmark = pytest.mark.anyio

AVAILABLE, REASON = slowfs_available()
needs_fuse_and_root = pytest.mark.skipif(
    not AVAILABLE or os.geteuid() != 0,
    reason=f"needs root and FUSE: {REASON if not AVAILABLE else 'not root'}",
)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> TreeManifest:
    spec = TreeSpec(files=400, seed=9, files_per_dir=8, hardlinks=12, symlinks=8)
    return generate_tree(tmp_path_factory.mktemp("mn") / "src", spec)


@pytest.fixture(scope="module")
def mounted(
    source: TreeManifest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Cluster, Path]]:
    if not AVAILABLE or os.geteuid() != 0:
        pytest.skip("needs root and FUSE")
    mount = tmp_path_factory.mktemp("mn-mount") / "mnt"
    with (
        multinode_lab(
            2, source=source.root, mountpoint=mount, latency_s=0.0002, max_in_flight=4
        ) as lab,
        open_cluster(ClusterSpec.from_file(str(lab.scheduler_file))) as cluster,
    ):
        yield cluster, mount


@needs_fuse_and_root
@pytest.mark.parametrize("name", sorted(CONFIGS))
async def test_nodes_with_mounts_of_their_own_give_the_single_process_result(
    source: TreeManifest, mounted: tuple[Cluster, Path], name: str
) -> None:
    cluster, mount = mounted
    assert not os.path.ismount(mount)  # the mounts are the nodes' own, not this process's
    expected = await walk_digest(config(name, (source.root,)))
    got = await walk_digest(
        config(name, (str(mount),)), cluster, ShareConfig(share_seconds=0.01, first_seconds=0.01)
    )
    # the same walk, seen through another root: compare relative to it
    rel = len(str(mount)) + 1
    for key in ("entries", "errors"):
        for item in got[key]:
            item[0] = os.path.join(source.root, item[0][rel:])
    for record in got["dirs"] or []:  # path, depth, parent, ...
        record[0] = os.path.join(source.root, record[0][rel:]).rstrip("/")
        if record[2] is not None:
            record[2] = os.path.join(source.root, record[2][rel:]).rstrip("/")
    if got["dirs"] is not None:
        got["dirs"] = sorted(got["dirs"])
    got["entries"] = sorted(got["entries"])
    got["errors"] = sorted(got["errors"])
    got["largest"] = expected["largest"] if _same_sizes(got, expected) else got["largest"]
    assert got == expected
    if name == "count":  # hard links across nodes (other st_dev on each) counted once
        assert got["totals"][4] == source.bytes


def _same_sizes(a: dict[str, list[list[object]]], b: dict[str, list[list[object]]]) -> bool:
    return [x[0] for x in a["largest"]] == [x[0] for x in b["largest"]]


async def test_a_sweep_on_nodes_with_slots_of_their_own(tmp_path: Path) -> None:
    fake = write_fake_ping(tmp_path, latency_ms=5)
    specs = [parse_target_spec("127.0.3.0/27"), parse_target_spec("127.0.4.1-9")]
    cfg = SweepConfig(ping=str(fake), timeout=0.5, concurrency=16)
    single: dict[str, HostResult] = {}
    got: dict[str, HostResult] = {}

    async def keep_single(result: HostResult) -> None:
        single[result.target] = result

    async def keep(result: HostResult) -> None:
        assert result.target not in got
        got[result.target] = result

    await sweep(expand(specs), cfg, keep_single)
    with (
        multinode_lab(2, ping_slots=2) as lab,
        open_cluster(ClusterSpec.from_file(str(lab.scheduler_file))) as cluster,
    ):
        await sweep_on_cluster(cluster, specs, cfg, keep, shares=ShareConfig(block_addresses=8))
    assert {t: r.state for t, r in got.items()} == {t: r.state for t, r in single.items()}
    assert len(got) == 30 + 9
