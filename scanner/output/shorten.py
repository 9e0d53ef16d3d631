"""Paths for a terminal's width: relative to the root they were found under, and shortened
in the middle (both ends of a path say the most), never cut at the end."""

from __future__ import annotations

from collections.abc import Sequence


def middle(text: str, room: int) -> str:
    """``text`` in at most ``room`` characters, its middle replaced by ``…``."""
    if len(text) <= room:
        return text
    if room <= 1:
        return text[:room]
    head = (room - 1) // 2
    tail = room - 1 - head
    return f"{text[:head]}…{text[len(text) - tail :]}"


def relative_to_roots(path: str, roots: Sequence[str]) -> str:
    """``path`` relative to the deepest of ``roots`` that is a directory above it (unchanged
    when none is; ``outer.zip!inner.zip`` keeps its member part)."""
    best = ""
    for root in roots:
        base = root.rstrip("/") + "/"
        if path.startswith(base) and len(base) > len(best):
            best = base
    return path[len(best) :] if best else path
