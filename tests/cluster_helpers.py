"""What the cluster tests compare, and the Dask processes they start.

``digest`` reduces a walk to everything a user sees — totals, extension table, largest
files, sorted errors, sorted entries — so that two engines are compared on all of it at once.
``python -m tests.cluster_helpers ROOT...`` prints the digests of the single-process engine
and of ``--cluster local:2`` as JSON: the unreadable-directory tests run it without the
capabilities that let root read everything.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from scanner.cluster import Cluster, ClusterSpec, ShareConfig, open_cluster, walk_on_cluster
from scanner.fs import Entry, WalkBatch, WalkConfig, walk
from scanner.fs.model import WalkReport
from scanner.fs.size_filter import SizeFilter

REPO = Path(__file__).resolve().parent.parent
#: Root without the capabilities that let it read any directory (chmod 000 then denies).
NO_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def digest(report: WalkReport, entries: list[Entry]) -> dict[str, Any]:
    """Everything a walk reports, in a form that compares and prints as JSON."""
    t = report.totals
    dirs = report.dirs
    return {
        "totals": [
            t.files,
            t.dirs,
            t.symlinks,
            t.other,
            t.bytes,
            t.errors,
            t.ignored,
            t.disk_bytes,
        ],
        "notes": [
            report.reached_twice,
            sorted([m.path, m.fstype] for m in report.skipped_mounts),
            sorted([m.root, m.into] for m in report.merged_roots),
        ],
        "dirs": None
        if dirs is None
        else sorted(
            [
                r.path,
                r.depth,
                r.parent,
                r.files,
                r.dirs,
                r.symlinks,
                r.other,
                r.bytes,
                r.disk_bytes,
                r.errors,
            ]
            for r in dirs.records.values()
        ),
        "extensions": {k: list(v) for k, v in sorted(report.extensions.as_dict().items())},
        # a file with several names is listed under whichever name was counted first
        # (walk order, in one process too): compared by size and inode
        "largest": [[f.size, file_id(f.path)] for f in report.largest],
        "errors": sorted([e.subject, e.phase, e.errno or 0, e.message] for e in report.errors),
        "entries": sorted(
            [e.path, e.name, e.type, e.depth, e.size or 0, e.mtime or 0.0] for e in entries
        ),
    }


def file_id(path: str) -> str:
    """``path``, or for a file with several names (hard links) its inode: which of the names
    a walk counts first is walk order, in one process too."""
    try:
        st = os.lstat(path)
    except OSError:
        return path
    return path if st.st_nlink < 2 else f"inode {st.st_dev}:{st.st_ino}"


def make_huge_dir(path: Path, files: int) -> None:
    """A directory of ``files`` empty-but-sized files (f0.dat, f1.txt, f2.bin, ...): more
    entries than one cluster share holds."""
    path.mkdir()
    for i in range(files):
        with open(path / f"f{i}.{('dat', 'txt', 'bin')[i % 3]}", "wb") as fh:
            fh.truncate(i)


async def walk_digest(
    cfg: WalkConfig,
    cluster: Cluster | ClusterSpec | None = None,
    shares: ShareConfig | None = None,
) -> dict[str, Any]:
    """The digest of one walk, in this process or on ``cluster``."""
    entries: list[Entry] = []

    async def keep(batch: WalkBatch) -> None:
        entries.extend(batch.entries)

    if cluster is None:
        report = await walk(cfg, keep)
    else:
        report = await walk_on_cluster(cluster, cfg, keep, shares=shares)
    return digest(report, entries)


#: A mount table naming this directory (relative to the first root) a pseudo file system.
PSEUDO_DIR = "lab/proc"
MOUNTINFO = "mountinfo.txt"

CONFIGS: dict[str, dict[str, Any]] = {
    "count": {},
    "list": {"listing": True, "stat_listed": True},
    "follow": {"follow": True, "listing": True, "dir_totals": 1, "disk_usage": True},
    "one-fs": {"one_file_system": True},
    "visible": {"hidden": False, "excludes": ("*.log",), "listing": True},
    "du": {"dir_totals": 2, "disk_usage": True},
    "filters": {
        "include_extensions": frozenset({"txt", "bin"}),
        "sizes": (SizeFilter.parse("+1k"),),
        "listing": True,
        "gitignore": True,
    },
    # the mount table (MOUNTINFO in the first root) makes PSEUDO_DIR a "proc" mount
    "pseudo": {"listing": True},
}


def config(name: str, roots: tuple[str, ...]) -> WalkConfig:
    """One of the walk configurations the tests compare."""
    extra: dict[str, Any] = {}
    if name == "pseudo":
        extra["mountinfo"] = os.path.join(roots[0], MOUNTINFO)
    return WalkConfig(roots=roots, **CONFIGS[name], **extra)


def write_mountinfo(top: Path) -> None:
    """The mount table of the "pseudo" config: PSEUDO_DIR below ``top`` is a proc mount
    (the directory is created, with a file in it that the walk must not count)."""
    proc = top / PSEUDO_DIR
    proc.mkdir(parents=True, exist_ok=True)
    (proc / "kcore").write_bytes(b"x" * 100)
    line = f"36 35 0:5 / {proc} rw,nosuid - proc proc rw\n"
    (top / MOUNTINFO).write_text(line)


@dataclass
class DaskProcesses:
    """A scheduler and workers started with the ``dask`` commands, on 127.0.0.1."""

    scheduler_file: Path
    address: str
    processes: list[subprocess.Popen[bytes]]

    def kill_scheduler(self) -> None:
        """Kill the scheduler (the first process) at once."""
        self.processes[0].kill()
        self.processes[0].wait()


def dask_command() -> str:
    """The ``dask`` command of this interpreter's environment."""
    found = Path(sys.executable).with_name("dask")
    return str(found) if found.exists() else (shutil.which("dask") or "dask")


