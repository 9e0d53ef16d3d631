"""Build the grid of cells for a comparison, and run it to a report.

``build_cells`` crosses sizes x variants x concurrency caps for one workload and scenario
(sequential only once per size, at concurrency 1, and only up to ``sequential_max_size``
where a sequential run would take minutes); ``run_comparison`` runs the grid through the
harness and analyses it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scanner.compare.harness import (
    Executor,
    InlineExecutor,
    Preset,
    ProcessExecutor,
    Progress,
    preset_for,
    run_grid,
)
from scanner.compare.model import Cell
from scanner.compare.results import BenchReport, analyze
from scanner.compare.workload import load_workload
from scanner.errors import UsageProblem


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """How to run a comparison; built by the CLI or by library users."""

    # variants to run; empty = every variant of the workload
    variants: tuple[str, ...] = ()
    # concurrency caps for the concurrent variants (sequential always runs at 1)
    concurrency: tuple[int, ...] = (8,)
    # how many runs per cell (hyperfine-like default, quick, rigorous)
    preset: Preset = field(default_factory=lambda: preset_for("default"))
    # seed of the round shuffling and of the bootstrap
    seed: int = 0
    # sequential runs only up to this size (None = always): at large sizes it takes minutes
    sequential_max_size: int | None = None
    # run cells in this process instead of fresh workers (debugging only: numbers leak)
    inline: bool = False
    # a prefix for the worker command, e.g. ``("ip", "netns", "exec", "NEAR")``
    worker_prefix: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.concurrency or min(self.concurrency) < 1:
            raise UsageProblem("concurrency caps must be 1 or more")


def build_cells(
    workload: str,
    scenario: str,
    sizes: Sequence[tuple[int, Mapping[str, Any]]],
    config: BenchConfig,
) -> tuple[list[Cell], list[str]]:
    """Cells for every size x variant x cap, and notes about what was left out."""
    wl = load_workload(workload)
    names = config.variants or tuple(wl.variants)
    variants = [wl.variant(n) for n in names]
    cells: list[Cell] = []
    notes: list[str] = []
    skipped: list[int] = []
    for size, params in sizes:
        for v in variants:
            why = v.unavailable(params)
            if why is not None:
                note = f"{workload} · {scenario}: {v.name} left out: {why}"
                if note not in notes:
                    notes.append(note)
                continue
            if v.style == "sequential":
                limit = config.sequential_max_size
                if limit is not None and size > limit:
                    skipped.append(size)
                    continue
            if v.style == "sequential" or not v.concurrent:
                cells.append(Cell(workload, v.name, scenario, size, 1, dict(params)))
                continue
            for cap in config.concurrency:
                cells.append(Cell(workload, v.name, scenario, size, cap, dict(params)))
    if skipped:
        notes.append(
            f"{workload} · {scenario}: sequential left out at size "
            f"{', '.join(f'{s:,}' for s in sorted(set(skipped)))} (it would take minutes); "
            "no speedup is shown there"
        )
    return cells, notes


def executor_for(config: BenchConfig) -> Executor:
    """Fresh worker processes, unless the config asks for inline runs."""
    if config.inline:
        return InlineExecutor()
    if config.worker_prefix:
        return ProcessExecutor(prefix=config.worker_prefix)
    return ProcessExecutor()


def run_comparison(
    cells: Sequence[Cell],
    config: BenchConfig,
    *,
    title: str,
    notes: Sequence[str] = (),
    on_progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> BenchReport:
    """Run the grid (identical-result check first) and analyse it; ``should_stop``: see
    :func:`~scanner.compare.harness.run_grid`."""
    if not cells:
        raise UsageProblem("nothing to run: no cells (check --variants and sizes)")
    grid = run_grid(
        cells,
        config.preset,
        executor_for(config),
        seed=config.seed,
        on_progress=on_progress,
        should_stop=should_stop or (lambda: False),
    )
    all_notes = list(notes)
    if config.inline:
        all_notes.append("cells ran inline (--inline): no process isolation, RSS is cumulative")
    return analyze(grid, title=title, notes=all_notes)
