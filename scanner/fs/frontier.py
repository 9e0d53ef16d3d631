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
  directories cannot pile up open descriptors.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from scanner.fs.batch import DirTask, close_tasks


class Frontier:
    """Directories still to read (see the module docstring for the order)."""

    __slots__ = ("_open", "_plain")

    def __init__(self, tasks: Iterable[DirTask] = ()) -> None:
        self._plain: deque[DirTask] = deque()
        self._open: deque[DirTask] = deque()
        self.push(list(tasks))

    def __len__(self) -> int:
        return len(self._plain) + len(self._open)

    def push(self, tasks: list[DirTask]) -> None:
        """Add a batch's ``frontier`` (``scan_batch`` returns its open directories last)."""
        end = len(tasks)
        while end and tasks[end - 1].open is not None:
            end -= 1
        if end == len(tasks):
            self._plain.extend(tasks)
            return
        self._plain.extend(tasks[:end])
        self._open.extend(tasks[end:])

    def share(self, workers: int) -> list[DirTask]:
        """The tasks of the next batch when ``workers`` batches may run: a fair share of the
        top, plus the open directory that has waited longest."""
        plain = self._plain
        n = min(len(plain), max(1, len(plain) // workers))
        tasks = [plain.pop() for _ in range(n)]
        if self._open:
            tasks.append(self._open.popleft())
        return tasks

    def close(self) -> None:
        """Close every open directory left and forget everything (a walk that ends early)."""
        try:
            close_tasks(self._open)
            close_tasks(self._plain)
        finally:
            self._open.clear()
            self._plain.clear()
