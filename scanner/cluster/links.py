"""Hard links counted once across workers: the inodes already counted, settled at merge.

In one process the work units share one ``SharedState``: the first name of a multi-link
file met anywhere counts its bytes, the others count 0. Workers do not share memory, so
each task counts the first name *it* meets and reports that inode in ``BatchResult.links``;
the client keeps the set of inodes counted so far and takes a repeated inode's bytes back
out of the result (totals, its extension's bytes, the largest files, its disk blocks with
``--disk-usage``; a multi-link symlink or device only has blocks) before merging it. Files
with one link never appear here. The set grows with the multi-link inodes of the tree, as
``SharedState``'s does in one process.

A task's bounded heap of largest files may have let a repeated inode push a smaller file
out; that file cannot belong among the largest anyway (the inode's counted name is at least
as large and is in another result), except for ties of equal size, where which name is
listed depends on the walk order, in one process too.
"""

from __future__ import annotations

import heapq
import os

from scanner.extname import extension_of
from scanner.fs.batch import BatchResult


class LinkLedger:
    """The (device, inode) of every multi-link file whose bytes were counted."""

    __slots__ = ("_seen", "repeated")

    def __init__(self) -> None:
        self._seen: set[tuple[int, int]] = set()
        #: inodes whose bytes a second task counted again and that were taken back out
        self.repeated = 0

    def settle(self, res: BatchResult, *, compound: bool) -> None:
        """Take the bytes of inodes counted before out of ``res`` (in place)."""
        if not res.links:
            return
        kept: list[tuple[int, int, int, str | None, int]] = []
        repeated: list[tuple[int, str | None, int]] = []
        for link in res.links:
            key = (link[0], link[1])
            if key in self._seen:
                repeated.append((link[2], link[3], link[4]))
            else:
                self._seen.add(key)
                kept.append(link)
        if not repeated:
            return
        self.repeated += len(repeated)
        res.links = kept
        gone: set[tuple[int, str]] = set()
        for size, path, disk in repeated:
            res.totals.disk_bytes -= disk
            if path is None:  # not a regular file: only its blocks were counted
                continue
            res.totals.bytes -= size
            name = os.path.basename(path.rstrip("/")) or path
            res.extensions[extension_of(name, compound)][1] -= size
            gone.add((size, path))
        if any(item in gone for item in res.largest):
            res.largest = [item for item in res.largest if item not in gone]
            heapq.heapify(res.largest)
