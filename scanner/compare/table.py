"""The terminal table: Variant, Median ± MAD, Min, Max, Speedup [95% CI], Peak RSS, Threads."""

from __future__ import annotations

from rich.console import Group as RichGroup
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from scanner.compare.format import COLUMNS, groups, row, scaling_row, verdict, warning_lines
from scanner.compare.results import BenchReport


def render(report: BenchReport) -> RenderableType:
    """One rich table per group with hyperfine's one-line verdict under it, then scaling
    slopes, notes and the warnings (one line per kind)."""
    parts: list[RenderableType] = []
    for group in groups(report):
        table = Table(title=group.title, title_justify="left", title_style="bold")
        for i, name in enumerate(COLUMNS):
            table.add_column(name, justify="left" if i == 0 else "right", no_wrap=True)
        for c in group.cells:
            table.add_row(*row(c), style="yellow" if c.warnings else None)
        parts.append(table)
        line = verdict(group)
        if line:
            parts.append(Text(line, style="bold"))
    if report.scaling:
        table = Table(
            title="Scaling: time ∝ x^slope (log-log fit of medians)", title_justify="left"
        )
        for name in ("workload", "variant", "axis", "at", "points", "slope", "R²"):
            table.add_column(name, justify="left" if name in ("workload", "variant") else "right")
        for s in report.scaling:
            table.add_row(*scaling_row(s))
        parts.append(table)
    for note in report.notes:
        parts.append(Text(f"note: {note}", style="dim"))
    for line in warning_lines(report):
        parts.append(Text(f"warning: {line}", style="yellow"))
    return RichGroup(*parts)
