"""Figures (matplotlib, the optional ``plot`` extra): box plots per group, scaling curves.

``pip install 'scanner[plot]'``. The figure is written with the Agg backend, so no display
is needed. Box plots show every cell's raw values (whiskers at 1.5 IQR, as matplotlib
draws them); scaling curves plot the medians on log-log axes with the fitted slope in the
legend.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from scanner.compare.format import groups, label, scaling_at, seconds
from scanner.compare.results import BenchReport
from scanner.errors import OperationFailed


def plot_available() -> tuple[bool, str]:
    """Whether matplotlib can be imported, and why not."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False, "matplotlib is not installed: pip install 'scanner[plot]'"
    return True, ""


def _pyplot() -> Any:
    ok, reason = plot_available()
    if not ok:
        raise OperationFailed(reason)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


#: Colours by variant: tab10 and two more, told apart also in grey print by the markers.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#a6761d",
)  # fmt: skip
#: Markers and line styles by concurrency cap, so that one variant's caps differ too.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")
LINES = ("-", "--", ":", "-.")


class SeriesStyle:
    """One colour per variant, one marker and line style per cap (per size along the
    concurrency axis), the same in every panel of a report."""

    def __init__(self, report: BenchReport) -> None:
        variants = list(dict.fromkeys(c.cell.variant for c in report.cells))
        self._colour = {v: PALETTE[i % len(PALETTE)] for i, v in enumerate(variants)}
        self._rank = {
            "size": {
                cap: i for i, cap in enumerate(sorted({c.cell.concurrency for c in report.cells}))
            },
            "concurrency": {
                n: i for i, n in enumerate(sorted({c.cell.size for c in report.cells}))
            },
        }

    def colour(self, variant: str) -> str:
        """The variant's colour."""
        return self._colour.get(variant, "#444444")

    def line(self, variant: str, axis: str, fixed: int) -> dict[str, Any]:
        """matplotlib keywords of one curve (``fixed``: its cap or its size)."""
        i = self._rank.get(axis, {}).get(fixed, 0)
        return {
            "color": self.colour(variant),
            "marker": MARKERS[i % len(MARKERS)],
            "linestyle": LINES[i % len(LINES)],
        }


def plot_boxes(report: BenchReport, path: Path) -> None:
    """One box plot per group (workload, scenario, size), one box per variant, in table
    order from the top, each box in its variant's colour."""
    plt = _pyplot()
    found = list(groups(report))
    if not found:
        raise OperationFailed("nothing to plot: the report has no measured cells")
    style = SeriesStyle(report)
    cols = min(2, len(found))
    rows = math.ceil(len(found) / cols)
    tallest = max(len(g.cells) for g in found)
    height = max(2.4, 0.34 * tallest + 1.3)
    fig, axes = plt.subplots(rows, cols, figsize=(7 * cols, height * rows), squeeze=False)
    for ax, group in zip(axes.flat, found, strict=False):
        cells = list(reversed(group.cells))  # boxplot draws its first box at the bottom
        boxes = _horizontal_boxes(ax, [c.values for c in cells])
        for box, median, c in zip(boxes["boxes"], boxes["medians"], cells, strict=True):
            box.set_facecolor(style.colour(c.cell.variant))
            box.set_alpha(0.55)
            median.set_color("black")
        ax.set_yticks(range(1, len(cells) + 1), [label(c) for c in cells], fontsize=8)
        ax.set_xscale("log")
        ax.set_xlabel("wall time (s, log)")
        ax.set_title(group.title.split(" (")[0], fontsize=9)
        ax.grid(axis="x", which="both", alpha=0.3)
    for ax in list(axes.flat)[len(found) :]:
        ax.set_visible(False)
    fig.tight_layout()
    _save(fig, plt, path)


def _horizontal_boxes(ax: Any, data: list[list[float]]) -> Any:
    # matplotlib 3.10 replaced vert=False by orientation= and deprecated the former
    try:
        return ax.boxplot(data, orientation="horizontal", patch_artist=True)
    except TypeError:
        return ax.boxplot(data, vert=False, patch_artist=True)


def plot_scaling(report: BenchReport, path: Path) -> None:
    """Scaling curves on log-log axes, one panel per workload/scenario/axis, the legend
    beside the panel (never over the data)."""
    plt = _pyplot()
    panels: dict[tuple[str, str, str], list[Any]] = {}
    for s in report.scaling:
        panels.setdefault((s.workload, s.scenario, s.axis), []).append(s)
    if not panels:
        raise OperationFailed("nothing to plot: no scaling sweep (give three or more sizes)")
    style = SeriesStyle(report)
    rows = len(panels)
    fig, axes = plt.subplots(rows, 1, figsize=(9.5, 4.2 * rows), squeeze=False)
    for ax, ((workload, scenario, axis), curves) in zip(axes.flat, panels.items(), strict=False):
        for s in curves:
            xs = [x for x, _ in s.points]
            ys = [y for _, y in s.points]
            tag = scaling_at(axis, s.fixed) if s.fixed else ""
            ax.plot(
                xs, ys, label=f"{s.variant} {tag} (slope {s.fit.slope:.2f})".replace("  ", " "),
                markersize=6, linewidth=1.5, **style.line(s.variant, axis, s.fixed),
            )  # fmt: skip
        ax.set_xscale("log")
        ax.set_yscale("log")
        _plain_ticks(ax, sorted({x for s in curves for x, _ in s.points}))
        ax.set_xlabel("files / archives / hosts" if axis == "size" else "concurrency")
        ax.set_ylabel("median wall time (s)")
        ax.set_title(f"{workload} · {scenario}: time vs {axis}", fontsize=9)
        ax.grid(which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    fig.tight_layout()
    _save(fig, plt, path)


def _plain_ticks(ax: Any, xs: list[int]) -> None:
    """Ticks at the measured x values with plain numbers, times as the table writes them
    (``2×10⁰`` and ``6×10⁻²`` are hard to read)."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.set_xticks(xs, [f"{x:,}" for x in xs])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: seconds(y)))
    ax.yaxis.set_minor_formatter(NullFormatter())


def plot_report(report: BenchReport, path: Path) -> list[Path]:
    """Box plots to ``path``; scaling curves beside it (``NAME-scaling.png``) when swept."""
    written = [Path(path)]
    plot_boxes(report, Path(path))
    if report.scaling:
        scaling = Path(path).with_name(f"{Path(path).stem}-scaling{Path(path).suffix}")
        plot_scaling(report, scaling)
        written.append(scaling)
    return written


def _save(fig: Any, plt: Any, path: Path) -> None:
    import os
    import uuid

    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}{path.suffix}")
    try:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")  # the legends sit outside
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OperationFailed(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        plt.close(fig)