@contextmanager
def dask_processes(
    tmp: Path, workers: int = 2, *, prefix: list[str] | None = None, nthreads: int = 1
) -> Iterator[DaskProcesses]:
    """``dask scheduler`` and ``workers`` × ``dask worker`` on 127.0.0.1 (``prefix`` runs the
    workers under another command, e.g. :data:`NO_DAC`); all killed on exit."""
    dask = dask_command()
    sched_file = tmp / "scheduler.json"
    log = tmp / "dask.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs: list[subprocess.Popen[bytes]] = []
    with open(log, "ab") as out:
        try:
            procs.append(
                subprocess.Popen(
                    [dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                     "--no-dashboard", "--scheduler-file", str(sched_file),
                     "--idle-timeout", "120"],
                    stdout=out, stderr=out, env=env, start_new_session=True,
                )
            )  # fmt: skip
            deadline = time.monotonic() + 60
            while not sched_file.exists():
                if procs[0].poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"dask scheduler did not start: {log.read_text()[-2000:]}")
                time.sleep(0.05)
            time.sleep(0.1)  # the file is written in one go, but be sure it is complete
            address = json.loads(sched_file.read_text())["address"]
            assert address.startswith("tcp://127.0.0.1:"), address
            for _ in range(workers):
                procs.append(
                    subprocess.Popen(
                        [*(prefix or []), dask, "worker", address, "--nthreads", str(nthreads),
                         "--host", "127.0.0.1", "--no-dashboard", "--death-timeout", "20"],
                        stdout=out, stderr=out, env=env, start_new_session=True,
                    )
                )  # fmt: skip
            yield DaskProcesses(sched_file, address, procs)
        finally:
            for proc in reversed(procs):
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def wait_for_workers(cluster: Cluster, n: int, timeout: float = 60.0) -> None:
    """Block until ``n`` workers have joined."""
    cluster.client.wait_for_workers(n, timeout=timeout)


def _main(argv: list[str]) -> int:
    single_only = argv[:1] == ["--single"]
    roots = tuple(argv[1:] if single_only else argv)
    out: dict[str, Any] = {}

    async def both(cluster: Cluster | None) -> None:
        for name in CONFIGS:
            cfg = config(name, roots)
            out[name] = {"single": await walk_digest(cfg)}
            if cluster is not None:
                shares = ShareConfig(share_seconds=0.01)
                out[name]["cluster"] = await walk_digest(cfg, cluster, shares)

    if single_only:
        anyio.run(both, None)
    else:
        with open_cluster(ClusterSpec.parse("local:2")) as cluster:
            anyio.run(both, cluster)
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
