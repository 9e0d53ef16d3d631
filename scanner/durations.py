"""Durations as people write them on a command line: ``500ms``, ``1.5s``, ``2m``, ``10h``,
``3d``; a bare number is seconds (as ``ping -W``, ``timeout`` and ``sleep`` read it)."""

from __future__ import annotations

import math

#: Seconds per unit; "m" is minutes (milliseconds are "ms").
UNITS = {
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "sec": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
}


def split_duration(text: str) -> tuple[float, str]:
    """(number, unit) of a duration; unit "" when none was written. ``ValueError`` for
    anything that is not a finite number with an optional known unit."""
    value = text.strip().lower()
    unit = ""
    for name in sorted(UNITS, key=len, reverse=True):
        if value.endswith(name) and value[: -len(name)].strip():
            unit = name
            value = value[: -len(name)].strip()
            break
    number = float(value)  # ValueError for garbage
    if not math.isfinite(number):
        raise ValueError(f"not a finite duration: {text!r}")
    return number, unit


def parse_duration(text: str) -> float:
    """Seconds in ``text`` (a bare number is seconds)."""
    number, unit = split_duration(text)
    return number * UNITS.get(unit, 1.0)
