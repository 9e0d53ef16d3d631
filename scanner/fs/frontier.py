"""The frontier of a walk: directories known but not read yet, and how they are handed out.

One policy for every scheduler (the anyio engine, and the comparison module's thread pool and
thread-per-worker variants), so that they differ in scheduling only:

* LIFO: the walk stays mostly depth-first, so memory follows the frontier, not the file
  count;
* fair shares: a batch takes ``len // workers`` directories from the top, so that the
  other workers find work too;
* a directory a batch stopped inside (``DirTask.open``: its scandir iterator and fd) goes
  out before anything else, one per share. A batch handed none opens at most one new
  directory at a time, and only when no open one is waiting, so at most one open directory
  per running batch exists (two fds each, as while reading): a tree of many huge
  directories cannot pile up open descriptors;
* a directory another process listed part-way (``ListedDir``, cluster walks: its names left,
  no fd) goes out one piece per share, oldest first (newest first starved small rests for
  seconds: they set a traced walk's end), and small rests of several directories
  together, up to ``LISTED_BUNDLE`` names (each costs a share otherwise).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from scanner.fs.batch import DirTask, OpenDir, close_tasks
from scanner.fs.listed import ListedDir

#: Names of listed directories a share takes together (see the module docstring); also the
#: fewest a piece of a huge directory is cut to: a share costs a cluster's client and
#: scheduler about a millisecond, so it is worth some dozens of ``stat`` calls.
LISTED_BUNDLE = 32


class Frontier:
    """Directories still to read (see the module docstring for the order)."""

    __slots__ = ("_listed", "_open", "_plain")

    def __init__(self, tasks: Iterable[DirTask] = ()) -> None:
        self._plain: deque[DirTask] = deque()
        self._open: deque[DirTask] = deque()
        self._listed: deque[DirTask] = deque()
        self.push(list(tasks))

    def __len__(self) -> int:
        return len(self._plain) + len(self._open) + len(self._listed)

    def push(self, tasks: list[DirTask]) -> None:
        """Add a batch's ``frontier`` (``scan_batch`` returns its open directories last)."""
        end = len(tasks)
        while end and tasks[end - 1].open is not None:
            end -= 1
        if end == len(tasks):
            self._plain.extend(tasks)
            return
        self._plain.extend(tasks[:end])
        for task in tasks[end:]:
            (self._open if isinstance(task.open, OpenDir) else self._listed).append(task)

    def share(self, workers: int) -> list[DirTask]:
        """The tasks of the next batch when ``workers`` batches may run: a fair share of the
        top, plus the open directory that has waited longest, or listed names."""
        plain = self._plain
        n = min(len(plain), max(1, len(plain) // workers))
        tasks = [plain.pop() for _ in range(n)]
        if self._open:
            tasks.append(self._open.popleft())
        elif self._listed:
            self._take_listed(tasks)
        return tasks

    def _take_listed(self, tasks: list[DirTask]) -> None:
        listed = self._listed
        task = listed.popleft()
        tasks.append(task)
        names = _names(task)
        while listed and names + _names(listed[0]) <= LISTED_BUNDLE:
            task = listed.popleft()
            tasks.append(task)
            names += _names(task)

    def close(self) -> None:
        """Close every open directory left and forget everything (a walk that ends early)."""
        try:
            close_tasks(self._open)
            close_tasks(self._plain)
        finally:
            self._open.clear()
            self._plain.clear()
            self._listed.clear()


def _names(task: DirTask) -> int:
    listed = task.open
    assert isinstance(listed, ListedDir)
    return len(listed)
