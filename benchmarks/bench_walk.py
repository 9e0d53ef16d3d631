#!/usr/bin/env python3
"""Tree-walk benchmarks: the anyio engine against plain ``os.walk``, ``find`` and ``fd``.

Modes (all figures come from runs in one process, alternating, so that every ratio is
measured side by side on the same tree and the same cache state):

``warm``    a deterministic 200k-file tree (``scanner.labs.tree``, seed 1) on the local disk,
            cache warm. In-process: the engine's extension count vs ``os.walk`` + ``lstat`` +
            ``Counter`` computing the same result (asserted equal). Whole process:
            ``scanner ext`` vs this file's ``oswalk`` mode (same result, asserted), and
            ``find -printf`` / ``fdfind`` for reference.
``slowfs``  a 20k-file tree behind the FUSE lab (``scanner.labs.slowfs``: read-only, 2 ms
            per getattr/readdir): engine vs ``os.walk`` vs ``fdfind``.
``oswalk``  the baseline as a script: print ``{ext: [files, bytes]}`` for a tree as JSON.
``features`` the cost of issue 12's options on the warm tree, in-process, alternating: the
            extension count plain and with ``-e``, a glob, ``--size``, ``--changed-within``,
            ``--gitignore`` (a tree without ignore files: the cost of looking for them) and
            per-directory totals (``du``) with and without disk usage.
``cli``     the CLI's filters and ``scanner du`` next to fd, find and du, whole process, on
            a real tree (default /usr, warm), each group alternating; every contender's
            output line count is printed (the counts differ only where the tools' rules do,
            e.g. find's ``-size +Nc`` is strictly greater).

Run with ``flock /tmp/scanner-bench.lock`` so that timing runs never overlap::

    flock /tmp/scanner-bench.lock .venv/bin/python benchmarks/bench_walk.py warm
    flock /tmp/scanner-bench.lock .venv/bin/python benchmarks/bench_walk.py slowfs
    flock /tmp/scanner-bench.lock .venv/bin/python benchmarks/bench_walk.py features
    flock /tmp/scanner-bench.lock .venv/bin/python benchmarks/bench_walk.py cli --root /usr
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO))

from scanner.compare.timing import Contender, alternate, command, ratio_table  # noqa: E402

ExtCounts = dict[str, tuple[int, int]]


def oswalk_count(root: str) -> ExtCounts:
    """The baseline: plain ``os.walk`` + ``lstat`` + ``Counter``, the same rules as the
    engine (regular files; extension after the last dot, lower-cased, "" for none; a
    hard-linked inode's bytes counted once)."""
    files: Counter[str] = Counter()
    nbytes: Counter[str] = Counter()
    seen: set[tuple[int, int]] = set()
    for top, _dirs, names in os.walk(root):
        for name in names:
            st = os.lstat(os.path.join(top, name))
            if not stat.S_ISREG(st.st_mode):
                continue
            ext = os.path.splitext(name)[1][1:].lower()
            files[ext] += 1
            size = st.st_size
            if st.st_nlink > 1:
                key = (st.st_dev, st.st_ino)
                if key in seen:
                    size = 0
                seen.add(key)
            nbytes[ext] += size
    return {ext: (files[ext], nbytes[ext]) for ext in files}


def engine_count(root: str, workers: int | None = None) -> ExtCounts:
    """The engine's extension count (``scanner ext`` without the CLI)."""
    import anyio

    from scanner.fs import WalkConfig, walk

    report = anyio.run(walk, WalkConfig(roots=(root,), largest=0, workers=workers))
    return report.extensions.as_dict()


def _run(argv: Sequence[str]) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {proc.stderr[-500:]}")
    return proc.stdout


def _ext_json_counts(text: str) -> ExtCounts:
    doc = json.loads(text)
    rows = doc["extensions"]
    return {r["ext"]: (r["files"], r["bytes"]) for r in rows}


def _tools(root: str) -> list[Contender]:
    """find and fd doing the same I/O (a stat per file) and fd doing a names-only listing."""
    out = [
        command("find -printf (stat per file)", ["find", root, "-type", "f", "-printf", "%s %f\\n"])
    ]
    fd = shutil.which("fdfind") or shutil.which("fd")
    if fd is not None:
        # --size forces a stat per file, the I/O of an extension count
        out.append(
            command(
                "fd --size (stat per file)", [fd, "-u", "-t", "f", "--size", "-100000g", ".", root]
            )
        )
        out.append(command("fd (names only, d_type)", [fd, "-u", ".", root]))
    return out


def bench_warm(args: argparse.Namespace) -> None:
    """The warm local-disk benchmark."""
    from scanner.labs.tree import TreeSpec, generate_tree

    manifest = generate_tree(args.root, TreeSpec(files=args.files, seed=1))
    root = str(args.root)
    print(f"tree: {root}: {manifest.files:,} files, {manifest.dirs:,} dirs", file=sys.stderr)

    expected = oswalk_count(root)  # also warms the cache
    assert engine_count(root) == expected, "engine and os.walk disagree"

    engine = Contender("engine in-process (scanner.fs.walk)", lambda: engine_count(root),
                       "anyio.run(walk, WalkConfig(...))")  # fmt: skip
    oswalk = Contender("os.walk + lstat + Counter in-process", lambda: oswalk_count(root),
                       "oswalk_count(root)")  # fmt: skip
    alternate([engine, oswalk], args.rounds)

    py = sys.executable
    ext_argv = [py, "-m", "scanner", "ext", "--json", "-q", root]
    script_argv = [py, str(Path(__file__).resolve()), "oswalk", root]
    got_ext = _ext_json_counts(_run(ext_argv))
    got_script = {k: (v[0], v[1]) for k, v in json.loads(_run(script_argv)).items()}
    assert got_ext == expected == got_script, "whole-process results disagree"
    ext_proc = command("`scanner ext` whole process", ext_argv)
    script_proc = command("os.walk script whole process", script_argv)
    tools = _tools(root)
    alternate([ext_proc, script_proc, *tools], args.rounds)

    print(f"## warm tree, {manifest.files:,} files, {args.rounds} alternating rounds\n")
    print("In-process:\n")
    print(ratio_table([engine, oswalk], oswalk, commands=True))
    print("\nWhole process:\n")
    print(ratio_table([ext_proc, script_proc, *tools], script_proc, commands=True))
    print(
        f"\nengine / os.walk (in-process): {engine.median / oswalk.median:.2f}x"
        f"   scanner ext / os.walk script (whole process): "
        f"{ext_proc.median / script_proc.median:.2f}x"
    )


def bench_features(args: argparse.Namespace) -> None:
    """What each filter and the per-directory totals cost on the warm tree."""
    import anyio

    from scanner.fs import SizeFilter, WalkConfig, walk
    from scanner.labs.tree import TreeSpec, generate_tree

    manifest = generate_tree(args.root, TreeSpec(files=args.files, seed=1))
    root = str(args.root)
    base = WalkConfig(roots=(root,), largest=0)
    variants: dict[str, WalkConfig] = {
        "plain (scanner ext)": base,
        "-e py": replace(base, include_extensions=frozenset({"py"})),
        "glob '*.py'": replace(base, pattern="*.py"),
        "--size +1M": replace(base, sizes=(SizeFilter.parse("+1M"),)),
        "--changed-within 1d": replace(base, newer_than=time.time() - 86400),
        "--gitignore (no ignore files)": replace(base, gitignore=True),
        "du --depth 2": replace(base, dir_totals=2),
        "du --depth 2 --disk-usage": replace(base, dir_totals=2, disk_usage=True),
    }
    for cfg in variants.values():
        anyio.run(walk, cfg)  # warm-up, and every variant runs once before timing
    rows = [
        Contender(name, functools.partial(anyio.run, walk, cfg), repr(cfg))
        for name, cfg in variants.items()
    ]
    alternate(rows, args.rounds)
    print(f"## issue 12 options, warm tree of {manifest.files:,} files, {args.rounds} rounds\n")
    print(ratio_table(rows, rows[0]))


def _cli_groups(root: str) -> dict[str, list[tuple[str, list[str]]]]:
    """(name, argv) per contender, by what they compute; the scanner of this interpreter's
    environment, fd only when installed."""
    scanner = [sys.executable, "-m", "scanner"]
    fd = shutil.which("fdfind") or shutil.which("fd")
    groups: dict[str, list[tuple[str, list[str]]]] = {
        "no filter": [("scanner walk", [*scanner, "walk", root, "-q"]),
                      ("scanner ext", [*scanner, "ext", root, "-q"]),
                      ("find", ["find", root])],
        "extension h": [("scanner walk -e h", [*scanner, "walk", root, "-e", "h", "-q"]),
                        ("find -iname '*.h'", ["find", root, "-iname", "*.h"])],
        "size +100k": [("scanner walk -S +100k", [*scanner, "walk", root, "-S", "+100k", "-q"]),
                       ("find -type f -size +99999c",
                        ["find", root, "-type", "f", "-size", "+99999c"])],
        "changed within 30d": [
            ("scanner walk --changed-within 30d",
             [*scanner, "walk", root, "--changed-within", "30d", "-q"]),
            ("find -newermt '30 days ago'", ["find", root, "-newermt", "30 days ago"])],
        "du, depth 1": [("scanner du", [*scanner, "du", root, "-q"]),
                        ("du -d 1 -b", ["du", "-d", "1", "-b", root])],
        "du, depth 1, allocated": [
            ("scanner du --disk-usage", [*scanner, "du", root, "--disk-usage", "-q"]),
            ("du -d 1 -B1", ["du", "-d", "1", "-B1", root])],
    }  # fmt: skip
    if fd is not None:
        groups["no filter"].append(("fd -u", [fd, "-u", ".", root]))
        groups["extension h"].append(("fd -u -e h", [fd, "-u", "-e", "h", ".", root]))
        groups["size +100k"].append(
            ("fd -u -t f -S +100k", [fd, "-u", "-t", "f", "-S", "+100k", ".", root])
        )
        groups["changed within 30d"].append(
            ("fd -u --changed-within 30d", [fd, "-u", "--changed-within", "30d", ".", root])
        )
    return groups


def bench_cli(args: argparse.Namespace) -> None:
    """The CLI's filters and du against fd, find and du (whole process, alternating; stdout
    a pipe read to the end, as in ``| wc -l``)."""
    root = str(args.root)
    for name, argvs in _cli_groups(root).items():
        # a warm-up run of each, and what it found
        lines = {label: _run(argv).count("\n") for label, argv in argvs}
        rows = [command(label, argv, pipe=True) for label, argv in argvs]
        alternate(rows, args.rounds)
        print(f"## {name}: {root}, {args.rounds} alternating rounds\n")
        print(ratio_table(rows, rows[0], cpu=True))
        print("\nLines printed: " + ", ".join(f"{k} {v:,}" for k, v in lines.items()) + "\n")


def bench_slowfs(args: argparse.Namespace) -> None:
    """The slow-file-system benchmark on the FUSE lab."""
    from scanner.labs.slowfs import mount_slowfs
    from scanner.labs.tree import TreeSpec, generate_tree

    manifest = generate_tree(args.root, TreeSpec(files=args.files, seed=2))
    mnt = Path(str(args.root) + "-mnt")
    with mount_slowfs(args.root, mnt, latency_s=args.latency) as lab:
        root = str(lab.mountpoint)
        print(
            f"tree: {args.root} ({manifest.files:,} files, {manifest.dirs:,} dirs) behind "
            f"slowfs at {root}, {args.latency * 1000:.1f} ms per metadata call",
            file=sys.stderr,
        )
        expected: list[ExtCounts] = []
        engine = Contender("engine (adaptive)", lambda: expected.append(engine_count(root)),
                           "anyio.run(walk, WalkConfig(roots=(mnt,)))")  # fmt: skip
        oswalk = Contender("os.walk + lstat + Counter", lambda: expected.append(oswalk_count(root)),
                           "oswalk_count(mnt)", max_runs=args.slow_runs)  # fmt: skip
        contenders = [engine, oswalk]
        fd = shutil.which("fdfind") or shutil.which("fd")
        if fd is not None:
            fd_argv = [fd, "-u", "-t", "f", "--size", "-100000g", ".", root]
            fd64_argv = [fd, "-u", "-j", "64", "-t", "f", "--size", "-100000g", ".", root]
            contenders.append(
                command("fd --size (default threads)", fd_argv, max_runs=args.slow_runs)
            )
            contenders.append(command("fd --size -j 64", fd64_argv))
        alternate(contenders, args.rounds)
        assert all(e == expected[0] for e in expected), "engine and os.walk disagree"
    print(f"## slowfs, {manifest.files:,} files, {args.latency * 1000:.1f} ms per call\n")
    print(ratio_table(contenders, oswalk, commands=True))
    for t in contenders[2:]:
        print(f"\nengine vs {t.name}: {t.median / engine.median:.1f}x faster")
    print(f"engine vs os.walk: {oswalk.median / engine.median:.1f}x faster")
    if lab.stats:
        print(f"\nserver counters (all runs): {json.dumps(lab.stats)}")


def main(argv: list[str] | None = None) -> int:
    """Parse the mode and run it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="mode", required=True)

    def tree_mode(name: str, help_: str, files: int, rounds: int) -> argparse.ArgumentParser:
        """A mode on a generated tree: where it lives, its size and the timed rounds."""
        mode = sub.add_parser(name, help=help_)
        tree = f"/tmp/scanner-bench/tree-{files // 1000}k"
        mode.add_argument("--root", type=Path, default=Path(tree))
        mode.add_argument("--files", type=int, default=files)
        mode.add_argument("--rounds", type=int, default=rounds)
        return mode

    tree_mode("warm", "warm local tree (default 200k files)", 200_000, 7)
    slow = tree_mode("slowfs", "FUSE lab with a fixed latency (default 20k files)", 20_000, 3)
    slow.add_argument("--latency", type=float, default=0.002)
    slow.add_argument(
        "--slow-runs", type=int, default=1, help="runs of os.walk and default fd (minutes each)"
    )
    tree_mode("features", "cost of filters and du totals (warm tree)", 200_000, 5)
    cli = sub.add_parser("cli", help="the CLI's filters and du vs fd, find, du (real tree)")
    cli.add_argument("--root", type=Path, default=Path("/usr"))
    cli.add_argument("--rounds", type=int, default=5)
    base = sub.add_parser("oswalk", help="the baseline as a script (prints JSON)")
    base.add_argument("root")
    args = parser.parse_args(argv)
    if args.mode == "oswalk":
        json.dump(oswalk_count(args.root), sys.stdout)
        return 0
    modes = {"warm": bench_warm, "slowfs": bench_slowfs, "features": bench_features,
             "cli": bench_cli}  # fmt: skip
    modes[args.mode](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
