"""The Markdown export: the comparison tables, scaling fits, warnings and machine facts."""

from __future__ import annotations

from pathlib import Path

from scanner.compare.format import COLUMNS, groups, row, scaling_row, verdict, warning_lines
from scanner.compare.results import BenchReport
from scanner.output.atomic import write_atomic


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def machine_line(report: BenchReport) -> str:
    """One line of machine facts."""
    m = report.machine
    parts = [
        f"{m.get('cpu')} ({m.get('usable_cpus') or m.get('cpu_count')} CPUs)",
        f"{m.get('system')} {m.get('kernel')}",
        f"Python {m.get('python')}",
        f"anyio {m.get('anyio')}",
        f"trio {m.get('trio')}",
    ]
    if m.get("child_watchers"):
        parts.append("child watcher " + ", ".join(m["child_watchers"]))
    if m.get("git_commit"):
        parts.append(f"commit {str(m['git_commit'])[:12]}")
    return "; ".join(parts)


def to_markdown(report: BenchReport, *, heading_level: int = 3) -> str:
    """Markdown text: one table per group, then scaling fits, notes and warnings."""
    h = "#" * heading_level
    lines: list[str] = []
    align = ["---"] + ["--:"] * (len(COLUMNS) - 1)
    for group in groups(report):
        lines += [f"{h} {group.title}", "", _md_row(list(COLUMNS)), _md_row(align)]
        lines += [_md_row(row(c)) for c in group.cells]
        lines.append("")
        line = verdict(group)
        if line:
            lines += [line, ""]
    if report.scaling:
        lines += [
            f"{h} Scaling (log-log fit of the median: time ∝ x^slope)",
            "",
            _md_row(["Workload", "Variant", "Axis", "At", "Points", "Slope", "R²"]),
            _md_row(["---", "---", "---", "--:", "--:", "--:", "--:"]),
        ]
        lines += [_md_row(scaling_row(s)) for s in report.scaling]
        lines.append("")
    warned = warning_lines(report)
    if report.notes or warned:
        lines += [f"{h} Notes and warnings", ""]
        lines += [f"- {note}" for note in report.notes]
        lines += [f"- warning: {w}" for w in warned]
        lines.append("")
    lines.append(
        f"Measured on {machine_line(report)}; preset {report.preset['name']}, seed "
        f"{report.seed}, each run in a fresh worker process, cells shuffled per round."
    )
    return "\n".join(lines) + "\n"


def write_markdown(report: BenchReport, path: Path) -> None:
    """Write the Markdown export atomically."""
    write_atomic(path, to_markdown(report))
