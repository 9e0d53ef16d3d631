#!/usr/bin/env python3
"""The tree walk of two checkouts side by side: in-process times and whole-process peak RSS.

For a change to the engine, with the old code in a worktree::

    git worktree add --detach /tmp/before HEAD      # before the change
    git worktree add --detach /tmp/after HEAD       # after it is committed
    flock /tmp/scanner-bench.lock .venv/bin/python benchmarks/walk_ab.py time /tmp/before /tmp/after
    flock /tmp/scanner-bench.lock .venv/bin/python benchmarks/walk_ab.py rss /tmp/before /tmp/after

``time``: each round starts one process per checkout (order alternating) that imports that
checkout's ``scanner`` and times ``walk`` in-process, counting and listing, on the warm
200k-file tree of ``bench_walk.py warm`` (3 runs a round) and on one directory of 1,000,000
empty files (``soak.py``'s, 1 run a round), after one untimed warm-up run of each.
``rss``: ``python -m scanner walk|scan --json|ext --json DIR`` of each checkout on the
one-directory case, peak RSS from ``wait4`` (``soak.measure``), alternating.
Prints Markdown tables of medians (min in brackets) and the after/before ratios.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(REPO))

from benchmarks.soak import flat_directory, measure  # noqa: E402
from scanner.compare.timing import before_after_row  # noqa: E402

TREE = "/tmp/scanner-bench/tree-200k"
FLAT = "/tmp/scanner-soak/flat-1000000"

# run in a child with the checkout first on sys.path, so that its scanner is the one timed
_CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import anyio
import scanner
from scanner.fs import WalkConfig, walk
assert scanner.__file__.startswith(sys.argv[1]), scanner.__file__
async def drop(batch): pass
def run(root, listing):
    cfg = WalkConfig(roots=(root,), largest=0, listing=listing)
    t = time.perf_counter()
    report = anyio.run(walk, cfg, drop if listing else None)
    return time.perf_counter() - t, report.totals.files
out = {}
for name, root, n in json.loads(sys.argv[2]):
    for listing in (False, True):
        run(root, listing)
        out[name + (" list" if listing else " count")] = [run(root, listing) for _ in range(n)]
print(json.dumps(out))
"""


def bench_time(before: str, after: str, rounds: int) -> None:
    """In-process walk times of both checkouts, alternating processes."""
    work = json.dumps([["tree 200k", TREE, 3], ["one dir 1M", FLAT, 1]])
    sides = {"before": before, "after": after}
    times: dict[str, dict[str, list[float]]] = {side: {} for side in sides}
    files: dict[str, set[int]] = {}
    for r in range(rounds):
        for side in list(sides)[:: 1 if r % 2 == 0 else -1]:
            argv = [sys.executable, "-c", _CHILD, sides[side], work]
            done = subprocess.run(argv, check=True, capture_output=True, text=True, cwd="/")
            for key, runs in json.loads(done.stdout).items():
                times[side].setdefault(key, []).extend(t for t, _ in runs)
                files.setdefault(key, set()).update(n for _, n in runs)
    print(f"In-process `walk`, {rounds} alternating rounds; seconds, median (min):\n")
    print("| workload | before | after | after/before |\n|---|---:|---:|---:|")
    for key in times["before"]:
        assert len(files[key]) == 1, files[key]  # both found the same files every time
        label = f"{key} ({next(iter(files[key])):,} files)"
        print(before_after_row([label], times["before"][key], times["after"][key], ".3f"))


def bench_rss(before: str, after: str, rounds: int) -> None:
    """Whole-process peak RSS and wall time on one directory of 1,000,000 entries."""
    flat_directory(Path(FLAT), 1_000_000)
    sides = {"before": before, "after": after}
    print(f"`python -m scanner CMD {FLAT}`, {rounds} alternating runs; median (min):\n")
    print("| command | measure | before | after | after/before |\n|---|---|---:|---:|---:|")
    for command in (["walk"], ["scan", "--json"], ["ext", "--json"]):
        runs: dict[str, list[tuple[float, float]]] = {side: [] for side in sides}
        measure("warm-up", "", [*command, FLAT], cwd=after)
        for r in range(rounds):
            for side in list(sides)[:: 1 if r % 2 == 0 else -1]:
                soak = measure(command[0], "", [*command, FLAT], cwd=sides[side])
                assert soak.code == 0, soak
                runs[side].append((soak.peak_rss_mib, soak.wall_s))
        for i, label in enumerate(("peak RSS (MiB)", "wall (s)")):
            b = [x[i] for x in runs["before"]]
            a = [x[i] for x in runs["after"]]
            print(before_after_row([command[0], label], b, a, ".0f" if i == 0 else ".2f"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one comparison and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("time", "rss"))
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    before, after = (str(Path(p).resolve()) for p in (args.before, args.after))
    if args.mode == "time":
        bench_time(before, after, args.rounds)
    else:
        bench_rss(before, after, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
