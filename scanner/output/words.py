"""Counts in words for summary lines (``1 file``, ``2 files``): no imports, so that every
start-up path can use it."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` with thousands separators and ``noun``, plural unless ``n`` is 1."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {plural or noun + 's'}"
