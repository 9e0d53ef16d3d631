"""The JSON export: the whole report, raw values included, in one versioned document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scanner.compare.results import BenchReport, CellReport, Scaling
from scanner.output.atomic import write_atomic
from scanner.output.formats import dumps_pretty
from scanner.output.schema import document


def cell_record(c: CellReport) -> dict[str, Any]:
    """One cell: identity, statistics, resources, speedup, warnings, raw values."""
    return {
        **c.cell.to_dict(),
        "style": c.style,
        "wall_s": c.wall.to_dict(),
        "values_s": c.values,
        "user_s": c.user_s,
        "sys_s": c.sys_s,
        "peak_rss_kib": c.peak_rss_kib,
        "rss_growth_kib": c.rss_growth_kib,
        "children_peak_rss_kib": c.children_peak_rss_kib,
        "peak_threads": c.peak_threads,
        "ctx_voluntary": c.ctx_voluntary,
        "ctx_involuntary": c.ctx_involuntary,
        "speedup": c.speedup.to_dict() if c.speedup else None,
        "warnings": c.warnings,
        "digest": c.digest,
        "result": c.summary,
        "info": c.info,
    }


def scaling_record(s: Scaling) -> dict[str, Any]:
    """One scaling curve with its log-log fit."""
    return {
        "workload": s.workload,
        "scenario": s.scenario,
        "variant": s.variant,
        "axis": s.axis,
        "fixed": s.fixed,
        "points": [{"x": x, "median_s": y} for x, y in s.points],
        "fit": s.fit.to_dict(),
    }


def report_document(report: BenchReport) -> dict[str, Any]:
    """The report in the project's JSON envelope (``"command": "bench"``)."""
    return document(
        "bench",
        bench_schema_version=report.schema_version,
        title=report.title,
        machine=report.machine,
        preset=report.preset,
        seed=report.seed,
        interrupted=report.interrupted,
        elapsed_s=report.elapsed_s,
        notes=report.notes,
        cells=[cell_record(c) for c in report.cells],
        scaling=[scaling_record(s) for s in report.scaling],
    )


def to_json(report: BenchReport) -> str:
    """The document as indented JSON text."""
    return dumps_pretty(report_document(report))


def write_json(report: BenchReport, path: Path) -> None:
    """Write the JSON export atomically."""
    write_atomic(path, to_json(report))
