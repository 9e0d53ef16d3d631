"""Smoke runs of every workload and variant at tiny size: identical results, real labs.

Inline (no worker processes) to stay within a few seconds; the process isolation itself is
covered in test_compare_harness.py and by the CLI test.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from scanner.compare.harness import PRESETS, InlineExecutor, run_grid
from scanner.compare.labs import fake_ping_sizes, loopback_sizes, loopback_targets, tree_sizes
from scanner.compare.plan import BenchConfig, build_cells
from scanner.compare.results import analyze
from scanner.compare.variants.zip import corpus_sizes
from scanner.compare.workload import load_workload
from scanner.errors import UsageProblem
from scanner.net.icmp.access import detect_access

ONE = replace(PRESETS["quick"], runs=1)
CONFIG = BenchConfig(concurrency=(3,), preset=ONE)


def _run_all_variants(
    workload: str,
    sizes: list[tuple[int, dict[str, object]]],
    *,
    left_out: frozenset[str] = frozenset(),
) -> dict[str, dict[str, object]]:
    """Run every variant once; return each variant's summary."""
    cells, notes = build_cells(workload, "smoke", sizes, CONFIG)
    assert len(notes) == len(left_out)
    wl = load_workload(workload)
    assert {c.variant for c in cells} == set(wl.variants) - left_out
    grid = run_grid(cells, ONE, InlineExecutor())
    checked = [item for item in grid.cells if wl.variant(item.cell.variant).checked]
    assert {"sequential", "threads", "anyio-asyncio", "anyio-trio"} <= {
        item.cell.variant for item in checked
    }
    digests = {r.digest for item in checked for r in [*item.warmup, *item.runs]}
    assert len(digests) == 1  # every scheduler produced the identical result
    report = analyze(grid, title="smoke", resamples=100)
    seq = next(c for c in report.cells if c.cell.variant == "sequential")
    assert seq.cell.concurrency == 1
    assert all(c.speedup is not None for c in report.cells if c is not seq)
    return {c.cell.variant: c.summary for c in report.cells}


def test_walk_variants_agree(tmp_path: Path) -> None:
    sizes = tree_sizes([300], seed=3, base=tmp_path)
    summaries = _run_all_variants("walk", [(n, dict(p)) for n, p in sizes])
    files = summaries["sequential"]["files"]
    # the anchors count regular files their own way: the same number here (no hard links
    # in a 300-file tree would change it: they are extra names, counted by all)
    assert summaries["os.walk"]["files"] == files
    assert summaries["find"]["files"] == files
    if "fd" in summaries:
        assert summaries["fd"]["files"] == files


def test_walk_variants_report_errors_identically(tmp_path: Path) -> None:
    # a missing root is an error record, counted the same by every scheduler
    summaries = _run_all_variants("walk", [(0, {"root": str(tmp_path / "missing")})])
    assert summaries["threads"]["errors"] == 1


def test_zip_variants_agree(tmp_path: Path) -> None:
    sizes = corpus_sizes([8], seed=2, base=tmp_path)
    summaries = _run_all_variants("zip", [(n, dict(p)) for n, p in sizes])
    assert summaries["zipfile"]["members"] == summaries["sequential"]["members"]
    assert summaries["zipinfo"]["lines"] == summaries["sequential"]["members"]


def test_ping_variants_agree_on_the_fake_ping() -> None:
    with fake_ping_sizes([12], latency_ms=1) as sizes:
        summaries = _run_all_variants(
            "ping", [(n, dict(p)) for n, p in sizes], left_out=frozenset({"fping", "icmp"})
        )
    # 127.1.0.10 is the silent host
    assert summaries["sequential"] == {"hosts": 12, "alive": 11, "unreachable": 1}
    assert summaries["xargs -P"] == {"hosts": 12, "alive": 11}


def test_loopback_targets_stay_on_loopback() -> None:
    assert loopback_targets(1) == ["127.1.0.1"]
    assert loopback_targets(300) == ["127.1.0.1-254", "127.1.1.1-46"]
    with pytest.raises(UsageProblem):
        loopback_targets(0)


def test_sequential_is_left_out_above_its_limit() -> None:
    config = replace(CONFIG, sequential_max_size=100, variants=("threads", "sequential"))
    cells, notes = build_cells("walk", "t", [(10, {}), (1000, {})], config)
    assert [(c.variant, c.size) for c in cells] == [
        ("threads", 10),
        ("sequential", 10),
        ("threads", 1000),
    ]
    assert "sequential left out at size 1,000" in notes[0]


def test_variants_that_ignore_the_cap_run_once_per_size() -> None:
    config = replace(CONFIG, concurrency=(2, 8), variants=("threads", "os.walk", "fd"))
    cells, _ = build_cells("walk", "t", [(10, {})], config)
    assert sorted((c.variant, c.concurrency) for c in cells) == [
        ("fd", 2),
        ("fd", 8),
        ("os.walk", 1),
        ("threads", 2),
        ("threads", 8),
    ]


@pytest.mark.netns
def test_ping_variants_agree_inside_the_namespace_lab() -> None:
    from scanner.compare.labs import netns_sizes
    from scanner.compare.plan import run_comparison
    from scanner.labs.netns import netns_available

    ok, why = netns_available()
    if not ok:
        pytest.skip(why)
    # 198.18.0.1 (near side) and .2 (far side) answer: no timeout to wait for. The workers
    # run inside the near namespace (the executor's prefix), never in this one.
    with netns_sizes([2], alive=1) as (sizes, prefix):
        config = replace(
            CONFIG, worker_prefix=prefix, variants=("anyio-asyncio", "threads", "sequential")
        )
        cells, _ = build_cells("ping", "netns", sizes, config)
        report = run_comparison(cells, config, title="netns")
    assert {c.cell.variant: c.summary["alive"] for c in report.cells} == {
        "anyio-asyncio": 2,
        "threads": 2,
        "sequential": 2,
    }


def test_zip_anchors_survive_every_hostile_case(tmp_path: Path) -> None:
    from scanner.labs.archives import HOSTILE_CASES

    sizes = corpus_sizes([2 * len(HOSTILE_CASES)], seed=2, base=tmp_path)
    config = replace(CONFIG, variants=("sequential", "zipfile"))
    cells, _ = build_cells("zip", "hostile", sizes, config)
    report = analyze(run_grid(cells, ONE, InlineExecutor()), title="hostile", resamples=100)
    summaries = {c.cell.variant: c.summary for c in report.cells}
    assert summaries["zipfile"]["archives"] == summaries["sequential"]["archives"]
    assert summaries["zipfile"]["errors"] > 0  # zipfile gives up where the reader reports
    assert summaries["sequential"]["findings"] > 0


@pytest.mark.skipif(
    detect_access(4).kind is None, reason="no ICMP socket may be opened here (not root)"
)
def test_icmp_variant_agrees_with_the_ping_schedulers_on_loopback() -> None:
    sizes = loopback_sizes([12])
    left_out = frozenset() if shutil.which("fping") else frozenset({"fping"})
    summaries = _run_all_variants("ping", [(n, dict(p)) for n, p in sizes], left_out=left_out)
    assert summaries["icmp"] == summaries["sequential"] == {"hosts": 12, "alive": 12}
