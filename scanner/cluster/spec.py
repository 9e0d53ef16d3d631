"""Where a cluster is and how work is cut for it: two frozen values, parsed and checked.

``ClusterSpec`` says which Dask cluster to use (``--cluster`` / ``--cluster-file``):

* ``local`` or ``local:N``: an embedded ``LocalCluster`` of N worker processes on this machine
  (default: the usable CPUs), one thread each: the way to use every local core, since one
  process walks a tree on one core's worth of Python (the GIL);
* ``tcp://HOST:PORT``: a running scheduler (``dask scheduler``, with ``dask worker`` on
  every node);
* a scheduler file (``--cluster-file``): what ``dask-mpi`` and ``dask-jobqueue`` write.

``ShareConfig`` says how big the pieces of work sent to a worker are. Nothing here imports
Dask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from scanner.errors import UsageProblem

#: ``local`` with an optional worker count.
_LOCAL: Final = re.compile(r"local(?::(\d{1,4}))?\Z")
#: ``tcp://host:port``; the host is a name, an IPv4 address or a bracketed IPv6 address.
_TCP: Final = re.compile(r"tcp://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})\Z")

ClusterKind = Literal["local", "scheduler", "file"]


@dataclass(frozen=True, slots=True)
class ClusterSpec:
    """Which cluster runs the work."""

    kind: ClusterKind
    #: The scheduler address (``scheduler``) or the scheduler file (``file``).
    target: str | None = None
    #: Worker processes of a ``local`` cluster (None: the usable CPUs).
    workers: int | None = None

    @classmethod
    def parse(cls, text: str) -> ClusterSpec:
        """Read a ``--cluster`` value: ``local``, ``local:N`` or ``tcp://HOST:PORT``."""
        local = _LOCAL.match(text)
        if local is not None:
            workers = None if local.group(1) is None else int(local.group(1))
            if workers is not None and workers < 1:
                raise UsageProblem("--cluster local:N needs at least one worker")
            return cls("local", workers=workers)
        tcp = _TCP.match(text)
        if tcp is not None:
            if not 0 < int(tcp.group(2)) < 65536:
                raise UsageProblem(f"--cluster {text}: the port must be 1-65535")
            return cls("scheduler", target=text)
        raise UsageProblem(
            f"--cluster takes local, local:N or tcp://HOST:PORT, not {text!r} "
            "(a scheduler file goes to --cluster-file)"
        )

    @classmethod
    def from_file(cls, path: str) -> ClusterSpec:
        """A scheduler file written by ``dask scheduler --scheduler-file``, dask-mpi or
        dask-jobqueue."""
        if not path:
            raise UsageProblem("--cluster-file needs a file name")
        return cls("file", target=path)

    @property
    def local_workers(self) -> int:
        """Worker processes a ``local`` cluster starts."""
        if self.workers is not None:
            return self.workers
        from scanner.oslimits import usable_cpus

        return usable_cpus()

    def describe(self) -> str:
        """How the cluster is named in messages."""
        if self.kind == "local":
            return f"local:{self.local_workers}"
        if self.kind == "file":
            return f"the scheduler in {self.target}"
        return str(self.target)


@dataclass(frozen=True, slots=True)
class ShareConfig:
    """How work is cut into tasks."""

    #: Seconds a tree-walk task reads before it hands back the directories it did not
    #: reach (``--share-seconds``). Long enough that the per-task cost of the scheduler
    #: (about a millisecond) and of sending the frontier is lost in it, short enough that
    #: shares are re-queued often: that balances skewed trees, and bounds how much work is
    #: redone when a worker dies. The first shares are shorter (from ``first_seconds``,
    #: doubling), so that a single root fans out to every worker at once.
    share_seconds: float = 0.25
    first_seconds: float = 0.02
    #: A listing share also ends (between directories) once it holds this many entries:
    #: results in flight are what the client holds in memory, whatever the tree's size.
    share_entries: int = 16384
    #: Tasks kept in flight per worker thread: a worker finds its next share waiting when
    #: it finishes one, instead of idling through a round trip to the client.
    shares_per_thread: int = 2
    #: Addresses per sweep task (names go in blocks of their own, ``names_per_block``).
    block_addresses: int = 2048
    names_per_block: int = 256
    #: Small archives (at most ``batch_max_bytes``) are sent in batches of this many.
    archives_per_batch: int = 16
    batch_max_bytes: int = 4 * 1024 * 1024

    def __post_init__(self) -> None:
        if not 0 < self.share_seconds <= 3600:
            raise UsageProblem(
                f"--share-seconds must be within (0, 3600], not {self.share_seconds}"
            )
        if not self.first_seconds > 0:
            raise UsageProblem("first_seconds must be positive")
        for name in ("shares_per_thread", "share_entries", "block_addresses", "names_per_block"):
            if getattr(self, name) < 1:
                raise UsageProblem(f"{name} must be at least 1")
        if self.archives_per_batch < 1 or self.batch_max_bytes < 0:
            raise UsageProblem("archive batch limits must be positive")
