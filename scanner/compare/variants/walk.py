"""Walk + extension counts, scheduled four ways over the same work unit, ``scan_batch``.

* ``anyio-asyncio`` / ``anyio-trio``: the engine itself (``scanner.fs.walk``), its
  concurrency pinned to the cell's cap (``WalkConfig.workers``).
* ``threads``: a ``ThreadPoolExecutor`` of the cap's size running the engine's dispatch
  policy (same LIFO frontier, same fair share, same ``Tuner`` budgets) with futures instead
  of an event loop: the difference measured is the scheduler, nothing else.
* ``thread-per-worker``: the classic ``threading.Thread`` style: N threads that each take
  directories from a shared frontier under a condition variable and merge into the report
  under a lock, with no dispatcher at all.
* ``sequential``: one call of ``scan_batch`` with an unlimited budget, which is ``os.walk``
  with the same counting.

External anchors (not part of the identical-result check; they count files and bytes their
own way): ``os.walk`` + ``lstat`` in Python, ``find -printf``, and ``fd`` with the cap as
its thread count.
"""

from __future__ import annotations

import math
import os
import stat
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from scanner.compare.variants._cluster import cluster_variant, walk_on_local_cluster
from scanner.compare.variants._external import missing_tool, tool_output, which
from scanner.compare.variants._loops import run_on, scheduler_variants
from scanner.compare.workload import Variant, Workload
from scanner.fs import (
    BatchResult,
    Budget,
    DirTask,
    ReportBuilder,
    SharedState,
    WalkConfig,
    WalkReport,
    close_tasks,
    extension_of,
    root_tasks,
    scan_batch,
    walk,
)
from scanner.fs.frontier import Frontier
from scanner.fs.tuner import Tuner

_UNLIMITED = Budget(max_entries=sys.maxsize, max_seconds=math.inf)


def _prepare(params: Mapping[str, Any], size: int) -> WalkConfig:
    return WalkConfig(
        roots=(str(params["root"]),),
        hidden=bool(params.get("hidden", True)),
        largest=int(params.get("largest", 10)),
    )


def _anyio(backend: str, cfg: WalkConfig, concurrency: int) -> WalkReport:
    return run_on(backend, partial(walk, replace(cfg, workers=concurrency)))


@dataclass(slots=True)
class _Walk:
    """What every non-anyio scheduler starts from: the roots stat()ed and merged."""

    cfg: WalkConfig
    start: float = field(default_factory=time.perf_counter)
    shared: SharedState = field(default_factory=SharedState)
    builder: ReportBuilder = field(init=False)
    roots: list[DirTask] = field(init=False)

    def __post_init__(self) -> None:
        self.builder = ReportBuilder(self.cfg)
        first = root_tasks(self.cfg, self.shared)
        self.builder.merge(first)
        self.roots = list(first.frontier)

    def finish(self) -> WalkReport:
        """The report, with the elapsed time since the start."""
        return self.builder.finish(time.perf_counter() - self.start)


def _threads(cfg: WalkConfig, concurrency: int) -> WalkReport:
    cfg = replace(cfg, workers=concurrency)
    run = _Walk(cfg)
    shared, builder = run.shared, run.builder
    tuner = Tuner(pinned=concurrency, max_workers=cfg.max_workers)
    frontier = Frontier(run.roots)
    live: set[Future[BatchResult]] = set()  # submitted, not merged yet
    try:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="walk") as pool:
            while frontier or live:
                while frontier and len(live) < tuner.limit:
                    tasks = frontier.share(tuner.limit)
                    live.add(pool.submit(scan_batch, tasks, cfg, tuner.budget(), shared))
                done, pending = wait(live, return_when=FIRST_COMPLETED)
                for future in done:
                    live.discard(future)
                    res = future.result()
                    frontier.push(res.frontier)
                    tuner.observe(res, len(pending) + 1)
                    builder.merge(res)
    finally:
        # a failed batch ends the walk early: close the directories left open on the
        # frontier and in the results never merged (the pool has waited for every batch)
        frontier.close()
        for future in live:
            if not future.cancelled() and future.exception() is None:
                close_tasks(future.result().frontier)
    return run.finish()


