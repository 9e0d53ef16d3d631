"""``--changed-within`` / ``--changed-before``: a point in time from a duration or a date.

What the CLI accepts (fd's forms, plus ISO-8601 and epoch seconds), turned into an absolute
time once, when the options are parsed, so that a whole walk compares against one cutoff:

* a duration back from now: ``90s``, ``10min``, ``10m``, ``2h``, ``2d``, ``1w``, ``3M``
  (months of 30.44 days), ``1y`` (365.25 days), ``1h30m`` or ``1h 30m``; also ``ms``,
  ``us``, ``ns`` and the long names (``2 days``, ``1 hour``). ``m`` is minutes, ``M`` months.
* a date or time: ``2024-05-01`` (local midnight), ``2024-05-01 10:00``,
  ``2024-05-01T10:00:00``, with a zone ``2024-05-01T10:00:00Z`` or ``+02:00``; without a
  zone the time is local, as for ``find -newermt`` and fd.
* ``@1714557600`` (seconds since the epoch, fractions allowed), as ``date -d @...``.

The comparison is on the modification time (what fd and ``find -newermt`` compare), in
nanoseconds: within = strictly newer than the cutoff, before = strictly older.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Final

from scanner.errors import UsageProblem

_SECONDS: Final = {
    "ns": 1e-9, "nsec": 1e-9,
    "us": 1e-6, "usec": 1e-6,
    "ms": 1e-3, "msec": 1e-3,
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
    "w": 604800.0, "week": 604800.0, "weeks": 604800.0,
    "M": 2_630_016.0, "month": 2_630_016.0, "months": 2_630_016.0,
    "y": 31_557_600.0, "year": 31_557_600.0, "years": 31_557_600.0,
}  # fmt: skip

_PART: Final = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)", re.ASCII)


def parse_duration(text: str) -> float | None:
    """Seconds of a duration such as ``2d``, ``1h 30m``, ``1.5h``; None if ``text`` is
    not one."""
    pos, total, parts = 0, 0.0, 0
    text = text.strip()
    while pos < len(text):
        m = _PART.match(text, pos)
        if m is None:
            return None
        unit = m.group(2)
        scale = _SECONDS.get(unit)
        if scale is None and unit.lower() != "m":  # "m" minutes and "M" months stay apart
            scale = _SECONDS.get(unit.lower())
        if scale is None:
            return None
        total += float(m.group(1)) * scale
        pos = m.end()
        parts += 1
    return total if parts else None


def parse_point_in_time(text: str, *, now: float | None = None, option: str = "time") -> float:
    """Seconds since the epoch of a duration back from ``now``, a date/time or ``@EPOCH``.

    Raises ``UsageProblem`` naming ``option`` when ``text`` is none of them.
    """
    spec = text.strip()
    if spec.startswith("@"):
        try:
            return float(spec[1:])
        except ValueError:
            pass
    else:
        seconds = parse_duration(spec)
        if seconds is not None:
            return (time.time() if now is None else now) - seconds
        try:
            when = datetime.fromisoformat(spec)
        except ValueError:
            pass
        else:
            # a naive date or time is local time (as find -newermt and fd read it)
            return (when if when.tzinfo is not None else when.astimezone()).timestamp()
    raise UsageProblem(
        f"{option} takes a duration (10min, 2h, 3d, 1w), a date or time (2024-05-01, "
        f"2024-05-01T10:00:00Z) or @EPOCH, not {text!r}"
    )


def to_ns(seconds: float) -> int:
    """A cutoff in nanoseconds, to compare with ``st_mtime_ns`` exactly (whole seconds
    convert without rounding)."""
    return round(seconds * 1_000_000_000)
