"""Exporters over one schema: JSON, CSV, Markdown, the terminal table, plots."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from scanner.compare.export.csv import HEADER, to_csv, write_csv
from scanner.compare.export.json import report_document, write_json
from scanner.compare.export.markdown import to_markdown, write_markdown
from scanner.compare.harness import PRESETS, InlineExecutor, run_grid
from scanner.compare.model import Cell
from scanner.compare.results import BENCH_SCHEMA_VERSION, BenchReport, analyze
from scanner.compare.table import render
from scanner.output.console import render_text

FAKE = "tests.compare_fake:WORKLOAD"


@pytest.fixture(scope="module")
def report() -> BenchReport:
    cells = [
        Cell(FAKE, variant, "numbers", size, conc, {})
        for size in (200, 1000, 2000)  # a fit needs three points
        for variant, conc in (("sequential", 1), ("threads", 2), ("threads", 4), ("threads", 8))
    ]
    grid = run_grid(cells, replace(PRESETS["quick"], runs=3), InlineExecutor(), seed=7)
    return analyze(grid, title="fake", notes=["a note"], resamples=200)


def test_json_document_schema(report: BenchReport, tmp_path: Path) -> None:
    path = tmp_path / "bench.json"
    write_json(report, path)
    doc = json.loads(path.read_text())
    assert doc["schema"] == "scanner"
    assert doc["command"] == "bench"
    assert doc["bench_schema_version"] == BENCH_SCHEMA_VERSION
    machine = doc["machine"]
    for key in ("cpu", "cpu_count", "python", "anyio", "backends", "child_watchers", "git_commit"):
        assert key in machine
    assert doc["preset"]["runs"] == 3
    assert doc["seed"] == 7
    assert doc["notes"] == ["a note"]
    assert len(doc["cells"]) == 12
    cell = next(c for c in doc["cells"] if c["variant"] == "threads" and c["size"] == 200)
    for key in ("median", "mad", "mean", "stddev", "min", "max", "q1", "q3", "iqr", "n"):
        assert key in cell["wall_s"]
    assert len(cell["values_s"]) == 3
    assert set(cell["speedup"]) >= {"ratio", "low", "high", "significant"}
    for key in ("peak_rss_kib", "peak_threads", "ctx_voluntary", "user_s", "sys_s", "digest"):
        assert key in cell
    seq = next(c for c in doc["cells"] if c["variant"] == "sequential")
    assert seq["speedup"] is None
    axes = {(s["variant"], s["axis"]) for s in doc["scaling"]}
    assert ("threads", "size") in axes and ("threads", "concurrency") in axes
    assert ("sequential", "concurrency") not in axes
    assert report_document(report)["cells"] == doc["cells"]
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left


def test_csv_rows(report: BenchReport, tmp_path: Path) -> None:
    rows = list(csv.reader(io.StringIO(to_csv(report))))
    assert tuple(rows[0]) == HEADER
    assert len(rows) == 13
    by_name = [dict(zip(HEADER, r, strict=True)) for r in rows[1:]]
    assert {r["schema_version"] for r in by_name} == {str(BENCH_SCHEMA_VERSION)}
    seq = next(r for r in by_name if r["variant"] == "sequential")
    assert seq["speedup"] == ""
    thr = next(r for r in by_name if r["variant"] == "threads")
    assert float(thr["speedup_low"]) <= float(thr["speedup"]) <= float(thr["speedup_high"])
    assert thr["significant"] in ("True", "False")
    write_csv(report, tmp_path / "b.csv")
    assert (tmp_path / "b.csv").read_bytes().decode() == to_csv(report)


def test_markdown_and_terminal_tables(report: BenchReport, tmp_path: Path) -> None:
    md = to_markdown(report)
    assert "| Variant | Conc. | Median ± MAD | Min | Max | Speedup [95% CI] |" in md
    assert "numbers · size 2,000" in md
    assert "1x (baseline)" in md
    assert "Scaling" in md and "- a note" in md
    write_markdown(report, tmp_path / "b.md")
    assert (tmp_path / "b.md").read_text() == md
    text = render_text(render(report), width=200)
    assert "Median ± MAD" in text and "Speedup [95% CI]" in text and "threads" in text


def test_plot_writes_pngs(report: BenchReport, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from scanner.compare.plot import plot_report

    written = plot_report(report, tmp_path / "fig.png")
    assert [p.name for p in written] == ["fig.png", "fig-scaling.png"]
    for p in written:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_json_export_reads_back(report: BenchReport, tmp_path: Path) -> None:
    from scanner.compare.export.load import load_report

    write_json(report, tmp_path / "r.json")
    again = load_report(tmp_path / "r.json")
    assert to_markdown(again) == to_markdown(report)
    assert again.cells == report.cells
    assert again.scaling == report.scaling


def test_short_runs_are_flagged(report: BenchReport) -> None:
    # summing a few thousand squares in a loop takes microseconds
    sequential = [c for c in report.cells if c.cell.variant == "sequential"]
    assert sequential
    assert all(any("less than 5 ms" in w for w in c.warnings) for c in sequential)
