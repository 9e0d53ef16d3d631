"""Exporters of a :class:`~scanner.compare.results.BenchReport`, one module per format."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.errors import OperationFailed

if TYPE_CHECKING:
    from scanner.compare.results import BenchReport


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed into place."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OperationFailed(f"cannot write {path}: {exc.strerror or exc}") from exc


def write_exports(
    report: BenchReport,
    *,
    json: Path | None = None,
    csv: Path | None = None,
    markdown: Path | None = None,
    plot: Path | None = None,
) -> list[Path]:
    """Write each export asked for; return the paths written."""
    written: list[Path] = []
    if json is not None:
        from scanner.compare.export.json import write_json

        write_json(report, json)
        written.append(json)
    if csv is not None:
        from scanner.compare.export.csv import write_csv

        write_csv(report, csv)
        written.append(csv)
    if markdown is not None:
        from scanner.compare.export.markdown import write_markdown

        write_markdown(report, markdown)
        written.append(markdown)
    if plot is not None:
        from scanner.compare.plot import plot_report

        written += plot_report(report, plot)
    return written
