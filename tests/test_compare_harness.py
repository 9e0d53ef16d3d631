"""The harness: the identical-result check, run counts, shuffling, fresh worker processes."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from scanner.compare.digest import VariantsDisagree, check_agreement, digest
from scanner.compare.harness import (
    PRESETS,
    InlineExecutor,
    ProcessExecutor,
    WorkerFailed,
    preset_for,
    run_grid,
)
from scanner.compare.metrics import measure, os_thread_count
from scanner.compare.model import Cell, RunRecord
from scanner.errors import UsageProblem

FAKE = "tests.compare_fake:WORKLOAD"
QUICK = replace(PRESETS["quick"], runs=2)


def _cells(*variants: str, lie: bool = False, size: int = 50) -> list[Cell]:
    return [
        Cell(FAKE, v, "numbers", size, 1 if v == "sequential" else 4, {"lie": lie})
        for v in variants
    ]


def test_agreeing_variants_are_measured() -> None:
    grid = run_grid(_cells("sequential", "threads", "liar"), QUICK, InlineExecutor())
    assert not grid.interrupted
    for item in grid.cells:
        assert len(item.warmup) == 1
        assert len(item.runs) == 2
        assert {r.summary["sum"] for r in item.runs} == {sum(n * n for n in range(50))}
    assert len({r.digest for item in grid.cells for r in item.runs}) == 1


def test_a_disagreeing_variant_is_refused_before_timing() -> None:
    calls: list[Cell] = []

    class Counting(InlineExecutor):
        def run(self, cell: Cell) -> RunRecord:
            calls.append(cell)
            return super().run(cell)

    with pytest.raises(VariantsDisagree) as caught:
        run_grid(_cells("sequential", "threads", "liar", lie=True), QUICK, Counting())
    assert "refusing to report" in str(caught.value)
    assert "liar" in str(caught.value)
    # only the warm-up round ran: no timing was taken for a disagreeing group
    assert len(calls) == 3
    assert len(caught.value.by_digest) == 2


def test_a_disagreement_in_a_timed_run_is_caught() -> None:
    cell_a, cell_b = _cells("sequential", "threads")
    good = RunRecord(measure(lambda: None)[1], digest({"sum": 1}), {})
    bad = replace(good, digest=digest({"sum": 2}))
    check_agreement([(cell_a, good), (cell_b, good)], checked={"sequential", "threads"})
    with pytest.raises(VariantsDisagree):
        check_agreement([(cell_a, good), (cell_b, bad)], checked={"sequential", "threads"})
    # an unchecked variant (an external anchor) is left out of the comparison
    check_agreement([(cell_a, good), (cell_b, bad)], checked={"sequential"})


def test_runs_follow_hyperfine_defaults_with_a_budget() -> None:
    default = PRESETS["default"]
    assert default.planned_runs(0.01, 0.1) == 300  # 3 s of 10 ms runs
    assert default.planned_runs(1.0, 1.2) == 10  # at least 10 values
    assert default.planned_runs(20.0, 20.5) == 3  # a 20 s cell: the 60 s budget, floor 3
    assert PRESETS["rigorous"].planned_runs(20.0, 20.5) == 30
    assert PRESETS["quick"].planned_runs(0.001, 0.1) == 3
    assert preset_for("default", runs=7).planned_runs(0.001, 0.1) == 7
    with pytest.raises(UsageProblem):
        preset_for("fastest")
    with pytest.raises(UsageProblem):
        preset_for("quick", warmup=0)


def test_rounds_are_shuffled_and_seeded() -> None:
    order: list[str] = []

    class Recording(InlineExecutor):
        def run(self, cell: Cell) -> RunRecord:
            order.append(cell.variant)
            return super().run(cell)

    cells = _cells("sequential", "threads", "liar", "threads-held")
    preset = replace(PRESETS["quick"], runs=6)
    run_grid(cells, preset, Recording(), seed=1)
    first = list(order)
    rounds = [tuple(first[i : i + 4]) for i in range(0, len(first), 4)]
    assert all(sorted(r) == sorted(c.variant for c in cells) for r in rounds)
    assert len(set(rounds)) > 1  # not the same order every round
    order.clear()
    run_grid(cells, preset, Recording(), seed=1)
    assert order == first


def test_duplicate_and_unknown_cells_are_usage_errors() -> None:
    with pytest.raises(UsageProblem, match="twice"):
        run_grid(_cells("threads", "threads"), QUICK, InlineExecutor())
    with pytest.raises(UsageProblem, match="unknown variant"):
        run_grid(_cells("carrier-pigeon"), QUICK, InlineExecutor())


def test_fresh_worker_process_measures_threads_and_rss() -> None:
    cell = Cell(FAKE, "threads-held", "numbers", 10, 12, {})
    record = ProcessExecutor().run(cell)
    assert record.summary == {"sum": sum(n * n for n in range(10))}
    assert record.metrics.peak_threads >= 13  # main + 12 held threads, sampler excluded
    assert record.metrics.peak_rss_kib > 1000
    assert record.metrics.wall_s >= 0.04
    assert record.process_s > record.metrics.wall_s


def test_worker_errors_become_worker_failed() -> None:
    cell = Cell("tests.compare_fake:NOPE", "threads", "numbers", 10, 2, {})
    with pytest.raises(WorkerFailed, match="worker failed"):
        ProcessExecutor().run(cell)


def test_measure_excludes_the_sampler() -> None:
    before = os_thread_count()
    _, metrics = measure(lambda: sum(range(100_000)))
    assert metrics.peak_threads == before
    assert metrics.user_s + metrics.sys_s >= 0.0
    # a joined thread's OS thread can take a moment to exit after join() returns
    deadline = time.monotonic() + 2.0
    while os_thread_count() != before and time.monotonic() < deadline:
        time.sleep(0.005)
    assert os_thread_count() == before
