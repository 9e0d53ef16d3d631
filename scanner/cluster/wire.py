"""What crosses the wire between the client and a worker, in its cheapest form.

Entries and directory tasks travel as plain tuples, not as the engine's dataclasses:
pickle writes a tuple of strings and numbers in C, while a slots dataclass goes through
``__reduce_ex__`` and a state dict per object. Measured on a 12,000-entry directory: 40 ms to
dump and 30 ms to load the ``Entry`` objects, 3 ms each as tuples (plus 8 ms to rebuild the
objects on the client). A walk sends every directory out once and back once, and a listing
every entry back once, so this is what a share costs beyond its reading.
"""

from __future__ import annotations

from itertools import starmap
from typing import TypeAlias

from scanner.fs.batch import BatchResult, DirTask, OpenDir
from scanner.fs.ignore import IgnoreStack
from scanner.fs.listed import ListedDir
from scanner.fs.model import Entry

#: ``Entry`` fields in order: path, name, type, depth, size, mtime.
EntryRow: TypeAlias = tuple[str, str, str, int, int | None, float | None]
#: ``DirTask`` fields in order: path, depth, rel_start, dev, ancestors, owner (per-directory
#: totals), ignore (--gitignore rules), and for a directory listed part-way its names left
#: and their types (``scanner.fs.listed``; an open scandir iterator never travels).
TaskRow: TypeAlias = tuple[
    str,
    int,
    int,
    int | None,
    frozenset[tuple[int, int]] | None,
    str | None,
    IgnoreStack | None,
    tuple[tuple[str, ...], str] | None,
]
#: A batch result without its entries and frontier, and those as rows.
PackedResult: TypeAlias = tuple[BatchResult, list[EntryRow], list[TaskRow]]


def pack_tasks(tasks: list[DirTask]) -> list[TaskRow]:
    """Directory tasks for the wire (none may hold an open directory: a listed one may).
    The ignore rules of sibling directories are one object, which pickle writes once per
    share."""
    return [
        (t.path, t.depth, t.rel_start, t.dev, t.ancestors, t.owner, t.ignore, _names(t.open))
        for t in tasks
    ]


def _names(listed: OpenDir | ListedDir | None) -> tuple[tuple[str, ...], str] | None:
    if listed is None:
        return None
    if isinstance(listed, OpenDir):
        raise TypeError("an open directory cannot travel: drain it (scanner.fs.listed)")
    return listed.names, listed.kinds


def unpack_tasks(rows: list[TaskRow]) -> list[DirTask]:
    """Directory tasks from the wire."""
    return [
        DirTask(
            path,
            depth,
            rel,
            dev,
            ancestors,
            None if names is None else ListedDir(*names),
            owner,
            ignore,
        )
        for path, depth, rel, dev, ancestors, owner, ignore, names in rows
    ]


def pack_result(res: BatchResult) -> PackedResult:
    """A result for the wire (``res`` loses its entries and frontier to the rows)."""
    entries = [(e.path, e.name, e.type, e.depth, e.size, e.mtime) for e in res.entries]
    frontier = pack_tasks(res.frontier)
    res.entries, res.frontier = [], []
    return res, entries, frontier


def unpack_result(packed: PackedResult) -> BatchResult:
    """The result a worker packed."""
    res, entries, frontier = packed
    res.entries = list(starmap(Entry, entries))
    res.frontier = unpack_tasks(frontier)
    return res
