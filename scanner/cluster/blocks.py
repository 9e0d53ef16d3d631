"""Sweep targets cut into blocks, one task each.

The client never lists addresses: :func:`scanner.net.targets.spans` gives the disjoint runs
left after excludes and de-duplication (interval arithmetic, as ``count_targets`` does), and
:func:`cut_blocks` cuts them into blocks of about ``addresses`` addresses (a run is split at a
block's end), while names go in blocks of their own (they wait on the resolver, not on the
probes). A worker expands its block (:meth:`Block.targets`) into exactly the targets
``expand`` would have produced for that part, the same texts included. zmap and masscan
shard a sweep the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from scanner.net.targets import Span, Target


@dataclass(frozen=True, slots=True)
class Block:
    """One task's targets: runs of addresses, and targets listed one by one (names, or
    addresses of a block split after it kept killing workers)."""

    spans: tuple[Span, ...] = ()
    listed: tuple[Target, ...] = ()

    @property
    def size(self) -> int:
        """Targets in the block."""
        return sum(s.size for s in self.spans) + len(self.listed)

    def targets(self) -> Iterator[Target]:
        """The block's targets, in order."""
        for span in self.spans:
            yield from span.targets()
        yield from self.listed


def cut_blocks(
    items: Iterable[Span | Target], addresses: int = 2048, names: int = 256
) -> Iterator[Block]:
    """Blocks of at most ``addresses`` addresses and blocks of at most ``names`` names,
    lazily, in the order of ``items`` (each block is yielded when full, the rest at the
    end)."""
    runs: list[Span] = []
    room = addresses
    pending: list[Target] = []
    for item in items:
        if isinstance(item, Target):
            pending.append(item)
            if len(pending) >= names:
                yield Block(listed=tuple(pending))
                pending = []
            continue
        span = item
        while span.size > room:  # the block is full part-way through this run
            runs.append(replace(span, last=span.first + room - 1))
            yield Block(spans=tuple(runs))
            span = replace(span, first=span.first + room)
            runs, room = [], addresses
        runs.append(span)
        room -= span.size
        if not room:
            yield Block(spans=tuple(runs))
            runs, room = [], addresses
    if runs:
        yield Block(spans=tuple(runs))
    if pending:
        yield Block(listed=tuple(pending))
