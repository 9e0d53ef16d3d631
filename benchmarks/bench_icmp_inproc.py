"""A sweep's per-host cost without the start-up: ``scanner ping ARGS`` run again and again
inside one process, this checkout against another version's package, alternating.

A whole process of ``scanner ping -m icmp 127.0.0.0/20`` is ~0.16 s of start-up and ~0.1 s of
hosts, and its run-to-run spread on a shared machine is larger than a per-host change; here
each version runs in a child of its own that imports scanner once, runs the sweep ``--runs``
times after one warm-up run (stdout to a scratch file), and prints the median and minimum of
wall and CPU time (``time.process_time``: the kernel's work inside ``sendto`` included).

Run (serialised with the other benchmarks of the machine)::

    mkdir -p /tmp/base && git archive REV scanner | tar -x -C /tmp/base
    flock /tmp/scanner-bench.lock .venv/bin/python -m benchmarks.bench_icmp_inproc \\
        --base /tmp/base -- -m icmp --rate 100000 127.0.0.0/20

Only 127.0.0.0/8 and ::1 are ever pinged (the arguments are the user's: keep them so).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: The child: import scanner from the first sys.path entry, run the sweep, report times.
_CHILD = """
import json, sys, time
from scanner.cli.fast import fast_command
args, runs, out = json.loads(sys.argv[1])
real = sys.stdout
walls, cpus = [], []
with open(out, "w") as sink:
    for i in range(runs + 1):
        sink.seek(0)
        sink.truncate()
        sys.stdout = sink
        wall, cpu = time.perf_counter(), time.process_time()
        code = fast_command(["ping", "-q", "--yes", *args])
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        sys.stdout = real
        if code != 0:
            raise SystemExit(f"exit {code}")
print(json.dumps({"wall": walls[1:], "cpu": cpus[1:]}))
"""


def measure(package_dir: Path, args: Sequence[str], runs: int) -> dict[str, list[float]]:
    """``runs`` timed sweeps (after one warm-up) with the scanner package in ``package_dir``."""
    with tempfile.TemporaryDirectory(prefix="bench-icmp-inproc-") as scratch:
        spec = json.dumps([list(args), runs, str(Path(scratch) / "out")])
        env = {**os.environ, "PYTHONPATH": str(package_dir)}
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, spec],
            env=env,
            cwd=scratch,  # no scanner/ here: PYTHONPATH decides which one is imported
            capture_output=True,
            text=True,
            check=True,
        )
    got: dict[str, list[float]] = json.loads(done.stdout)
    return got


def main(argv: Sequence[str] | None = None) -> int:
    """Alternate the versions ``--rounds`` times; print a Markdown table of medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="another version's package dir")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--runs", type=int, default=9, help="timed sweeps per child")
    parser.add_argument("args", nargs="+", help="scanner ping arguments (after --)")
    opts = parser.parse_args(argv)
    versions = {"this checkout": REPO, f"base ({opts.base})": opts.base}
    times: dict[str, dict[str, list[float]]] = {v: {"wall": [], "cpu": []} for v in versions}
    load = os.getloadavg()[0]
    for _ in range(opts.rounds):
        for name, where in versions.items():
            got = measure(where, opts.args, opts.runs)
            for key in ("wall", "cpu"):
                times[name][key] += got[key]
    print(f"`scanner ping -q --yes {' '.join(opts.args)}` in-process, {opts.rounds} rounds x "
          f"{opts.runs} runs, load {load:.2f} -> {os.getloadavg()[0]:.2f}\n")  # fmt: skip
    print("| version | wall median ms | wall min | CPU median ms | CPU min | CPU vs base |")
    print("|---|---:|---:|---:|---:|---:|")
    base_cpu = statistics.median(times[f"base ({opts.base})"]["cpu"])
    for name, got in times.items():
        wall, cpu = got["wall"], got["cpu"]
        print(f"| {name} | {statistics.median(wall) * 1e3:.1f} | {min(wall) * 1e3:.1f} | "
              f"{statistics.median(cpu) * 1e3:.1f} | {min(cpu) * 1e3:.1f} | "
              f"{statistics.median(cpu) / base_cpu:.2f}x |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
