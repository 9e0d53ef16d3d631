"""Counting files and bytes per extension.

The per-file hot path lives in the work unit (``scanner.fs._unit``): ``rfind('.')``, a slice
and a dict update on the *raw* extension. Case folding happens here, once per distinct
extension when a batch is merged, not once per file.

The rule for a name's extension is :func:`scanner.extname.extension_of` (``os.path.splitext``'s,
shared with the archive code); a trailing dot (``name.``) gives an empty extension, counted in
the "no extension" bucket.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.extname import add_counts, extension_of


class ExtSort(enum.Enum):
    """Order of the extension table."""

    COUNT = "count"
    BYTES = "bytes"
    NAME = "name"


@dataclass(frozen=True, slots=True)
class ExtRow:
    """One row of the extension table; ``ext`` is None for the "others" row."""

    ext: str | None
    files: int
    bytes: int


@dataclass(frozen=True, slots=True)
class ExtTable:
    """The rows to show, the folded remainder after ``--top``, and the totals."""

    rows: list[ExtRow]
    others: ExtRow | None
    total: ExtRow
    distinct: int


@dataclass
class ExtCounter:
    """Files and bytes per extension, merged from the raw per-batch counts."""

    case_sensitive: bool = False
    counts: dict[str, list[int]] = field(default_factory=dict)

    def merge_raw(self, raw: Mapping[str, list[int]]) -> None:
        """Add a batch's ``{raw_ext: [files, bytes]}`` (folding case unless told not to)."""
        add_counts(self.counts, raw, fold=not self.case_sensitive)

    def merge(self, other: ExtCounter) -> None:
        """Add another counter's counts."""
        self.merge_raw(other.counts)

    @property
    def files(self) -> int:
        """Total files counted."""
        return sum(c[0] for c in self.counts.values())

    @property
    def bytes(self) -> int:
        """Total bytes counted."""
        return sum(c[1] for c in self.counts.values())

    def as_dict(self) -> dict[str, tuple[int, int]]:
        """``{ext: (files, bytes)}``, for comparisons and JSON."""
        return {k: (v[0], v[1]) for k, v in self.counts.items()}

    def table(self, sort: ExtSort = ExtSort.COUNT, top: int | None = None) -> ExtTable:
        """Sorted rows, the first ``top`` of them, an "others" row for the rest, and totals."""
        rows = [ExtRow(ext, c[0], c[1]) for ext, c in self.counts.items()]
        rows.sort(key=_sort_key(sort))
        others: ExtRow | None = None
        if top is not None and len(rows) > top:
            rest = rows[top:]
            rows = rows[:top]
            others = ExtRow(None, sum(r.files for r in rest), sum(r.bytes for r in rest))
        total = ExtRow(None, self.files, self.bytes)
        return ExtTable(rows=rows, others=others, total=total, distinct=len(self.counts))


def _sort_key(sort: ExtSort) -> Callable[[ExtRow], tuple[Any, ...]]:
    # ties broken by name so that output is stable across runs and schedulers
    if sort is ExtSort.COUNT:
        return lambda r: (-r.files, -r.bytes, r.ext or "")
    if sort is ExtSort.BYTES:
        return lambda r: (-r.bytes, -r.files, r.ext or "")
    return lambda r: (r.ext or "", -r.files)


def label(ext: str | None) -> str:
    """How an extension key is shown to people: ``.py``, ``(none)``, ``(others)``."""
    if ext is None:
        return "(others)"
    return f".{ext}" if ext else "(none)"


def count_names(
    names: Iterable[tuple[str, int]], *, compound: bool = False, case_sensitive: bool = False
) -> ExtCounter:
    """Count ``(name, size)`` pairs: the reference implementation the engine must agree with."""
    raw: dict[str, list[int]] = {}
    for name, size in names:
        slot = raw.setdefault(extension_of(name, compound), [0, 0])
        slot[0] += 1
        slot[1] += size
    counter = ExtCounter(case_sensitive=case_sensitive)
    counter.merge_raw(raw)
    return counter
