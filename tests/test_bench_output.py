"""What ``scanner bench`` prints (issue 12, "Bench output"): titles, cell labels, fits,
hyperfine's verdict, folded warnings, readable plots. Through the real CLI, inline cells
(``--inline``) on small generated trees so that each test takes seconds."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from scanner import exit_codes
from scanner.compare.format import warning_lines
from scanner.compare.harness import PRESETS, InlineExecutor, run_grid
from scanner.compare.model import Cell
from scanner.compare.results import analyze
from tests.cli_helpers import run_cli

VERDICT = re.compile(
    r"^(\S+(?: c=\d+)?) ran (\d+\.\d\d)x ± (\d+\.\d\d) faster than (\S+(?: c=\d+)?)$"
)


def _tree(root: Path, files: int = 30) -> Path:
    (root / "a" / "b").mkdir(parents=True)
    for i in range(files):
        (root / ("a" if i % 2 else "a/b") / f"f{i}.txt").write_text("x" * i)
    return root


def _bench(*args: str) -> str:
    ran = run_cli("bench", *args, "--inline", "--quiet")
    assert ran.code == exit_codes.OK, ran.err
    return ran.text


def _bench_tree(tree: Path, caps: str, *variants: str) -> str:
    """``bench walk TREE`` with 3 runs per cell of the given variants."""
    chosen = [arg for v in variants for arg in ("--variant", v)]
    return _bench("walk", str(tree), "--runs", "3", "-j", caps, *chosen)


def test_one_size_table_reads_plainly(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "tree")
    text = _bench_tree(tree, "2", "anyio-asyncio", "threads", "sequential")
    lines = text.splitlines()
    assert lines[0].startswith(f"walk · {tree} (files 30")
    assert "size 0" not in text and "/0/" not in text and "/c2" not in text
    verdicts = [m for m in map(VERDICT.match, lines) if m]
    assert len(verdicts) == 1, text
    fast, ratio, spread, slow = verdicts[0].groups()
    # the fastest cell of the engine against the fastest of threads, the faster named first
    assert {fast, slow} == {"anyio-asyncio c=2", "threads c=2"}
    assert float(ratio) >= 1.0 and float(spread) >= 0.0
    # one size and one cap: no scaling fit at all
    assert "Scaling" not in text and "R²" not in text


def test_two_sizes_give_no_fit_three_do(tmp_path: Path) -> None:
    common = ["--runs", "1", "-j", "2", "--variant", "threads", "--variant", "sequential"]
    two = _bench("lab", "walk", "--sizes", "20,40", "--dir", str(tmp_path), *common)
    assert "Scaling" not in two and "R²" not in two
    assert "no scaling fit from 2 sizes" in two
    assert "walk · tree · size 20 (" in two and "walk · tree · size 40 (" in two
    three = _bench("lab", "walk", "--sizes", "20,40,60", "--dir", str(tmp_path), *common)
    assert "Scaling" in three and "20..60 (3)" in three
    assert "no scaling fit" not in three


def test_repeated_warnings_fold_into_one_line_per_kind(tmp_path: Path) -> None:
    text = _bench_tree(
        _tree(tmp_path / "tree"), "2,4,8", "threads", "thread-per-worker", "sequential"
    )
    warned = [line for line in text.splitlines() if line.startswith("warning:")]
    # 7 cells, but never more than one line per kind of warning
    kinds = [re.sub(r"^warning: (\S+(?: c=\d+)?: )?", "", w).split(" in ")[0].split(":")[0]
             for w in warned]  # fmt: skip
    assert len(kinds) == len(set(kinds)), warned
    assert not any("walk/" in w for w in warned)


def test_fold_names_the_count_and_the_cells() -> None:
    cells = [
        Cell("tests.compare_fake:WORKLOAD", v, "numbers", 50, c, {})
        for v, c in (("sequential", 1), ("threads", 2), ("threads", 4), ("threads", 8))
    ]
    grid = run_grid(cells, replace(PRESETS["quick"], runs=3), InlineExecutor(), seed=3)
    report = analyze(grid, title="fake", resamples=100)
    unstable = "unstable: stddev is 40% of the mean (above 10%)"
    report.cells[:] = [replace(c, warnings=[unstable]) for c in report.cells]
    report.cells[0] = replace(report.cells[0], warnings=[unstable, "outliers: 1 outlier"])
    lines = warning_lines(report)
    assert len(lines) == 2
    assert lines[0].startswith("unstable in 4 of 4 cells (")
    assert "+1 more" in lines[0]
    assert lines[1] == f"{_label(report.cells[0].cell)}: outliers: 1 outlier"


def _label(cell: Cell) -> str:
    return cell.variant if cell.variant == "sequential" else f"{cell.variant} c={cell.concurrency}"


def test_plots_tell_a_dozen_series_apart(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from scanner.compare.export.load import load_report
    from scanner.compare.plot import SeriesStyle

    out = tmp_path / "fig.png"
    _bench(
        "lab", "walk", "--sizes", "20,40,60", "--dir", str(tmp_path), "--runs", "1",
        "-j", "2,8", "--plot", str(out), "--export-json", str(tmp_path / "r.json"),
    )  # fmt: skip
    for png in (out, tmp_path / "fig-scaling.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = load_report(tmp_path / "r.json")
    style = SeriesStyle(report)
    series = {(s.variant, s.fixed) for s in report.scaling if s.axis == "size"}
    assert len(series) >= 11
    looks = {
        (kw["color"], kw["marker"]) for kw in (style.line(v, "size", cap) for v, cap in series)
    }
    assert len(looks) == len(series)  # no two curves look alike
