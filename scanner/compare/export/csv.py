"""The CSV export: one row per cell (times in seconds, sizes in KiB), like hyperfine's."""

from __future__ import annotations

from pathlib import Path

from scanner.compare.results import BENCH_SCHEMA_VERSION, BenchReport, CellReport
from scanner.output.atomic import write_atomic
from scanner.output.formats import csv_text

HEADER = (
    "schema_version",
    "workload",
    "scenario",
    "size",
    "variant",
    "style",
    "concurrency",
    "runs",
    "mean_s",
    "stddev_s",
    "median_s",
    "mad_s",
    "min_s",
    "max_s",
    "q1_s",
    "q3_s",
    "iqr_s",
    "user_s",
    "sys_s",
    "peak_rss_kib",
    "rss_growth_kib",
    "children_peak_rss_kib",
    "peak_threads",
    "ctx_voluntary",
    "ctx_involuntary",
    "speedup",
    "speedup_low",
    "speedup_high",
    "significant",
    "warnings",
    "digest",
)


def _row(c: CellReport) -> list[object]:
    w = c.wall
    sp = c.speedup
    return [
        BENCH_SCHEMA_VERSION,
        c.cell.workload,
        c.cell.scenario,
        c.cell.size,
        c.cell.variant,
        c.style,
        c.cell.concurrency,
        w.n,
        w.mean,
        w.stddev,
        w.median,
        w.mad,
        w.min,
        w.max,
        w.q1,
        w.q3,
        w.iqr,
        c.user_s,
        c.sys_s,
        c.peak_rss_kib,
        c.rss_growth_kib,
        c.children_peak_rss_kib,
        c.peak_threads,
        c.ctx_voluntary,
        c.ctx_involuntary,
        "" if sp is None else sp.ratio,
        "" if sp is None else sp.low,
        "" if sp is None else sp.high,
        "" if sp is None else sp.significant,
        " | ".join(c.warnings),
        c.digest,
    ]


def to_csv(report: BenchReport) -> str:
    """CSV text, header first."""
    return csv_text(HEADER, (_row(c) for c in report.cells))


def write_csv(report: BenchReport, path: Path) -> None:
    """Write the CSV export atomically."""
    write_atomic(path, to_csv(report))
