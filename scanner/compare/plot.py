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

from scanner.compare.format import groups
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


def plot_boxes(report: BenchReport, path: Path) -> None:
    """One box plot per group (workload, scenario, size), one box per variant, in table
    order from the top."""
    plt = _pyplot()
    found = list(groups(report))
    if not found:
        raise OperationFailed("nothing to plot: the report has no measured cells")
    cols = min(2, len(found))
    rows = math.ceil(len(found) / cols)
    tallest = max(len(g.cells) for g in found)
    height = max(2.4, 0.32 * tallest + 1.2)
    fig, axes = plt.subplots(rows, cols, figsize=(7 * cols, height * rows), squeeze=False)
    for ax, group in zip(axes.flat, found, strict=False):
        cells = list(reversed(group.cells))  # boxplot draws its first box at the bottom
        labels = [f"{c.cell.variant} (c={c.cell.concurrency})" for c in cells]
        _horizontal_boxes(ax, [c.values for c in cells])
        ax.set_yticks(range(1, len(labels) + 1), labels, fontsize=8)
        ax.set_xscale("log")
        ax.set_xlabel("wall time (s, log)")
        ax.set_title(group.title.split(" (")[0], fontsize=9)
        ax.grid(axis="x", which="both", alpha=0.3)
    for ax in list(axes.flat)[len(found) :]:
        ax.set_visible(False)
    fig.tight_layout()
    _save(fig, plt, path)


def _horizontal_boxes(ax: Any, data: list[list[float]]) -> None:
    # matplotlib 3.10 replaced vert=False by orientation= and deprecated the former
    try:
        ax.boxplot(data, orientation="horizontal")
    except TypeError:
        ax.boxplot(data, vert=False)


def plot_scaling(report: BenchReport, path: Path) -> None:
    """Scaling curves on log-log axes, one panel per workload/scenario/axis."""
    plt = _pyplot()
    panels: dict[tuple[str, str, str], list[Any]] = {}
    for s in report.scaling:
        panels.setdefault((s.workload, s.scenario, s.axis), []).append(s)
    if not panels:
        raise OperationFailed("nothing to plot: no scaling sweep (give several sizes)")
    cols = min(2, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(7 * cols, 4.2 * rows), squeeze=False)
    for ax, ((workload, scenario, axis), curves) in zip(axes.flat, panels.items(), strict=False):
        for s in curves:
            xs = [x for x, _ in s.points]
            ys = [y for _, y in s.points]
            tag = f"c={s.fixed}" if axis == "size" else f"n={s.fixed:,}"
            ax.plot(xs, ys, marker="o", label=f"{s.variant} {tag} (slope {s.fit.slope:.2f})")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("files / archives / hosts" if axis == "size" else "concurrency")
        ax.set_ylabel("median wall time (s)")
        ax.set_title(f"{workload} · {scenario}: time vs {axis}", fontsize=9)
        ax.grid(which="both", alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    fig.tight_layout()
    _save(fig, plt, path)


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
        fig.savefig(tmp, dpi=110)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OperationFailed(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        plt.close(fig)
