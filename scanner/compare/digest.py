"""The identical-result check: every variant must produce the same result, or nothing is reported.

A workload turns its result into a *canonical* JSON-able form (counts, sorted member lists,
host states: whatever must not depend on scheduling) and :func:`digest` hashes that. Before
any timing is reported, :func:`check_agreement` compares the digests of every run of every
cell in a group (same workload, scenario and size) and raises :class:`VariantsDisagree`,
naming the cells and what their summaries say, when any two differ.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from scanner.compare.model import Cell, RunRecord
from scanner.errors import OperationFailed


def canonical_json(value: Any) -> str:
    """Deterministic JSON text: sorted keys, no whitespace, NaN refused."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def digest(canonical: Any) -> str:
    """sha256 hex of the canonical JSON of a result (surrogates kept byte-exact)."""
    text = canonical_json(canonical)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class VariantsDisagree(OperationFailed):
    """Two variants of the same work produced different results: timings are meaningless."""

    def __init__(self, group: tuple[str, str, int], by_digest: Mapping[str, list[str]]) -> None:
        self.group = group
        self.by_digest = {d: list(keys) for d, keys in by_digest.items()}
        workload, scenario, size = group
        parts = "; ".join(
            f"{d[:12]}: {', '.join(sorted(keys))}" for d, keys in sorted(self.by_digest.items())
        )
        super().__init__(
            f"variants disagree on {workload}/{scenario} at size {size}, refusing to report "
            f"timings ({parts})"
        )


def check_agreement(records: Iterable[tuple[Cell, RunRecord]], *, checked: set[str]) -> None:
    """Raise :class:`VariantsDisagree` unless every checked run in each group agrees.

    ``checked`` names the variants that take part (external anchors such as ``find`` produce
    no comparable result and are left out by their workload).
    """
    groups: dict[tuple[str, str, int], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for cell, record in records:
        if cell.variant in checked:
            groups[cell.group][record.digest].add(cell.key)
    for group, by_digest in groups.items():
        if len(by_digest) > 1:
            raise VariantsDisagree(group, {d: sorted(k) for d, k in by_digest.items()})
