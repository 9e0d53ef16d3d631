"""How many hosts an ``icmp`` sweep keeps in flight by default."""

from __future__ import annotations

import math
from typing import Final

from scanner.net.config import ICMP_DEFAULT_RATE

#: Hosts in flight at most by default (each costs a few hundred bytes, no descriptor).
_MAX_SLOTS: Final = 16_384
_MIN_SLOTS: Final = 256


def icmp_concurrency(rate: float | None, count: int, interval: float, timeout: float) -> int:
    """Hosts in flight so that the packet rate, not the slots, bounds the sweep: a host
    holds its slot for ``(count - 1) * interval + timeout`` at most, while ``rate`` requests
    a second leave; twice that, within bounds."""
    per_second = (ICMP_DEFAULT_RATE if rate is None else rate) / count
    holding = (count - 1) * interval + timeout
    return max(_MIN_SLOTS, min(_MAX_SLOTS, math.ceil(2 * per_second * holding)))