def _thread_per_worker(cfg: WalkConfig, concurrency: int) -> WalkReport:
    run = _Walk(cfg)
    shared, builder = run.shared, run.builder
    frontier = Frontier(run.roots)
    lock = threading.Condition()
    busy = 0
    # the engine's starting budget, kept fixed: the classic style has no tuner
    budget = Tuner(pinned=concurrency, max_workers=cfg.max_workers).budget()
    failures: list[BaseException] = []

    def worker() -> None:
        nonlocal busy
        while True:
            with lock:
                while not frontier and busy:
                    lock.wait()
                if not frontier:
                    lock.notify_all()
                    return
                tasks = frontier.share(concurrency)
                busy += 1
            try:
                res = scan_batch(tasks, cfg, budget, shared)
            except BaseException as exc:  # surfaced after join, as a thread cannot raise
                failures.append(exc)
                res = BatchResult()
            with lock:
                frontier.push(res.frontier)
                builder.merge(res)
                busy -= 1
                lock.notify_all()

    threads = [threading.Thread(target=worker, name=f"walk-{i}") for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        # the walk ended early: close what the other workers left open on the frontier
        frontier.close()
        raise failures[0]
    return run.finish()


def _sequential(cfg: WalkConfig, concurrency: int) -> WalkReport:
    run = _Walk(cfg)
    run.builder.merge(scan_batch(run.roots, cfg, _UNLIMITED, run.shared))
    return run.finish()


def _os_walk(cfg: WalkConfig, concurrency: int) -> dict[str, Any]:
    files = nbytes = 0
    exts: Counter[str] = Counter()
    for top, _dirs, names in os.walk(cfg.roots[0]):
        for name in names:
            try:
                st = os.lstat(os.path.join(top, name))
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                files += 1
                nbytes += st.st_size
                exts[extension_of(name)] += 1
    return {"files": files, "bytes": nbytes, "extensions": len(exts)}


def _find(cfg: WalkConfig, concurrency: int) -> dict[str, Any]:
    out = tool_output(["find", cfg.roots[0], "-type", "f", "-printf", "%s\n"])
    sizes = out.split()
    return {"files": len(sizes), "bytes": sum(int(s) for s in sizes)}


def _fd(cfg: WalkConfig, concurrency: int) -> dict[str, Any]:
    argv = [which("fdfind", "fd"), "-HI", "--type", "f", "-j", str(concurrency), "."]
    return {"files": tool_output([*argv, cfg.roots[0]]).count(b"\n")}


def canonical(report: WalkReport) -> dict[str, Any]:
    """What every scheduler must agree on: totals, extensions, errors, largest sizes.

    Largest *paths* are left out: which name of a hard-linked file carries its bytes depends
    on which name a scheduler meets first (its size does not).
    """
    t = report.totals
    return {
        "totals": [t.files, t.dirs, t.symlinks, t.other, t.bytes, t.errors],
        "extensions": sorted([ext, c[0], c[1]] for ext, c in report.extensions.as_dict().items()),
        "errors": sorted([e.subject, e.phase, e.errno or 0] for e in report.errors),
        "largest_sizes": [f.size for f in report.largest],
    }


def summarize(report: WalkReport) -> dict[str, Any]:
    """Files, directories and bytes found."""
    t = report.totals
    return {"files": t.files, "dirs": t.dirs, "bytes": t.bytes, "errors": t.errors}


WORKLOAD = Workload(
    name="walk",
    prepare=_prepare,
    canonical=canonical,
    summarize=summarize,
    variants={
        **scheduler_variants(
            anyio_run=_anyio,
            threads=_threads,
            classic=("thread-per-worker", _thread_per_worker),
            sequential=_sequential,
        ),
        "cluster": cluster_variant(walk_on_local_cluster, starts_itself=True),
        "os.walk": Variant("os.walk", _os_walk, "anchor", checked=False, concurrent=False),
        "find": Variant(
            "find",
            _find,
            "anchor",
            checked=False,
            concurrent=False,
            unavailable=lambda p: missing_tool("find"),
        ),
        "fd": Variant(
            "fd", _fd, "anchor", checked=False, unavailable=lambda p: missing_tool("fdfind", "fd")
        ),
    },
)
