"""Run a grid of cells like hyperfine would: fresh processes, warm-up, shuffled rounds.

* Every run of every cell happens in a fresh worker process (:class:`ProcessExecutor`), so a
  variant's threads, caches, child watcher and peak RSS never leak into another's numbers.
  :class:`InlineExecutor` runs cells in this process instead (tests; the mock executor of
  hyperfine's design).
* Warm-up rounds run every cell once, untimed, in shuffled order. They also serve as the
  identical-result check: no timed round starts until every checked variant of a group agreed
  (and every timed run is checked again at the end).
* The number of timed runs per cell follows hyperfine: at least ``min_runs`` values and at
  least ``min_time_s`` of measured time, estimated from the warm-up. Unlike hyperfine a cell
  budget (``cell_budget_s``) caps slow cells, never below ``floor_runs`` values, so that a
  20 s sequential sweep does not take ten minutes; the report says how many values each cell
  has.
* Timed rounds interleave the cells in a new random order each round (seeded), so that drift
  on a shared machine (thermal, other jobs) spreads over all variants instead of biasing one.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from scanner.compare.digest import check_agreement
from scanner.compare.model import Cell, RunRecord
from scanner.compare.workload import load_workload
from scanner.errors import OperationFailed, UsageProblem


@dataclass(frozen=True, slots=True)
class Preset:
    """How many runs to take of each cell."""

    name: str
    warmup: int  # untimed rounds before timing (at least 1: they carry the result check)
    min_runs: int  # hyperfine's default is 10
    min_time_s: float  # and at least this much measured time (hyperfine: 3 s)
    floor_runs: int  # never fewer values than this, whatever the budget
    cell_budget_s: float | None  # cap on one cell's total run time; None = no cap
    max_runs: int | None = None  # hard cap
    runs: int | None = None  # exactly this many (``--runs``), overrides the rest

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "name": self.name,
            "warmup": self.warmup,
            "min_runs": self.min_runs,
            "min_time_s": self.min_time_s,
            "floor_runs": self.floor_runs,
            "cell_budget_s": self.cell_budget_s,
            "max_runs": self.max_runs,
            "runs": self.runs,
        }

    def planned_runs(self, warm_wall_s: float, warm_process_s: float) -> int:
        """Timed runs for a cell whose warm-up took ``warm_wall_s`` of work."""
        if self.runs is not None:
            return self.runs
        n = self.min_runs
        if self.min_time_s > 0 and warm_wall_s > 0:
            n = max(n, math.ceil(self.min_time_s / warm_wall_s))
        if self.cell_budget_s is not None and warm_process_s > 0:
            n = min(n, max(self.floor_runs, math.floor(self.cell_budget_s / warm_process_s)))
        if self.max_runs is not None:
            n = min(n, self.max_runs)
        return max(n, 1)


PRESETS: dict[str, Preset] = {
    # hyperfine's defaults (>= 10 values, >= 3 s), a 60 s cap for very slow cells
    "default": Preset("default", warmup=1, min_runs=10, min_time_s=3.0, floor_runs=3,
                      cell_budget_s=60.0),
    # a first look: a few values per cell
    "quick": Preset("quick", warmup=1, min_runs=3, min_time_s=0.0, floor_runs=3,
                    cell_budget_s=15.0, max_runs=5),
    # for publishing: more warm-up, more values, no cap
    "rigorous": Preset("rigorous", warmup=2, min_runs=30, min_time_s=10.0, floor_runs=30,
                       cell_budget_s=None),
}  # fmt: skip


def preset_for(name: str, *, runs: int | None = None, warmup: int | None = None) -> Preset:
    """A named preset, optionally with an exact run count or warm-up count."""
    try:
        preset = PRESETS[name]
    except KeyError:
        raise UsageProblem(f"unknown preset {name!r} (known: {', '.join(PRESETS)})") from None
    if runs is not None:
        if runs < 1:
            raise UsageProblem("--runs must be at least 1")
        preset = replace(preset, runs=runs)
    if warmup is not None:
        if warmup < 1:
            raise UsageProblem("--warmup must be at least 1 (the warm-up checks the results)")
        preset = replace(preset, warmup=warmup)
    return preset


class Executor(Protocol):
    """Runs one cell once and returns what the worker measured."""

    def run(self, cell: Cell) -> RunRecord:
        """One run."""


class WorkerFailed(OperationFailed):
    """A worker process died or reported an error."""


def _package_root() -> str:
    # the directory holding the ``scanner`` package, so a worker started from a checkout
    # imports this very code (and tests' ``module:attribute`` workloads resolve)
    return str(Path(__file__).resolve().parents[2])


@dataclass(frozen=True, slots=True)
class ProcessExecutor:
    """A fresh ``python -m scanner.compare.worker`` per run."""

    python: str = sys.executable
    timeout_s: float | None = 3600.0
    env: dict[str, str] = field(default_factory=dict)
    # run the worker under a wrapper, e.g. ``ip netns exec NEAR`` for the namespace lab
    prefix: tuple[str, ...] = ()

    def run(self, cell: Cell) -> RunRecord:
        """Start a worker, send the cell, parse the record."""
        env = {**os.environ, **self.env}
        root = _package_root()
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                [*self.prefix, self.python, "-m", "scanner.compare.worker"],
                input=json.dumps(cell.to_dict()),
                capture_output=True,
                text=True,
                env=env,
                timeout=self.timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise WorkerFailed(f"{cell.label}: worker timed out after {exc.timeout} s") from exc
        elapsed = time.perf_counter() - start
        lines = proc.stdout.strip().splitlines()
        try:
            data = json.loads(lines[-1]) if lines else {}
        except json.JSONDecodeError:
            data = {}
        if proc.returncode != 0 or "error" in data or "metrics" not in data:
            detail = data.get("error") or proc.stderr.strip()[-2000:] or f"exit {proc.returncode}"
            raise WorkerFailed(f"{cell.label}: worker failed: {detail}")
        return replace(RunRecord.from_dict(data), process_s=elapsed)


@dataclass(frozen=True, slots=True)
class InlineExecutor:
    """Runs cells in this process: no isolation, for tests and for debugging a workload."""

    def run(self, cell: Cell) -> RunRecord:
        """One run, here."""
        from scanner.compare.worker import execute

        start = time.perf_counter()
        record = execute(cell)
        return replace(record, process_s=time.perf_counter() - start)


@dataclass(slots=True)
class CellRuns:
    """Everything measured for one cell."""

    cell: Cell
    warmup: list[RunRecord] = field(default_factory=list)
    runs: list[RunRecord] = field(default_factory=list)
    planned: int = 0


@dataclass(slots=True)
class GridRun:
    """The raw outcome of :func:`run_grid`."""

    cells: list[CellRuns]
    preset: Preset
    seed: int
    interrupted: bool = False
    elapsed_s: float = 0.0


Progress = Callable[[int, int, Cell], None]


def _checked_variants(cells: Sequence[Cell]) -> set[str]:
    checked: set[str] = set()
    for cell in cells:
        variant = load_workload(cell.workload).variant(cell.variant)
        if variant.checked:
            checked.add(cell.variant)
    return checked


def validate_grid(cells: Sequence[Cell]) -> None:
    """Refuse duplicate cells and unknown workloads/variants before anything runs."""
    seen: set[str] = set()
    for cell in cells:
        if cell.key in seen:
            raise UsageProblem(f"cell {cell.key} appears twice")
        seen.add(cell.key)
        load_workload(cell.workload).variant(cell.variant)
        if cell.concurrency < 1:
            raise UsageProblem(f"{cell.key}: concurrency must be at least 1")


def run_grid(
    cells: Sequence[Cell],
    preset: Preset,
    executor: Executor,
    *,
    seed: int = 0,
    on_progress: Progress | None = None,
) -> GridRun:
    """Warm up and check every cell, then take the timed runs in shuffled rounds.

    Raises :class:`~scanner.compare.digest.VariantsDisagree` when the results differ. A
    KeyboardInterrupt stops between runs and returns what was measured (``interrupted``).
    """
    validate_grid(cells)
    checked = _checked_variants(cells)
    rng = random.Random(seed)
    state = [CellRuns(cell) for cell in cells]
    grid = GridRun(cells=state, preset=preset, seed=seed)
    started = time.perf_counter()
    progress = [0, len(state) * max(preset.warmup, 1)]  # done, total

    def one_round(items: list[CellRuns], timed: bool) -> None:
        rng.shuffle(items)
        for item in items:
            record = executor.run(item.cell)
            (item.runs if timed else item.warmup).append(record)
            progress[0] += 1
            if on_progress:
                on_progress(progress[0], progress[1], item.cell)

    try:
        for _ in range(max(preset.warmup, 1)):
            one_round(list(state), timed=False)
        check_agreement(((c.cell, r) for c in state for r in c.warmup), checked=checked)
        for item in state:
            last = item.warmup[-1]
            item.planned = preset.planned_runs(last.metrics.wall_s, last.process_s)
        progress[1] = progress[0] + sum(item.planned for item in state)
        for round_no in range(max(item.planned for item in state)):
            one_round([item for item in state if item.planned > round_no], timed=True)
    except KeyboardInterrupt:
        grid.interrupted = True
    grid.elapsed_s = time.perf_counter() - started
    check_agreement(((c.cell, r) for c in state for r in [*c.warmup, *c.runs]), checked=checked)
    return grid
