"""Read a JSON export back into a :class:`~scanner.compare.results.BenchReport`.

So that tables and plots can be redrawn from an earlier run without measuring again
(``benchmarks/run_all.py --only`` keeps the other scenarios this way).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scanner.compare.model import Cell
from scanner.compare.results import BENCH_SCHEMA_VERSION, BenchReport, CellReport, Scaling
from scanner.compare.stats import Fit, Speedup, Summary
from scanner.errors import OperationFailed


def _cell(data: dict[str, Any]) -> CellReport:
    sp = data.get("speedup")
    return CellReport(
        cell=Cell.from_dict(data),
        style=str(data["style"]),
        values=[float(v) for v in data["values_s"]],
        wall=Summary(**data["wall_s"]),
        user_s=float(data["user_s"]),
        sys_s=float(data["sys_s"]),
        peak_rss_kib=int(data["peak_rss_kib"]),
        rss_growth_kib=int(data.get("rss_growth_kib", 0)),
        children_peak_rss_kib=int(data["children_peak_rss_kib"]),
        peak_threads=int(data["peak_threads"]),
        ctx_voluntary=int(data["ctx_voluntary"]),
        ctx_involuntary=int(data["ctx_involuntary"]),
        digest=str(data["digest"]),
        summary=dict(data["result"]),
        info=dict(data.get("info") or {}),
        warnings=list(data.get("warnings") or []),
        speedup=None
        if sp is None
        else Speedup(
            ratio=sp["ratio"],
            low=sp["low"],
            high=sp["high"],
            confidence=sp["confidence"],
            resamples=sp["resamples"],
        ),
    )


def _scaling(data: dict[str, Any]) -> Scaling:
    return Scaling(
        workload=data["workload"],
        scenario=data["scenario"],
        variant=data["variant"],
        axis=data["axis"],
        fixed=int(data["fixed"]),
        points=[(int(p["x"]), float(p["median_s"])) for p in data["points"]],
        fit=Fit(**data["fit"]),
    )


def report_from_document(doc: dict[str, Any]) -> BenchReport:
    """The report held by a ``--export-json`` document."""
    if doc.get("command") != "bench" or doc.get("bench_schema_version") != BENCH_SCHEMA_VERSION:
        raise OperationFailed(
            f"not a bench report of schema version {BENCH_SCHEMA_VERSION} "
            f"(command {doc.get('command')!r}, version {doc.get('bench_schema_version')!r})"
        )
    return BenchReport(
        title=str(doc["title"]),
        preset=dict(doc["preset"]),
        seed=int(doc["seed"]),
        machine=dict(doc["machine"]),
        cells=[_cell(c) for c in doc["cells"]],
        scaling=[_scaling(s) for s in doc["scaling"]],
        notes=list(doc.get("notes") or []),
        interrupted=bool(doc.get("interrupted")),
        elapsed_s=float(doc.get("elapsed_s") or 0.0),
    )


def load_report(path: Path) -> BenchReport:
    """Read a JSON export."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OperationFailed(f"cannot read bench report {path}: {exc}") from exc
    return report_from_document(doc)
