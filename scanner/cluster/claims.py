"""Directories reached twice under ``--follow``, across workers: the client decides.

In one process the work units share one ``SharedState``: the first name of a directory met
anywhere reads it, the others count as reached twice (``WalkReport.reached_twice``). Workers
do not share memory, so a worker's state (:class:`WorkerState`) answers "not known here" for
every directory a followed walk reaches: the work unit then hands the directory back
(``BatchResult.deferred``) instead of reading it, and the client, which sees every result,
claims it (:class:`DirClaims`): the first claim puts it on the frontier, a later one counts
it as reached twice. A directory is read once, whichever worker met which of its names.

A linked directory that the walk reaches without links is never read through the link, in
one process as here (``scanner.fs.roots.reached_plainly``), so which name reads a directory
does not depend on how shares were scheduled; the claims only settle the names that are all
links (a directory outside the roots that two links lead to).

The worker's state also carries what ``root_tasks`` sets for the walk in one process (the
pseudo file systems to skip, the roots as walked), found once per worker process and walk:
every node reads its own mount table.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Final

from scanner.fs._unit import root_tasks
from scanner.fs.batch import BatchResult, SharedState
from scanner.fs.config import WalkConfig
from scanner.fs.mounts import Mount
from scanner.fs.roots import Root

#: Walks whose roots a worker process keeps (one per walk seen recently).
_KEPT_WALKS: Final = 8
_walks: OrderedDict[tuple[WalkConfig, str], tuple[dict[str, str], list[Root], list[Mount]]] = (
    OrderedDict()
)
_walks_lock = threading.Lock()


class WorkerState(SharedState):
    """The ``SharedState`` of a work unit that does not see the whole walk: a directory's
    first reach is for the client to decide. ``stop`` may follow another state's flag."""

    def __init__(self, parent: SharedState | None = None) -> None:
        self._parent = parent
        self._stop = False
        super().__init__()

    @property
    def stop(self) -> bool:
        """The stop flag (the parent's, when there is one)."""
        return self._stop or (self._parent is not None and self._parent.stop)

    @stop.setter
    def stop(self, value: bool) -> None:
        self._stop = value

    def first_dir(self, dev: int, ino: int) -> bool | None:
        """Not known here: the client claims it (``BatchResult.deferred``)."""
        return None


def worker_state(cfg: WalkConfig, walk_id: str) -> WorkerState:
    """A fresh state for one share of walk ``walk_id``, with the walk's roots and pseudo
    mounts as this node sees them (found the first time this process meets the walk)."""
    key = (cfg, walk_id)
    with _walks_lock:
        known = _walks.get(key)
        if known is not None:
            _walks.move_to_end(key)
    if known is None:
        probe = WorkerState()
        root_tasks(cfg, probe)
        known = (probe.skip_dirs, probe.roots, probe.pseudo)
        with _walks_lock:
            _walks[key] = known
            while len(_walks) > _KEPT_WALKS:
                _walks.popitem(last=False)
    state = WorkerState()
    state.skip_dirs, state.roots, state.pseudo = known
    return state


class DirClaims:
    """The client's record of the directories a followed walk has reached (canonical
    device numbers, ``scanner.cluster.devices``)."""

    __slots__ = ("_lock", "_seen")

    def __init__(self) -> None:
        self._seen: set[tuple[int, int]] = set()
        self._lock = threading.Lock()

    def settle(self, res: BatchResult, *, roots: bool = False) -> None:
        """Claim the directories ``res`` deferred (in place): the first reach of each goes
        on its frontier, a later one counts as reached twice. ``roots``: ``res`` holds the
        roots, whose directories are claimed as they are."""
        with self._lock:
            seen = self._seen
            if roots:
                for task in res.frontier:
                    if task.depth == 0 and task.ancestors is not None:
                        seen.update(task.ancestors)
            if not res.deferred:
                return
            for key, task, record in res.deferred:
                if key in seen:
                    res.reached_twice += 1
                    continue
                seen.add(key)
                res.frontier.append(task)
                if record is not None:
                    res.dir_new.append(record)
            res.deferred = []
