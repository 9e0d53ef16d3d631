"""Quantiles by linear interpolation between closest ranks (numpy's default, R type 7).

Shared by the sweep's RTT percentiles and the comparison module's statistics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def quantile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of values already sorted ascending (at least one)."""
    last = len(ordered) - 1
    if last == 0:
        return ordered[0]
    pos = last * q
    lo = math.floor(pos)
    hi = min(lo + 1, last)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def percentiles(rtts: Sequence[float]) -> dict[str, float]:
    """p50, p90 and p99 of RTTs in milliseconds; empty for no values (NaN is left out)."""
    values = sorted(v for v in rtts if not math.isnan(v))
    if not values:
        return {}
    out: dict[str, float] = {}
    last = len(values) - 1
    for name, q in (("p50", 0.50), ("p90", 0.90), ("p99", 0.99)):
        lo = math.floor(q * last)
        hi = min(lo + 1, last)
        # ping prints RTTs to the microsecond: round away float noise (0.13684000000000002),
        # staying between the two samples interpolated
        out[name] = min(max(round(quantile(values, q), 3), values[lo]), values[hi])
    return out
