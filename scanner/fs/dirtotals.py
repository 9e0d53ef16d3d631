"""Per-directory totals: how batch results add up into ``DirTotals`` (``scanner du``).

The work unit adds each directory's entries to one record: the directory's own down to the
depth limit, its ancestor's at the limit below it (``DirTask.owner``), so memory follows
the directories down to the limit, not the tree. It does so once per directory read (the
difference of its running counters before and after), never per entry. This builder merges
those counts; ``finish`` adds every record into its parent's, deepest first, so that a
directory's total includes everything below it.

Hard links: an inode with several names counts once in every record that has one of its
names below it (the names are kept per record, only for inodes with ``st_nlink > 1``), so
a directory's total is what ``du`` run on that directory alone reports, whatever order the
walk met the names in. The walk's grand totals count every inode once overall.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from scanner.fs.model import DirTotal, DirTotals

if TYPE_CHECKING:
    from scanner.fs.batch import BatchResult

#: The order of the counts in ``BatchResult.dir_counts`` lists.
COUNTS: Final = ("files", "dirs", "symlinks", "other", "bytes", "disk_bytes", "errors")
FILES, DIRS, SYMLINKS, OTHER, BYTES, DISK, ERRORS = range(7)


class DirTotalsBuilder:
    """Merges the per-directory counts of batch results; ``finish`` rolls them up."""

    def __init__(self, depth: int, *, disk_usage: bool) -> None:
        self.depth = depth
        self.disk_usage = disk_usage
        # path -> (parent record, depth), in the order found (roots first)
        self._meta: dict[str, tuple[str | None, int]] = {}
        self._own: dict[str, list[int]] = {}
        # (st_dev, st_ino) -> [bytes, disk bytes, records holding one of its names]
        self._links: dict[tuple[int, int], tuple[int, int, set[str]]] = {}

    def merge(self, res: BatchResult) -> None:
        """Add one batch's records, counts and multiply-linked names."""
        meta = self._meta
        for path, parent, depth in res.dir_new:
            meta.setdefault(path, (parent, depth))
        own = self._own
        for path, counts in res.dir_counts.items():
            slot = own.get(path)
            if slot is None:
                own[path] = list(counts)
            else:
                for i, n in enumerate(counts):
                    slot[i] += n
        links = self._links
        for dev, ino, nbytes, disk, owner in res.dir_links:
            if owner is None:
                continue
            seen = links.get((dev, ino))
            if seen is None:
                links[(dev, ino)] = (nbytes, disk, {owner})
            else:
                seen[2].add(owner)

    def finish(self) -> DirTotals:
        """The rolled-up records (callable again after more merges)."""
        meta = self._meta
        zero = [0] * len(COUNTS)
        totals = {path: list(self._own.get(path, zero)) for path in meta}
        # deepest first: a record is complete when it is added to its parent
        for path in sorted(meta, key=lambda p: -meta[p][1]):
            parent = meta[path][0]
            if parent is not None and parent in totals:
                up, mine = totals[parent], totals[path]
                for i in range(len(COUNTS)):
                    up[i] += mine[i]
        for nbytes, disk, owners in self._links.values():
            holders: set[str] = set()
            for owner in owners:
                at: str | None = owner
                while at is not None and at not in holders and at in meta:
                    holders.add(at)
                    at = meta[at][0]
            for path in holders:
                totals[path][BYTES] += nbytes
                totals[path][DISK] += disk
        order = sorted(meta, key=lambda p: meta[p][1])  # stable: found order within a depth
        records = {
            path: DirTotal(
                path=path,
                depth=meta[path][1],
                parent=meta[path][0],
                files=t[FILES],
                dirs=t[DIRS],
                symlinks=t[SYMLINKS],
                other=t[OTHER],
                bytes=t[BYTES],
                disk_bytes=t[DISK] if self.disk_usage else None,
                errors=t[ERRORS],
            )
            for path in order
            for t in (totals[path],)
        }
        return DirTotals(depth=self.depth, disk_usage=self.disk_usage, records=records)
