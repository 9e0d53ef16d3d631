"""RTT figures of the probes that time requests themselves (TCP connects, reply tallies),
rounded as ``ping`` prints them, so every method reports alike."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scanner.quantiles import percentiles


def round_ms(seconds: float) -> float:
    """Seconds as milliseconds to the microsecond (ping's ``time=0.045 ms``)."""
    return round(seconds * 1000.0, 3)


def loss_pct(sent: int, received: int) -> float:
    """Lost share of ``sent`` in percent, six significant digits as iputils prints it
    (100.0 when nothing was sent)."""
    if sent <= 0:
        return 100.0
    return float(f"{(sent - min(received, sent)) * 100.0 / sent:.6g}")


@dataclass(frozen=True, slots=True)
class RttFigures:
    """min/avg/max/mdev (iputils' population standard deviation) and p50/p90/p99 when more
    than one value; all ``None`` for no values."""

    rtt_min: float | None = None
    rtt_avg: float | None = None
    rtt_max: float | None = None
    rtt_mdev: float | None = None
    percentiles: dict[str, float] | None = None


def rtt_figures(rtts: Sequence[float]) -> RttFigures:
    """The figures of these RTTs (milliseconds), rounded to the microsecond."""
    if not rtts:
        return RttFigures()
    mean = sum(rtts) / len(rtts)
    mdev = math.sqrt(max(0.0, sum(v * v for v in rtts) / len(rtts) - mean * mean))
    return RttFigures(
        rtt_min=min(rtts),
        rtt_avg=round(mean, 3),
        rtt_max=max(rtts),
        rtt_mdev=round(mdev, 3),
        percentiles=percentiles(rtts) if len(rtts) > 1 else None,
    )
