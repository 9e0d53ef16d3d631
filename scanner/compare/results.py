"""From raw runs to a report: per-cell statistics, speedups, scaling fits, machine metadata.

The report is one versioned schema (:data:`BENCH_SCHEMA_VERSION`) that every exporter
(JSON, CSV, Markdown), the terminal table and the plots read.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from scanner.compare.harness import CellRuns, GridRun
from scanner.compare.machine import machine_metadata
from scanner.compare.model import BASELINE_VARIANT, Cell
from scanner.compare.stats import (
    Fit,
    Speedup,
    Summary,
    loglog_fit,
    speedup,
    stability_warnings,
    summarize,
)
from scanner.compare.workload import load_workload

#: Version of the benchmark report schema; bumped for incompatible changes only.
BENCH_SCHEMA_VERSION = 1

_BACKENDS = {"anyio-asyncio": "asyncio", "anyio-trio": "trio"}


@dataclass(frozen=True, slots=True)
class CellReport:
    """The statistics of one cell."""

    cell: Cell
    style: str
    values: list[float]  # wall seconds of the timed runs, in the order measured
    wall: Summary
    user_s: float  # medians over the runs
    sys_s: float
    peak_rss_kib: int
    rss_growth_kib: int  # median of (peak - RSS before the work)
    children_peak_rss_kib: int
    peak_threads: int  # the largest peak of any run
    ctx_voluntary: int
    ctx_involuntary: int
    digest: str
    summary: dict[str, Any]
    info: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    speedup: Speedup | None = None  # against sequential in the same group


@dataclass(frozen=True, slots=True)
class Scaling:
    """Median wall time of one variant along one axis, with a log-log fit."""

    workload: str
    scenario: str
    variant: str
    axis: str  # "size" or "concurrency"
    fixed: int  # the concurrency (axis "size") or the size (axis "concurrency")
    points: list[tuple[int, float]]
    fit: Fit


@dataclass(slots=True)
class BenchReport:
    """Everything a run of the comparison produced."""

    title: str
    preset: dict[str, Any]
    seed: int
    machine: dict[str, Any]
    cells: list[CellReport]
    scaling: list[Scaling]
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False
    elapsed_s: float = 0.0
    schema_version: int = BENCH_SCHEMA_VERSION


def _median_int(values: Sequence[int]) -> int:
    return int(statistics.median(values))


def _cell_report(cell: Cell, grid_item: CellRuns, style: str) -> CellReport | None:
    runs = grid_item.runs
    if not runs:
        return None
    values = [r.metrics.wall_s for r in runs]
    last = runs[-1]
    return CellReport(
        cell=cell,
        style=style,
        values=values,
        wall=summarize(values),
        user_s=statistics.median(r.metrics.user_s for r in runs),
        sys_s=statistics.median(r.metrics.sys_s for r in runs),
        peak_rss_kib=_median_int([r.metrics.peak_rss_kib for r in runs]),
        rss_growth_kib=_median_int(
            [max(0, r.metrics.peak_rss_kib - r.metrics.base_rss_kib) for r in runs]
        ),
        children_peak_rss_kib=_median_int([r.metrics.children_peak_rss_kib for r in runs]),
        peak_threads=max(r.metrics.peak_threads for r in runs),
        ctx_voluntary=_median_int([r.metrics.ctx_voluntary for r in runs]),
        ctx_involuntary=_median_int([r.metrics.ctx_involuntary for r in runs]),
        digest=last.digest,
        summary=dict(last.summary),
        info=dict(last.info),
        warnings=stability_warnings(values) + _short_run_warning(values),
    )


#: Below this a run is mostly fixed costs (loop start-up, one thread hop), as hyperfine warns.
SHORT_RUN_S = 0.005


def _short_run_warning(values: Sequence[float]) -> list[str]:
    if statistics.median(values) >= SHORT_RUN_S:
        return []
    return [
        f"short runs: runs take less than {SHORT_RUN_S * 1e3:g} ms, so fixed costs "
        "dominate; compare at a larger size"
    ]


def _with_speedups(cells: list[CellReport], resamples: int, seed: int) -> list[CellReport]:
    baselines = {c.cell.group: c for c in cells if c.cell.variant == BASELINE_VARIANT}
    out: list[CellReport] = []
    for c in cells:
        base = baselines.get(c.cell.group)
        if base is None or c is base:
            out.append(c)
            continue
        sp = speedup(base.values, c.values, resamples=resamples, seed=seed)
        warnings = list(c.warnings)
        if not sp.significant:
            warnings.append(
                f"not significant: speedup {sp.ratio:.2f}x against sequential "
                f"({100 * sp.confidence:.0f}% interval {sp.low:.2f}-{sp.high:.2f} contains 1)"
            )
        out.append(_replace_cell(c, speedup=sp, warnings=warnings))
    return out


def _replace_cell(c: CellReport, **changes: Any) -> CellReport:
    from dataclasses import replace

    return replace(c, **changes)


#: A log-log line through two points always fits (R² 1): a fit needs at least this many.
MIN_FIT_POINTS = 3


def scaling_fits(cells: Sequence[CellReport]) -> list[Scaling]:
    """Fits along size (per variant and concurrency) and concurrency (per variant and size),
    where the axis has at least :data:`MIN_FIT_POINTS` distinct values."""
    by_size: dict[tuple[str, str, str, int], list[tuple[int, float]]] = defaultdict(list)
    by_conc: dict[tuple[str, str, str, int], list[tuple[int, float]]] = defaultdict(list)
    for c in cells:
        cell = c.cell
        by_size[(cell.workload, cell.scenario, cell.variant, cell.concurrency)].append(
            (cell.size, c.wall.median)
        )
        if c.style != "sequential":
            by_conc[(cell.workload, cell.scenario, cell.variant, cell.size)].append(
                (cell.concurrency, c.wall.median)
            )
    out: list[Scaling] = []
    for axis, table in (("size", by_size), ("concurrency", by_conc)):
        for (workload, scenario, variant, fixed), points in sorted(table.items()):
            points.sort()
            if len({x for x, _ in points}) < MIN_FIT_POINTS:
                continue
            fit = loglog_fit([float(x) for x, _ in points], [y for _, y in points])
            out.append(Scaling(workload, scenario, variant, axis, fixed, points, fit))
    return out


def _fit_notes(cells: Sequence[CellReport]) -> list[str]:
    sizes: dict[tuple[str, str], set[int]] = defaultdict(set)
    for c in cells:
        sizes[(c.cell.workload, c.cell.scenario)].add(c.cell.size)
    return [
        f"{workload} · {scenario}: no scaling fit from {len(found)} sizes "
        f"(a line through two points always fits); give {MIN_FIT_POINTS} or more"
        for (workload, scenario), found in sizes.items()
        if 1 < len(found) < MIN_FIT_POINTS
    ]


def analyze(
    grid: GridRun,
    *,
    title: str,
    notes: Sequence[str] = (),
    resamples: int = 10_000,
) -> BenchReport:
    """Statistics, speedups against sequential, scaling fits and machine metadata."""
    cells: list[CellReport] = []
    backends: list[str] = []
    watchers: list[str] = []
    for item in grid.cells:
        variant = load_workload(item.cell.workload).variant(item.cell.variant)
        report = _cell_report(item.cell, item, variant.style)
        if report is None:
            continue
        cells.append(report)
        if item.cell.variant in _BACKENDS:
            backends.append(_BACKENDS[item.cell.variant])
        watcher = report.info.get("child_watcher")
        if watcher:
            watchers.append(str(watcher))
    cells = _with_speedups(cells, resamples, grid.seed)
    return BenchReport(
        title=title,
        preset=grid.preset.to_dict(),
        seed=grid.seed,
        machine=machine_metadata(backends=backends, child_watchers=watchers),
        cells=cells,
        scaling=scaling_fits(cells),
        notes=[*notes, *_fit_notes(cells)],
        interrupted=grid.interrupted,
        elapsed_s=grid.elapsed_s,
    )
