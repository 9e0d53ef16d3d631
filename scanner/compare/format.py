"""Human formatting shared by the terminal table and the Markdown exporter."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from scanner.compare.results import BenchReport, CellReport
from scanner.compare.stats import Speedup

#: Columns of the comparison table, in order.
COLUMNS = (
    "Variant",
    "Conc.",
    "Median ± MAD",
    "Min",
    "Max",
    "Speedup [95% CI]",
    "CPU",
    "Peak RSS (+work)",
    "Threads",
    "Runs",
)


def seconds(value: float) -> str:
    """A duration with a unit that keeps three significant digits."""
    if value >= 1.0:
        return f"{value:.3g} s" if value < 100 else f"{value:.0f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def kib(value: int) -> str:
    """A size in KiB as MiB."""
    return f"{value / 1024:.1f} MiB"


def speedup_text(sp: Speedup | None, *, baseline: bool = False) -> str:
    """``12.3x [11.8-12.9]``, marked when not significant."""
    if baseline:
        return "1x (baseline)"
    if sp is None:
        return "-"
    text = f"{sp.ratio:.2f}x [{sp.low:.2f}-{sp.high:.2f}]"
    return text if sp.significant else f"{text} n.s."


@dataclass(frozen=True, slots=True)
class Group:
    """Cells that did the same work, in table order."""

    title: str
    cells: list[CellReport]


def _style_rank(c: CellReport) -> tuple[int, str, int]:
    order = {"async": 0, "threads": 1, "sequential": 2, "anchor": 3, "cluster": 4}
    return (order.get(c.style, 9), c.cell.variant, c.cell.concurrency)


def groups(report: BenchReport) -> Iterator[Group]:
    """Groups in first-seen order (workload, scenario, size), variants sorted by style."""
    seen: dict[tuple[str, str, int], list[CellReport]] = {}
    for c in report.cells:
        seen.setdefault(c.cell.group, []).append(c)
    for (workload, scenario, size), cells in seen.items():
        cells.sort(key=_style_rank)
        summary = ", ".join(f"{k} {v}" for k, v in cells[0].summary.items())
        title = f"{workload} · {scenario} · size {size:,}"
        yield Group(title=f"{title} ({summary})" if summary else title, cells=cells)


def row(c: CellReport) -> list[str]:
    """The table row of one cell, in :data:`COLUMNS` order."""
    return [
        c.cell.variant,
        str(c.cell.concurrency),
        f"{seconds(c.wall.median)} ± {seconds(c.wall.mad)}",
        seconds(c.wall.min),
        seconds(c.wall.max),
        speedup_text(c.speedup, baseline=c.style == "sequential"),
        seconds(c.user_s + c.sys_s),
        f"{kib(c.peak_rss_kib)} (+{c.rss_growth_kib / 1024:.1f})",
        str(c.peak_threads),
        str(c.wall.n),
    ]
