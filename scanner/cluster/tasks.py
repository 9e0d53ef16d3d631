"""The task functions a Dask worker runs: plain functions around the engines.

Plain, not ``async def``: a worker runs coroutine tasks on its own event loop, where
``anyio.run`` fails; a plain function runs in a worker thread, where it may run an event loop
of its own (every task here does: the tree, archive and sweep engines run inside it). Nothing
here starts processes with ``multiprocessing`` (a worker's processes are daemonic and cannot
have children) or writes anything: a task can run twice after a worker dies, so it only
returns its result and the client merges. Importing this module does not import Dask (nor
the archive and sweep engines, until a task needs them); the workers need ``scanner``
installed, and so does the scheduler, which unpickles tasks.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from scanner.cluster.claims import WorkerState, worker_state
from scanner.cluster.devices import DeviceMap
from scanner.cluster.faults import maybe_die
from scanner.cluster.share import read_share
from scanner.cluster.wire import PackedResult, TaskRow, pack_result, unpack_tasks
from scanner.fs._unit import root_tasks
from scanner.fs.config import WalkConfig

if TYPE_CHECKING:
    from scanner.archives.config import EngineConfig, ZipConfig
    from scanner.archives.model import ArchiveReport, Candidate
    from scanner.cluster.blocks import Block
    from scanner.net.config import SweepConfig
    from scanner.net.model import HostResult


def _needs_devices(cfg: WalkConfig) -> bool:
    return cfg.one_file_system or cfg.follow


def walk_roots(cfg: WalkConfig) -> PackedResult:
    """Stat the roots of a walk (on a worker: the client may not see the file system)."""
    res = root_tasks(cfg, WorkerState())
    maybe_die("roots", cfg.roots)
    if _needs_devices(cfg) or res.links or res.dir_links:
        res = DeviceMap(cfg.roots).canonize(res)
    return pack_result(res)


def walk_share(  # noqa: PLR0917 (a task's arguments: Waiter.run passes them by position)
    rows: list[TaskRow],
    cfg: WalkConfig,
    seconds: float,
    max_entries: int,
    walk_id: str = "",
    linger: float = math.inf,
) -> PackedResult:
    """Read directories from ``rows`` for about ``seconds`` (``max_entries`` listed) with the
    anyio engine (:mod:`scanner.cluster.share`), as part of walk ``walk_id``; the result
    holds what was read and, as its frontier, the directories not reached and the names
    left of a directory still being read ``linger`` seconds after the share's time (none
    open); under ``--follow`` the directories reached are deferred to the client
    (:mod:`scanner.cluster.claims`)."""
    tasks = unpack_tasks(rows)
    devices = DeviceMap(cfg.roots) if _needs_devices(cfg) else None
    if devices is not None:
        tasks = devices.localize(tasks)
    res = read_share(tasks, cfg, seconds, max_entries, worker_state(cfg, walk_id), linger=linger)
    if (res.links or res.dir_links) and devices is None:
        devices = DeviceMap(cfg.roots)
    # the test hook kills the worker here, after the work and before the result is
    # returned: the worst moment, everything read and nothing merged
    maybe_die("walk", [row[0] for row in rows])
    return pack_result(res if devices is None else devices.canonize(res))


def inspect_archives(
    candidates: list[Candidate], cfg: ZipConfig, engine: EngineConfig
) -> list[ArchiveReport]:
    """Inspect a batch of archives with the archive engine on an event loop of its own
    (threads only: the cluster is the parallelism), so that its per-archive deadline holds
    from each archive's start, as in one process; one report per archive."""
    from dataclasses import replace

    import anyio

    from scanner.archives.config import ProcessPolicy
    from scanner.archives.engine import inspect_paths

    reports: list[ArchiveReport] = []

    async def keep(report: ArchiveReport) -> None:
        reports.append(report)

    engine = replace(engine, processes=ProcessPolicy.NEVER)
    anyio.run(inspect_paths, candidates, cfg, keep, engine)
    maybe_die("zip", [c.path for c in candidates])
    return reports


def sweep_block(block: Block, cfg: SweepConfig) -> list[HostResult]:
    """Sweep one block of targets with the sweep engine, on an event loop of its own
    (this is a plain function in a worker thread: ``anyio.run`` works here, where it fails
    in an ``async def`` task on the worker's loop); the results in completion order."""
    import anyio

    from scanner.net.engine import sweep

    results: list[HostResult] = []

    async def keep(result: HostResult) -> None:
        results.append(result)

    anyio.run(sweep, block.targets(), cfg, keep)
    maybe_die("ping", [t.text for t in block.targets()])
    return results
