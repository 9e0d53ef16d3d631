"""Statistics of repeated timings, hyperfine style, in pure Python.

* :func:`summarize`: mean, sample standard deviation, median, MAD, min, max, quartiles, IQR.
* :func:`modified_z_scores` / :func:`outliers`: Iglewicz and Hoaglin's modified z-score,
  ``0.6745 * (x - median) / MAD``, an outlier above 3.5. When the MAD is 0 (more than half the
  values equal), the mean absolute deviation scaled by 1.253314 stands in for it.
* :func:`stability_warnings`: outliers, a slow first run, a stddev above 10% of the mean;
  each warning reads ``KIND: detail`` so that a report can fold one kind over many cells.
* :func:`speedup`: the ratio of medians (baseline / candidate, so > 1 means faster than the
  baseline) with a seeded percentile-bootstrap confidence interval; "not significant" when the
  interval contains 1.
* :func:`loglog_fit`: least squares on log-log axes; the slope says how cost grows with size
  (1 = linear, < 1 = sub-linear).
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from scanner.quantiles import quantile

#: Iglewicz-Hoaglin threshold for the modified z-score.
OUTLIER_THRESHOLD = 3.5
#: Fewer values than this make no outlier verdict: with three values the MAD is one gap,
#: and the other gap's z-score is large by construction.
MIN_VALUES_FOR_OUTLIERS = 5
#: Relative standard deviation above which a result is called unstable.
UNSTABLE_RSD = 0.10
_MAD_TO_Z = 0.6745
_MEAN_AD_TO_MAD = 1.253314


@dataclass(frozen=True, slots=True)
class Summary:
    """Location and spread of one sample."""

    n: int
    mean: float
    stddev: float  # sample standard deviation (n - 1); 0 for a single value
    median: float
    mad: float  # median absolute deviation from the median, unscaled
    min: float
    max: float
    q1: float  # quartiles by linear interpolation (numpy's default, R type 7)
    q3: float
    iqr: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


def mad(values: Sequence[float]) -> float:
    """Median absolute deviation from the median (not scaled to a standard deviation)."""
    med = statistics.median(values)
    return statistics.median(abs(v - med) for v in values)


def summarize(values: Sequence[float]) -> Summary:
    """Summary statistics of a non-empty sample."""
    if not values:
        raise ValueError("summarize() needs at least one value")
    ordered = sorted(values)
    q1 = quantile(ordered, 0.25)
    q3 = quantile(ordered, 0.75)
    return Summary(
        n=len(ordered),
        mean=statistics.fmean(ordered),
        stddev=statistics.stdev(ordered) if len(ordered) > 1 else 0.0,
        median=statistics.median(ordered),
        mad=mad(ordered),
        min=ordered[0],
        max=ordered[-1],
        q1=q1,
        q3=q3,
        iqr=q3 - q1,
    )


def modified_z_scores(values: Sequence[float]) -> list[float]:
    """Iglewicz-Hoaglin modified z-score of every value (0 for all when there is no spread)."""
    med = statistics.median(values)
    spread = mad(values)
    if spread > 0:
        return [_MAD_TO_Z * (v - med) / spread for v in values]
    # More than half the values are equal: fall back on the mean absolute deviation (IBM SPSS).
    mean_ad = statistics.fmean(abs(v - med) for v in values)
    if mean_ad == 0:
        return [0.0 for _ in values]
    return [(v - med) / (_MEAN_AD_TO_MAD * mean_ad) for v in values]


def outliers(values: Sequence[float], threshold: float = OUTLIER_THRESHOLD) -> list[int]:
    """Indices of the values whose modified z-score exceeds ``threshold`` in magnitude."""
    if len(values) < MIN_VALUES_FOR_OUTLIERS:
        return []
    return [i for i, z in enumerate(modified_z_scores(values)) if abs(z) > threshold]


def stability_warnings(
    values: Sequence[float],
    *,
    threshold: float = OUTLIER_THRESHOLD,
    max_rsd: float = UNSTABLE_RSD,
) -> list[str]:
    """hyperfine's warnings for one cell's timings, in the order values were measured."""
    found: list[str] = []
    if len(values) < 2:
        return found
    count = 0
    if len(values) >= MIN_VALUES_FOR_OUTLIERS:
        scores = modified_z_scores(values)
        count = sum(1 for z in scores if abs(z) > threshold)
    if count and scores[0] > threshold:
        found.append(
            "slow first run: the first run was significantly slower than the rest "
            "(caches not yet warm?)"
        )
    if count:
        found.append(
            f"outliers: {count} statistical outlier(s) (modified z-score > {threshold:g}); "
            "consider re-running on a quieter system"
        )
    summary = summarize(values)
    if summary.mean > 0 and summary.stddev > max_rsd * summary.mean:
        found.append(
            f"unstable: stddev is {100 * summary.stddev / summary.mean:.0f}% of the mean "
            f"(above {100 * max_rsd:.0f}%)"
        )
    return found


@dataclass(frozen=True, slots=True)
class Speedup:
    """How many times faster the candidate is than the baseline, with its uncertainty."""

    ratio: float  # median(baseline) / median(candidate)
    low: float  # bootstrap percentile interval
    high: float
    confidence: float
    resamples: int

    @property
    def significant(self) -> bool:
        """False when the interval contains 1: the data cannot tell the two apart."""
        return not (self.low <= 1.0 <= self.high)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (with ``significant``)."""
        data = asdict(self)
        data["significant"] = self.significant
        return data


