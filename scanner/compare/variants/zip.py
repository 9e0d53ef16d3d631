"""Zip inspection, scheduled four ways over the same work unit, ``inspect_one`` (the
engine's guarded ``inspect_file``: central directory, audit, nested archives).

* ``anyio-asyncio`` / ``anyio-trio``: the archive engine (``inspect_paths``) with the cell's
  cap as its worker count, in threads only (``ProcessPolicy.NEVER``): the comparison is about
  scheduling, and the lab's archives are far below the engine's process threshold anyway.
* ``threads``: ``ThreadPoolExecutor.map`` over the paths.
* ``thread-per-worker``: N ``threading.Thread`` workers taking paths from a ``queue.Queue``.
* ``sequential``: a loop.

External anchors: ``zipinfo -1`` once per archive through ``xargs -P <cap>``, and the
standard library's ``zipfile`` (a ``ZipInfo`` per member) in a sequential loop.

The canonical result lists, per archive, its member count and member names, the finding
codes and the worst severity, so any difference between schedulers shows.
"""

from __future__ import annotations

import os
import queue
import threading
import zipfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from scanner.archives._unit import inspect_one
from scanner.archives.config import EngineConfig, ProcessPolicy, ZipConfig
from scanner.archives.engine import inspect_paths
from scanner.archives.kinds import ARCHIVE_EXTENSIONS, extension_of
from scanner.archives.model import ArchiveReport, Candidate
from scanner.compare.variants._cluster import cluster_variant, inspect_on_local_cluster
from scanner.compare.variants._external import missing_tool, tool_output, which
from scanner.compare.variants._loops import run_on, scheduler_variants
from scanner.compare.workload import Variant, Workload


@dataclass(frozen=True, slots=True)
class ZipInput:
    """The archives (sorted paths) and the inspection config."""

    paths: tuple[str, ...]
    cfg: ZipConfig


def find_archives(root: str) -> list[str]:
    """Archive files under ``root`` by extension (or ``root`` itself), sorted."""
    if os.path.isfile(root):
        return [root]
    found = []
    for top, _dirs, files in os.walk(root):
        found += [os.path.join(top, f) for f in files if extension_of(f) in ARCHIVE_EXTENSIONS]
    return sorted(found)


def _prepare(params: Mapping[str, Any], size: int) -> ZipInput:
    return ZipInput(tuple(find_archives(str(params["root"]))), ZipConfig(keep_members=True))


def _anyio(backend: str, job: ZipInput, concurrency: int) -> list[ArchiveReport]:
    reports: list[ArchiveReport] = []

    async def collect(report: ArchiveReport) -> None:
        reports.append(report)

    engine = EngineConfig(workers=concurrency, processes=ProcessPolicy.NEVER, deadline=None)
    candidates = [Candidate(p) for p in job.paths]
    run_on(backend, partial(inspect_paths, candidates, job.cfg, collect, engine))
    return reports


def _threads(job: ZipInput, concurrency: int) -> list[ArchiveReport]:
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="zip") as pool:
        return list(pool.map(partial(inspect_one, cfg=job.cfg), job.paths))


def _thread_per_worker(job: ZipInput, concurrency: int) -> list[ArchiveReport]:
    todo: queue.SimpleQueue[str] = queue.SimpleQueue()
    for path in job.paths:
        todo.put(path)
    reports: list[ArchiveReport] = []
    lock = threading.Lock()

    def worker() -> None:
        while True:
            try:
                path = todo.get_nowait()
            except queue.Empty:
                return
            report = inspect_one(path, job.cfg)
            with lock:
                reports.append(report)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return reports


def _sequential(job: ZipInput, concurrency: int) -> list[ArchiveReport]:
    return [inspect_one(path, job.cfg) for path in job.paths]


def _zipinfo(job: ZipInput, concurrency: int) -> dict[str, Any]:
    argv = ["xargs", "-0", "-P", str(concurrency), "-n", "1", which("zipinfo"), "-1"]
    out = tool_output(argv, stdin=b"\0".join(os.fsencode(p) for p in job.paths))
    return {"archives": len(job.paths), "lines": out.count(b"\n")}


def _zipfile(job: ZipInput, concurrency: int) -> dict[str, Any]:
    members = errors = 0
    for path in job.paths:
        try:
            with zipfile.ZipFile(path) as zf:
                members += len(zf.infolist())
        except Exception:  # hostile archives make zipfile raise almost anything
            errors += 1
    return {"archives": len(job.paths), "members": members, "errors": errors}


def _canonical_one(r: ArchiveReport) -> list[Any]:
    names = [m.name for m in r.members or ()]
    worst = r.worst
    return [
        r.path,
        r.member_count,
        names,
        sorted(f.code for f in r.findings),
        None if worst is None else int(worst),
        None if r.error is None else r.error.phase,
        [_canonical_one(n) for n in r.nested],
    ]


def canonical(reports: list[ArchiveReport]) -> list[list[Any]]:
    """Per archive (sorted by path): members, names, finding codes, worst, error phase."""
    return sorted((_canonical_one(r) for r in reports), key=lambda item: str(item[0]))


def summarize(reports: list[ArchiveReport]) -> dict[str, Any]:
    """Archives, members and findings."""
    return {
        "archives": len(reports),
        "members": sum(r.member_count for r in reports),
        "findings": sum(len(r.findings) for r in reports),
        "errors": sum(1 for r in reports if r.error is not None),
    }


# -- the corpus lab ---------------------------------------------------------------------


def write_lab_corpus(root: Path, archives: int, *, seed: int) -> None:
    """``archives`` archives from the seeded generator of ``scanner.labs.archives``: every
    hostile case once (when there is room for them) and ordinary archives for the rest."""
    from scanner.labs.archives import HOSTILE_CASES, write_corpus

    hostile = archives >= 2 * len(HOSTILE_CASES)
    ordinary = archives - len(HOSTILE_CASES) if hostile else archives
    write_corpus(root, seed=seed, ordinary=ordinary, hostile=hostile)


def corpus_sizes(
    sizes: Sequence[int], *, seed: int = 1, base: Path | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """One corpus per size, generated once and reused (a marker names its spec)."""
    from scanner.compare.labs import lab_home

    out = []
    for n in sizes:
        root = lab_home(base) / f"zip-lab-{n}-seed{seed}"
        marker = root.with_name(root.name + ".done")
        if not marker.exists():
            import shutil

            shutil.rmtree(root, ignore_errors=True)
            write_lab_corpus(root, n, seed=seed)
            marker.write_text(f"{n} archives, seed {seed}\n")
        out.append((n, {"root": str(root)}))
    return out


WORKLOAD = Workload(
    name="zip",
    prepare=_prepare,
    canonical=canonical,
    summarize=summarize,
    warm_input=lambda job: ZipInput(job.paths[:1], job.cfg),
    variants={
        **scheduler_variants(
            anyio_run=_anyio,
            threads=_threads,
            classic=("thread-per-worker", _thread_per_worker),
            sequential=_sequential,
        ),
        "cluster": cluster_variant(inspect_on_local_cluster),
        "zipinfo": Variant(
            "zipinfo",
            _zipinfo,
            "anchor",
            checked=False,
            unavailable=lambda p: missing_tool("zipinfo") or missing_tool("xargs"),
        ),
        "zipfile": Variant("zipfile", _zipfile, "anchor", checked=False, concurrent=False),
    },
)
