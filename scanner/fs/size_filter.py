"""``--size``: fd's size constraints (``+1M``, ``-10ki``, ``500b``).

``<+|-><NUM><UNIT>``: ``+`` means at least, ``-`` at most, no sign exactly (fd's meaning,
both ends inclusive; ``find -size`` rounds up to its unit instead, so ``find -size -1M``
matches only empty files, a trap fd's syntax avoids). Units, case-insensitive:
``b`` bytes; ``k``/``kb``, ``m``/``mb``, ``g``/``gb``, ``t``/``tb`` powers of 1000;
``ki``/``kib``, ``mi``/``mib``, ``gi``/``gib``, ``ti``/``tib`` powers of 1024. A bare
number is bytes. Only regular files have a size a constraint can match (as in fd): with
``--size``, directories, symlinks and other entries never match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from scanner.errors import UsageProblem

_UNITS: Final = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "t": 1000**4,
    "tb": 1000**4,
    "ki": 1 << 10,
    "kib": 1 << 10,
    "mi": 1 << 20,
    "mib": 1 << 20,
    "gi": 1 << 30,
    "gib": 1 << 30,
    "ti": 1 << 40,
    "tib": 1 << 40,
}

_SPEC: Final = re.compile(r"([+-]?)(\d+)([a-z]*)", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True, slots=True)
class SizeFilter:
    """One size constraint: ``min`` (at least), ``max`` (at most) or ``eq`` (exactly)."""

    op: Literal["min", "max", "eq"]
    bytes: int

    def accepts(self, size: int) -> bool:
        """Whether a regular file of ``size`` bytes passes."""
        if self.op == "min":
            return size >= self.bytes
        if self.op == "max":
            return size <= self.bytes
        return size == self.bytes

    @classmethod
    def parse(cls, text: str) -> SizeFilter:
        """Parse fd's syntax; a ``UsageProblem`` names what is wrong."""
        m = _SPEC.fullmatch(text.strip())
        unit = m.group(3).lower() if m else ""
        if m is None or unit not in _UNITS:
            raise UsageProblem(
                f"--size takes [+-]NUM[UNIT] (units b, k, m, g, t, ki, mi, gi, ti), "
                f"not {text!r}"
            )
        op: Literal["min", "max", "eq"] = {"+": "min", "-": "max", "": "eq"}[m.group(1)]  # type: ignore[assignment]
        return cls(op, int(m.group(2)) * _UNITS[unit])

    def __str__(self) -> str:
        return {"min": "+", "max": "-", "eq": ""}[self.op] + f"{self.bytes}b"
