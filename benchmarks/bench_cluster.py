#!/usr/bin/env python3
"""Cluster benchmarks (issue 11): the engines on Dask, side by side with one process.

Modes (every ratio measured in one run, contenders alternating round by round, medians and
a bootstrap interval from ``scanner.compare.stats``):

``multinode``  the multi-node lab (``scanner.labs.multinode``): a source tree behind the
               slow-FS lab, 2 ms per call and a per-mount cap on calls in flight, one mount
               per worker ("node", two Dask threads). Labs of 1, 2 and 4 nodes run at once
               (idle ones cost nothing) and walks alternate between them; only the walks
               are timed (labs and clients are up, one walk each before timing). Target:
               2 nodes >= 1.7x one node, 4 nodes >= 3x (the cap, not the CPU, is what a
               node adds). Defaults: 3,000 files, one call in flight per mount. A directory
               is read whole by one node, so the tree's largest directory bounds the
               speed-up of any node count: printed below the table.
``tree``       a warm 1,000,000-file tree (``scanner.labs.tree``) on the local disk, whole
               process, cluster start-up included: ``--cluster local:2`` against the
               single-process engine. Target: >= 1.3x.
``rss``        the client's peak RSS (the workers are other processes) walking trees of
               100k and 1M files on ``local:2``, counting and listing (entries streamed to
               /dev/null): flat, since the client holds the frontier and running totals.
``sweep``      the fake ping with per-node slots (``SCANNER_FAKEPING_SLOTS``): a /22 of
               loopback addresses on labs of 1, 2 and 4 nodes.
``ext``        the whole-process contender: walk a tree (``--cluster SPEC`` or in this
               process), print the extension counts as JSON (``--list``: every entry to
               stdout instead, as ``scanner walk`` does), ``--rss``: the peak RSS to stderr.

Run with the bench lock so that two measurements never overlap::

    flock /tmp/scanner-bench.lock .venv/bin/python benchmarks/bench_cluster.py tree /tmp/t1m
    flock /tmp/scanner-bench.lock .venv/bin/python benchmarks/bench_cluster.py multinode
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO))

from scanner.compare.stats import summarize  # noqa: E402
from scanner.compare.timing import Contender, alternate, ratio_table  # noqa: E402


def table(contenders: Sequence[Contender], baseline: Contender) -> str:
    """The markdown table with the speed-up over ``baseline`` and its interval."""
    return ratio_table(contenders, baseline, interval=True)


# --- ext: the whole-process contender --------------------------------------------------


def ext_main(args: argparse.Namespace) -> int:
    """Walk ``args.root`` and print what ``scanner ext --json`` (or ``walk``) would."""
    import anyio

    from scanner.fs import WalkBatch, WalkConfig, walk

    cfg = WalkConfig(roots=(args.root,), listing=args.list)
    out = sys.stdout

    async def write(batch: WalkBatch) -> None:
        out.write("".join(e.path + "\n" for e in batch.entries))

    on_batch = write if args.list else None
    if args.cluster is None:
        report = anyio.run(walk, cfg, on_batch)
    else:
        from scanner.cluster import ClusterSpec, ShareConfig, walk_on_cluster

        # the cluster is started (and closed) by the walk: this process reads meanwhile
        shares = ShareConfig(share_seconds=args.share_seconds)
        spec = ClusterSpec.parse(args.cluster)
        report = anyio.run(functools.partial(walk_on_cluster, spec, cfg, on_batch, shares=shares))
    if not args.list:
        json.dump({k: list(v) for k, v in sorted(report.extensions.as_dict().items())}, out)
        out.write("\n")
    out.flush()
    if args.rss:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sys.stderr.write(json.dumps({"rss_kib": kib, "files": report.totals.files}) + "\n")
    return 0


def _ext_argv(root: str, cluster: str | None, *extra: str) -> list[str]:
    argv = [sys.executable, str(Path(__file__).resolve()), "ext", root, *extra]
    return argv if cluster is None else [*argv, "--cluster", cluster]


def _run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr[-1500:]}")
    return proc


# --- tree: warm 1M files, whole process --------------------------------------------------


def bench_tree(args: argparse.Namespace) -> None:
    """``local:2`` against one process on a warm tree, whole process."""
    from scanner.labs.tree import TreeSpec, generate_tree

    manifest = generate_tree(args.root, TreeSpec(files=args.files, seed=1))
    root = str(args.root)
    print(f"tree: {root}: {manifest.files:,} files, {manifest.dirs:,} dirs", file=sys.stderr)
    single_argv = _ext_argv(root, None)
    contenders = [Contender("one process (scanner.fs.walk)", lambda: _run(single_argv).stdout)]
    for spec in args.cluster:
        argv = _ext_argv(root, spec, "--share-seconds", str(args.share_seconds))
        contenders.append(Contender(f"--cluster {spec}", functools.partial(_outs, argv)))
    expected = _run(single_argv).stdout  # and the cache is warm
    for c in contenders[1:]:
        assert c.run() == expected, f"{c.name} disagrees with one process"
    alternate(contenders, args.rounds)
    print(f"## warm tree, {manifest.files:,} files, whole process, {args.rounds} rounds\n")
    print(table(contenders, contenders[0]))
    print("\nCommands:")
    print(f"- one process: `{' '.join(single_argv)}`")
    for spec in args.cluster:
        print(f"- --cluster {spec}: `{' '.join(_ext_argv(root, spec))}`")


def _outs(argv: Sequence[str]) -> str:
    return _run(argv).stdout


# --- rss: the client's peak RSS ----------------------------------------------------------


def bench_rss(args: argparse.Namespace) -> None:
    """Peak RSS of the client for trees of two sizes."""
    from scanner.labs.tree import TreeSpec, generate_tree

    rows = []
    for files in args.sizes:
        root = Path(args.base) / f"tree-{files}"
        generate_tree(root, TreeSpec(files=files, seed=1))
        for listing in (False, True):
            extra = ["--rss", *(["--list"] if listing else [])]
            argv = _ext_argv(str(root), args.cluster, *extra)
            peaks: list[float] = []
            for _ in range(args.rounds):
                with open(os.devnull, "w") as null:
                    proc = subprocess.run(
                        argv, stdout=null, stderr=subprocess.PIPE, text=True, check=True
                    )
                peaks.append(json.loads(proc.stderr.strip().splitlines()[-1])["rss_kib"])
            rows.append((files, "listing" if listing else "counting", summarize(peaks).median))
    print(f"## client peak RSS, --cluster {args.cluster} ({args.rounds} runs each, median)\n")
    print("| files | mode | client peak RSS (MiB) |\n|---:|---|---:|")
    for files, mode, kib in rows:
        print(f"| {files:,} | {mode} | {kib / 1024:.1f} |")


# --- multinode: the slow-FS lab, one mount per node ----------------------------------------


def bench_multinode(args: argparse.Namespace) -> None:
    """Walks of one source tree on labs of several node counts, alternating."""
    import contextlib

    import anyio

    from scanner.cluster import ClusterSpec, ShareConfig, open_cluster, walk_on_cluster
    from scanner.fs import WalkConfig, walk
    from scanner.labs.multinode import multinode_lab
    from scanner.labs.tree import TreeSpec, generate_tree

    base = Path(args.base)
    manifest = generate_tree(base / "source", TreeSpec(files=args.files, seed=2))
    mount = base / "mnt"
    expected = anyio.run(walk, WalkConfig(roots=(manifest.root,))).extensions.as_dict()
    cfg = WalkConfig(roots=(str(mount),))
    shares = ShareConfig(share_seconds=args.share_seconds)
    # several thread counts: labs of each, side by side (a name says its threads then)
    named = len(args.threads) > 1
    with contextlib.ExitStack() as stack:
        contenders = []
        for threads in args.threads:
            for nodes in args.nodes:
                lab = stack.enter_context(
                    multinode_lab(
                        nodes,
                        threads_per_node=threads,
                        source=manifest.root,
                        mountpoint=mount,
                        latency_s=args.latency,
                        max_in_flight=args.cap,
                    )
                )
                cluster = stack.enter_context(
                    open_cluster(ClusterSpec.from_file(str(lab.scheduler_file)))
                )

                def one(cluster: Any = cluster) -> dict[str, tuple[int, int]]:
                    run = functools.partial(walk_on_cluster, cluster, cfg, shares=shares)
                    return anyio.run(run).extensions.as_dict()

                name = f"{nodes} node{'s' if nodes > 1 else ''}"
                if named:
                    name += f", {threads} thread{'s' if threads > 1 else ''} each"
                assert one() == expected, f"{name} disagree with the source"  # warm-up
                contenders.append(Contender(name, one))
        alternate(contenders, args.rounds)
    threads_text = "/".join(map(str, args.threads))
    print(
        f"## multi-node lab: {manifest.files:,} files, {args.latency * 1000:g} ms per call, "
        f"{args.cap} calls in flight per mount, {threads_text} Dask thread(s) per node, "
        f"{args.rounds} rounds\n"
    )
    print(table(contenders, contenders[0]))
    print(f"\n{_skew(manifest.root)}")


def _skew(root: str) -> str:
    """How skewed the tree is: the largest directories (the rest of one still being read a
    share's time after its share's end is cut into pieces for other nodes)."""
    sizes = sorted(len(names) + len(dirs) for _, dirs, names in os.walk(root))
    total = sum(sizes)
    top = sizes[-1]
    return (
        f"Tree: {len(sizes):,} directories, {total:,} entries; the largest directory holds "
        f"{top:,} ({top / total:.0%}; the next {', '.join(f'{n:,}' for n in sizes[-3:-1][::-1])}). "
        "Read whole by one node, it would bound any node count's speed-up at about "
        f"{total / top:.1f}x; its rest past a share's time is read by several."
    )


# --- sweep: the fake ping with per-node slots ---------------------------------------------


def bench_sweep(args: argparse.Namespace) -> None:
    """A loopback sweep with the fake ping on labs of several node counts."""
    import contextlib

    import anyio

    from scanner.cluster import ClusterSpec, open_cluster, sweep_on_cluster
    from scanner.labs.fakeping import write_fake_ping
    from scanner.labs.multinode import multinode_lab
    from scanner.net.config import SweepConfig
    from scanner.net.model import HostResult, HostState
    from scanner.net.targets import parse_target_spec

    specs = [parse_target_spec(args.targets)]
    with tempfile.TemporaryDirectory(prefix="scanner-bench-sweep-") as tmp:
        fake = write_fake_ping(tmp, latency_ms=args.latency_ms)
        cfg = SweepConfig(ping=str(fake), timeout=1.0, concurrency=args.jobs)
        with contextlib.ExitStack() as stack:
            contenders = []
            for nodes in args.nodes:
                lab = stack.enter_context(multinode_lab(nodes, ping_slots=args.slots))
                cluster = stack.enter_context(
                    open_cluster(ClusterSpec.from_file(str(lab.scheduler_file)))
                )

                def one(cluster: Any = cluster) -> int:
                    alive = 0

                    async def count(result: HostResult) -> None:
                        nonlocal alive
                        alive += result.state is HostState.ALIVE

                    anyio.run(functools.partial(sweep_on_cluster, cluster, specs, cfg, count))
                    return alive

                warm = one()
                contenders.append(Contender(f"{nodes} node{'s' if nodes > 1 else ''}", one))
                print(f"{nodes} nodes: {warm} hosts alive", file=sys.stderr)
            alternate(contenders, args.rounds)
    print(
        f"## multi-node sweep lab: {args.targets}, fake ping {args.latency_ms:g} ms, "
        f"{args.slots} probes at once per node, -j {args.jobs}, {args.rounds} rounds\n"
    )
    print(table(contenders, contenders[0]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("ext")
    p.add_argument("root")
    p.add_argument("--cluster")
    p.add_argument("--share-seconds", type=float, default=0.25)
    p.add_argument("--list", action="store_true")
    p.add_argument("--rss", action="store_true")
    p = sub.add_parser("tree")
    p.add_argument("root", type=Path)
    p.add_argument("--files", type=int, default=1_000_000)
    p.add_argument("--cluster", nargs="+", default=["local:2"])
    p.add_argument("--share-seconds", type=float, default=0.25)
    p.add_argument("--rounds", type=int, default=5)
    p = sub.add_parser("rss")
    p.add_argument("base")
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    p.add_argument("--cluster", default="local:2")
    p.add_argument("--rounds", type=int, default=3)
    p = sub.add_parser("multinode")
    p.add_argument("--base", default="/tmp/scanner-bench-multinode")
    # the target's configuration (RESULTS.md): 3,000 files, one call in flight per mount
    # (with 4 the FUSE servers, not the mounts, bound it on 2 cores); a larger tree of this
    # generator is no fairer: at 10,000 files its largest directory holds 29% of the entries
    p.add_argument("--files", type=int, default=3_000)
    p.add_argument("--nodes", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--latency", type=float, default=0.002)
    p.add_argument("--cap", type=int, default=1)
    # Dask threads per node; several: labs of each, side by side. Two by default (what a
    # node would run); since a huge directory's rest is shared between nodes, one and two
    # threads per node both give 3.5x at 4 nodes on a quiet machine (RESULTS.md)
    p.add_argument(
        "--threads", type=int, nargs="+", default=[2], help="dask threads per node (labs of each)"
    )
    p.add_argument("--share-seconds", type=float, default=0.5)
    p.add_argument("--rounds", type=int, default=3)
    p = sub.add_parser("sweep")
    p.add_argument("--targets", default="127.0.0.0/22")
    p.add_argument("--nodes", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--latency-ms", type=float, default=20.0)
    p.add_argument("--slots", type=int, default=16)
    p.add_argument("--jobs", type=int, default=64)
    p.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if args.mode == "ext":
        return ext_main(args)
    # every figure is quoted with the machine's load (other sessions share the 2 cores)
    before = _load()
    {"tree": bench_tree, "rss": bench_rss, "multinode": bench_multinode, "sweep": bench_sweep}[
        args.mode
    ](args)
    print(f"\nLoad average (1, 5, 15 min): {before} at the start, {_load()} at the end.")
    return 0


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