def _median_of_resample(rng: random.Random, values: Sequence[float]) -> float:
    return statistics.median(rng.choices(values, k=len(values)))


def speedup(
    baseline: Sequence[float],
    candidate: Sequence[float],
    *,
    resamples: int = 10_000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Speedup:
    """Ratio of medians baseline/candidate with a percentile-bootstrap interval.

    Both samples are resampled independently (they come from different processes); the
    generator is seeded so that a report is reproducible from its raw values.
    """
    if not baseline or not candidate:
        raise ValueError("speedup() needs values on both sides")
    ratio = statistics.median(baseline) / statistics.median(candidate)
    rng = random.Random(seed)
    ratios = sorted(
        _median_of_resample(rng, baseline) / _median_of_resample(rng, candidate)
        for _ in range(resamples)
    )
    alpha = (1.0 - confidence) / 2.0
    return Speedup(
        ratio=ratio,
        low=quantile(ratios, alpha),
        high=quantile(ratios, 1.0 - alpha),
        confidence=confidence,
        resamples=resamples,
    )


@dataclass(frozen=True, slots=True)
class Fit:
    """``log(y) = slope * log(x) + intercept`` fitted by least squares."""

    slope: float
    intercept: float
    r2: float
    points: int

    def predict(self, x: float) -> float:
        """The fitted y at x."""
        return float(math.exp(self.intercept) * x**self.slope)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


def loglog_fit(xs: Sequence[float], ys: Sequence[float]) -> Fit:
    """Least-squares line through (log x, log y); needs two distinct positive x values."""
    if len(xs) != len(ys):
        raise ValueError("xs and ys differ in length")
    pairs = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0]
    lx = [p[0] for p in pairs]
    ly = [p[1] for p in pairs]
    if len(set(lx)) < 2:
        raise ValueError("a log-log fit needs at least two distinct positive x values")
    mx = statistics.fmean(lx)
    my = statistics.fmean(ly)
    sxx = sum((x - mx) ** 2 for x in lx)
    sxy = sum((x - mx) * (y - my) for x, y in pairs)
    slope = sxy / sxx
    intercept = my - slope * mx
    ss_tot = sum((y - my) ** 2 for y in ly)
    ss_res = sum((y - (slope * x + intercept)) ** 2 for x, y in pairs)
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    return Fit(slope=slope, intercept=intercept, r2=r2, points=len(pairs))
