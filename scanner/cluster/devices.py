"""Device numbers that mean the same on every node.

A walk compares ``st_dev`` values in four places: ``--one-file-system`` (a subdirectory on
another device than its root is not entered), ``--follow`` loop detection (the
(st_dev, st_ino) of a directory's ancestors) and directories reached twice (claimed by the
client), and hard links (a multi-link inode's bytes count once, in the totals and in the
per-directory totals). ``st_dev`` is a number the *kernel of one node* gives a mount: two nodes that
mount the same NFS export at the same path usually see different numbers (mounts get
anonymous device numbers in mount order), and so do the workers of the multi-node lab (one
FUSE mount each). Inode numbers do pass through (NFS file ids; FUSE ``use_ino``).

So whatever crosses the wire names devices *canonically*: a device that holds root ``i`` of
the walk (the first such root) is ``-(i + 1)``, on every node; any other device keeps its
local number (a file system mounted below a root: the same on nodes that mount alike, the
best that can be done). A worker translates to local numbers before it runs the work unit,
and back after.
"""

from __future__ import annotations

import os
from dataclasses import replace

from scanner.fs.batch import BatchResult, DirTask


class DeviceMap:
    """Local ↔ canonical device numbers of one node, for one set of roots."""

    __slots__ = ("_to_canon", "_to_local")

    def __init__(self, roots: tuple[str, ...]) -> None:
        self._to_canon: dict[int, int] = {}
        self._to_local: dict[int, int] = {}
        for i, root in enumerate(roots):
            try:
                dev = os.stat(root).st_dev  # roots are followed, as the work unit does
            except OSError:
                continue  # the work unit reports it
            if dev not in self._to_canon:
                self._to_canon[dev] = -(i + 1)
                self._to_local[-(i + 1)] = dev

    def canon(self, dev: int) -> int:
        """The canonical number of a local device."""
        return self._to_canon.get(dev, dev)

    def local(self, dev: int) -> int:
        """The local number of a canonical device (a negative number this node does not
        know stays as it is: it matches no local device)."""
        return self._to_local.get(dev, dev)

    def _task(self, task: DirTask, to: dict[int, int]) -> DirTask:
        dev = task.dev if task.dev is None else to.get(task.dev, task.dev)
        ancestors = task.ancestors
        if ancestors is not None:
            ancestors = frozenset((to.get(d, d), ino) for d, ino in ancestors)
        if dev == task.dev and ancestors == task.ancestors:
            return task
        return replace(task, dev=dev, ancestors=ancestors)

    def localize(self, tasks: list[DirTask]) -> list[DirTask]:
        """Tasks from the wire, in this node's numbers."""
        if not self._to_local or all(t.dev is None and t.ancestors is None for t in tasks):
            return tasks
        return [self._task(t, self._to_local) for t in tasks]

    def canonize(self, res: BatchResult) -> BatchResult:
        """A result for the wire: its frontier, deferred directories and hard-link keys in
        canonical numbers."""
        to = self._to_canon
        if not to:
            return res
        if any(t.dev is not None or t.ancestors is not None for t in res.frontier):
            res.frontier = [self._task(t, to) for t in res.frontier]
        if res.deferred:
            res.deferred = [
                ((to.get(dev, dev), ino), self._task(task, to), record)
                for (dev, ino), task, record in res.deferred
            ]
        if res.links:
            res.links = [(to.get(d, d), *rest) for d, *rest in res.links]  # type: ignore[misc]
        if res.dir_links:
            res.dir_links = [(to.get(d, d), *rest) for d, *rest in res.dir_links]  # type: ignore[misc]
        return res
