"""Human formatting shared by the terminal table and the Markdown exporter."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from scanner.compare.results import SHORT_RUN_S, BenchReport, CellReport, Scaling
from scanner.compare.stats import OUTLIER_THRESHOLD, UNSTABLE_RSD, Speedup

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


def _swept(report: BenchReport) -> set[tuple[str, str]]:
    """The (workload, scenario) pairs measured at more than one size."""
    sizes: dict[tuple[str, str], set[int]] = {}
    for c in report.cells:
        sizes.setdefault((c.cell.workload, c.cell.scenario), set()).add(c.cell.size)
    return {pair for pair, found in sizes.items() if len(found) > 1}


def groups(report: BenchReport) -> Iterator[Group]:
    """Groups in first-seen order (workload, scenario, size), variants sorted by style.

    The title names the size only where the report has several (a single size is in the
    result summary already, and ``bench walk DIR`` has none)."""
    swept = _swept(report)
    seen: dict[tuple[str, str, int], list[CellReport]] = {}
    for c in report.cells:
        seen.setdefault(c.cell.group, []).append(c)
    for (workload, scenario, size), cells in seen.items():
        cells.sort(key=_style_rank)
        summary = ", ".join(f"{k} {v}" for k, v in cells[0].summary.items())
        title = f"{workload} · {scenario}"
        if (workload, scenario) in swept:
            title += f" · size {size:,}"
        yield Group(title=f"{title} ({summary})" if summary else title, cells=cells)


def label(c: CellReport, *, size: bool = False) -> str:
    """``anyio-asyncio c=8`` (``sequential`` alone: it always runs at 1), with ``n=SIZE``
    when ``size`` is asked for and the cell has one."""
    text = c.cell.variant
    if c.style not in ("sequential", "anchor") or c.cell.concurrency != 1:
        text += f" c={c.cell.concurrency}"
    return f"{text} n={c.cell.size:,}" if size and c.cell.size else text


def ratio_spread(fast: CellReport, slow: CellReport) -> tuple[float, float]:
    """The ratio of medians slow/fast and its ± as hyperfine computes it: each side's
    relative standard deviation, propagated."""
    ratio = slow.wall.median / fast.wall.median
    rel = [s.stddev / s.mean if s.mean > 0 else 0.0 for s in (fast.wall, slow.wall)]
    return ratio, ratio * math.hypot(*rel)


#: Whose fastest cell is compared with whose in the one-line verdict, in this order.
_VERDICT_STYLES = ("async", "threads", "sequential")


def verdict(group: Group) -> str | None:
    """hyperfine's one line for a group: the fastest cell of the first two styles present
    (the anyio engine, threads, sequential), e.g. ``anyio-asyncio c=8 ran 1.80x ± 0.10
    faster than threads c=8``; None when fewer than two styles ran."""
    best: dict[str, CellReport] = {}
    for c in group.cells:
        if c.style in _VERDICT_STYLES and (
            c.style not in best or c.wall.median < best[c.style].wall.median
        ):
            best[c.style] = c
    present = [best[s] for s in _VERDICT_STYLES if s in best]
    if len(present) < 2:
        return None
    fast, slow = sorted(present[:2], key=lambda c: c.wall.median)
    ratio, spread = ratio_spread(fast, slow)
    return f"{label(fast)} ran {ratio:.2f}x ± {spread:.2f} faster than {label(slow)}"


#: What a kind of warning says when many cells share it (the cells' own texts stay in the
#: JSON and CSV exports).
_FOLDED = {
    "not significant": "speedup against sequential within noise (95% interval contains 1; "
    "n.s. in the table)",
    "outliers": f"statistical outliers (modified z-score > {OUTLIER_THRESHOLD:g}); consider "
    "re-running on a quieter system",
    "slow first run": "the first run was much slower than the rest (caches not yet warm?)",
    "short runs": f"runs take less than {SHORT_RUN_S * 1e3:g} ms, so fixed costs dominate; "
    "compare at a larger size",
}
#: Cells named in a folded warning before ``+N more``.
_NAMED = 3


def warning_lines(report: BenchReport) -> list[str]:
    """The cells' warnings, one line per kind: a kind that one cell has is shown whole, a
    kind that several share is folded into one line with their count."""
    swept = _swept(report)
    kinds: dict[str, list[tuple[CellReport, str]]] = {}
    for c in report.cells:
        for w in c.warnings:
            kind, _, detail = w.partition(": ")
            kinds.setdefault(kind, []).append((c, detail))
    lines = []
    for kind, hits in kinds.items():
        names = [label(c, size=(c.cell.workload, c.cell.scenario) in swept) for c, _ in hits]
        if len(hits) == 1:
            lines.append(f"{names[0]}: {kind}: {hits[0][1]}")
            continue
        shown = ", ".join(names[:_NAMED])
        if len(names) > _NAMED:
            shown += f", +{len(names) - _NAMED} more"
        cells = [c for c, _ in hits]
        lines.append(
            f"{kind} in {len(hits)} of {len(report.cells)} cells ({shown}): "
            f"{_folded(kind, cells, hits[0][1])}"
        )
    return lines


def _folded(kind: str, cells: list[CellReport], first: str) -> str:
    if kind == "unstable":
        rsd = sorted(100 * c.wall.stddev / c.wall.mean for c in cells if c.wall.mean > 0)
        return f"stddev {rsd[0]:.0f}-{rsd[-1]:.0f}% of the mean (above {100 * UNSTABLE_RSD:.0f}%)"
    return _FOLDED.get(kind, first)


def scaling_at(axis: str, fixed: int) -> str:
    """Where a scaling curve was taken: ``c=8`` along sizes, ``n=1,000`` along caps."""
    if axis == "size":
        return f"c={fixed}"
    return f"n={fixed:,}" if fixed else "-"


def scaling_row(s: Scaling) -> list[str]:
    """The row of one scaling curve (workload, variant, axis, at, points, slope, R²), the
    same in the terminal table and the Markdown export."""
    return [
        f"{s.workload} · {s.scenario}",
        s.variant,
        s.axis,
        scaling_at(s.axis, s.fixed),
        f"{s.points[0][0]:,}..{s.points[-1][0]:,} ({len(s.points)})",
        f"{s.fit.slope:.2f}",
        f"{s.fit.r2:.3f}",
    ]


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
