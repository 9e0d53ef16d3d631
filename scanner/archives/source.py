"""Random access to an archive file without reading it whole and without ``mmap``.

``mmap`` would be the obvious tool, but a file truncated while mapped (a download being
rewritten, a log rotated) turns the next page access into SIGBUS, which kills the
process; a scanner of other people's trees must survive that. :class:`FileView` answers
the same slicing the reader uses with ``os.pread``, through a small cache of aligned
blocks: local headers of consecutive small entries share blocks, so auditing touches
about one block per 64 KiB of archive and one ``pread`` per block.
"""

from __future__ import annotations

import os
from collections import OrderedDict

BLOCK = 64 * 1024
#: Blocks kept: bounds memory per open archive to BLOCK * CACHE_BLOCKS (1 MiB).
CACHE_BLOCKS = 16


class FileView:
    """A read-only, bytes-like view of an open file descriptor (not owned).

    Supports ``len()``, slicing with a step of 1 (returns ``bytes``; short at end of file,
    as bytes slicing is) and ``find``. A file that shrinks while read gives short slices,
    never a crash.
    """

    __slots__ = ("_blocks", "_fd", "_last", "_last_index", "_size")

    def __init__(self, fd: int, size: int) -> None:
        self._fd = fd
        self._size = size
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._last_index = -1
        self._last = b""

    def __len__(self) -> int:
        return self._size

    def _block(self, index: int) -> bytes:
        if index == self._last_index:
            return self._last
        block = self._blocks.get(index)
        if block is None:
            block = os.pread(self._fd, BLOCK, index * BLOCK)
            self._blocks[index] = block
            if len(self._blocks) > CACHE_BLOCKS:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(index)
        self._last_index, self._last = index, block
        return block

    def __getitem__(self, key: slice) -> bytes:
        start, stop, step = key.indices(self._size)
        if step != 1:
            raise ValueError("FileView supports contiguous slices only")
        if stop <= start:
            return b""
        first = start // BLOCK
        base = first * BLOCK
        if stop <= base + BLOCK:
            # One block: the common case (a local header), served from the cache.
            return self._block(first)[start - base : stop - base]
        if stop - start > BLOCK:
            # Large spans (central directory, member data) bypass the cache.
            return os.pread(self._fd, stop - start, start)
        last = (stop - 1) // BLOCK
        return self._block(first)[start - base :] + self._block(last)[: stop - last * BLOCK]

    def find(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        """Offset of the first ``sub`` in ``[start, end)``, or -1 (reads in blocks)."""
        end = self._size if end is None else min(end, self._size)
        pos = max(start, 0)
        overlap = len(sub) - 1
        while pos < end:
            stop = min(end, pos + 16 * BLOCK)
            chunk = os.pread(self._fd, stop - pos, pos)
            if not chunk:
                return -1
            hit = chunk.find(sub)
            if hit >= 0 and pos + hit + len(sub) <= end:
                return pos + hit
            if stop >= end:
                return -1
            pos = stop - overlap
        return -1
