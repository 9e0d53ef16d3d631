"""``--sort path|size|mtime``: reproducible listings.

A walk streams entries in the order its batches finish, which depends on scheduling; a
sorted listing holds every entry in memory until the walk ends, so it is only done when
asked for. Orders (ties broken by path, so that any two runs over the same tree agree):

* ``path``: by the bytes of the path, as ``LC_ALL=C sort`` orders ``find``'s output;
* ``size``: largest first (``ls -S``); entries without a size (not stat()ed) last;
* ``mtime``: newest first (``ls -t``); entries without one last.

``reverse`` turns each order around (ties stay by path).
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable

from scanner.fs.model import Entry


class EntrySort(enum.Enum):
    """What a sorted listing is ordered by."""

    PATH = "path"
    SIZE = "size"
    MTIME = "mtime"

    @property
    def needs_stat(self) -> bool:
        """Whether the listed entries must carry size and mtime (``stat_listed``)."""
        return self is not EntrySort.PATH


def sort_entries(
    entries: Iterable[Entry], by: EntrySort, *, reverse: bool = False
) -> list[Entry]:
    """The entries in the order ``by`` (see the module docstring)."""
    items = list(entries)
    if by is EntrySort.PATH:
        items.sort(key=lambda e: os.fsencode(e.path), reverse=reverse)
        return items
    items.sort(key=lambda e: os.fsencode(e.path))  # the ties' order, stable below
    if by is EntrySort.SIZE:
        known = [e for e in items if e.size is not None]
        known.sort(key=lambda e: e.size or 0, reverse=not reverse)
    else:
        known = [e for e in items if e.mtime is not None]
        known.sort(key=lambda e: e.mtime or 0.0, reverse=not reverse)
    attr = "size" if by is EntrySort.SIZE else "mtime"
    return known + [e for e in items if getattr(e, attr) is None]
