"""Exporters of a :class:`~scanner.compare.results.BenchReport`, one module per format."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scanner.compare.results import BenchReport


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
