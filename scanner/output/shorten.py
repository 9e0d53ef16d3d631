"""Paths for a terminal's width: relative to the root they were found under, and shortened
in the middle (both ends of a path say the most), never cut at the end."""

from __future__ import annotations

from collections.abc import Sequence


def middle(text: str, width: int) -> str:
    """``text`` in at most ``width`` terminal cells, cut in the middle with "…" (the end, a
    path's last names, is always kept whole when it fits)."""
    from rich.cells import cell_len

    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    keep = width - 1
    tail_cells = keep - keep // 3  # two thirds for the end: the names that tell things apart
    tail = ""
    for ch in reversed(text):
        if cell_len(ch + tail) > tail_cells:
            break
        tail = ch + tail
    head = ""
    for ch in text:
        if cell_len(head + ch) > keep - cell_len(tail):
            break
        head += ch
    return head + "…" + tail


def relative_to_roots(path: str, roots: Sequence[str]) -> str:
    """``path`` relative to the deepest of ``roots`` that is a directory above it (unchanged
    when none is; ``outer.zip!inner.zip`` keeps its member part)."""
    best = ""
    for root in roots:
        base = root.rstrip("/") + "/"
        if path.startswith(base) and len(base) > len(best):
            best = base
    return path[len(best) :] if best else path
