"""Two installs of scanner side by side on the main workloads (issue 10: the figures after a
refactor must be within noise of before).

Run (serialised with the other benchmarks of the machine)::

    flock /tmp/scanner-bench.lock .venv/bin/python benchmarks/bench_ab.py \
        before=/tmp/before-10/.venv/bin/scanner after=/tmp/plain-bench/bin/scanner

Workloads, each a whole process with stdout a pipe read to the end: ``walk`` and ``ext`` on
a generated tree (``scanner.labs.tree``, seed 1) and on ``/usr``; ``zip --list`` and the
default audit on a 100,000-member archive (``scanner.labs.archives``); ``ping -q
127.0.0.1-50`` with the system ping. Every install (the first is the baseline; more than
two may be given) runs every workload once per round in a seeded shuffled order, after one
warm-up round. The table gives medians (and minima) of wall time and each install's ratio
to the first with a bootstrap 95% interval: "within noise" when the interval contains 1.
Median CPU (user + system, from ``wait4``) is shown beside it, the steadier figure on a
loaded machine. Only 127.0.0.0/8 is ever pinged.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(REPO))

from scanner.compare.stats import speedup  # noqa: E402
from scanner.compare.timing import Contender, alternate, command, labelled  # noqa: E402

#: Children write and use bytecode caches, as an installed tool does.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def inputs(workdir: Path, files: int) -> dict[str, str]:
    """The generated tree and archive (made once, reused)."""
    from scanner.labs.archives import many_members_zip
    from scanner.labs.tree import TreeSpec, generate_tree

    tree = workdir / f"tree-{files}"
    generate_tree(tree, TreeSpec(files=files, seed=1))
    archive = workdir / "members100k.zip"
    if not archive.exists():
        archive.write_bytes(many_members_zip(100_000))
    return {"tree": str(tree), "archive": str(archive)}


def workloads(paths: dict[str, str], usr: str) -> dict[str, list[str]]:
    """Name -> the scanner arguments."""
    return {
        f"walk tree ({Path(paths['tree']).name})": ["walk", "-q", paths["tree"]],
        f"ext tree ({Path(paths['tree']).name})": ["ext", "-q", paths["tree"]],
        f"walk {usr}": ["walk", "-q", usr],
        f"ext {usr}": ["ext", "-q", usr],
        "zip --list members100k.zip": ["zip", "-q", "--list", paths["archive"]],
        "zip members100k.zip (audit)": ["zip", "-q", paths["archive"]],
        "ping -q 127.0.0.1-50": ["ping", "-q", "127.0.0.1-50"],
    }


def row(name: str, base: Contender, other: Contender) -> str:
    """One Markdown row: wall median (min), the ratio to the baseline with its interval,
    CPU medians."""
    label = other.name.split(":")[0]
    if other is base:
        ratio = "1 (baseline)"
    else:
        up = speedup(other.times, base.times, resamples=2000)  # median(other) / median(base)
        noise = "within noise" if not up.significant else ("slower" if up.ratio > 1 else "faster")
        ratio = f"{up.ratio:.2f} [{up.low:.2f}-{up.high:.2f}] {noise}"
    cpu = statistics.median(other.cpu_s)
    cells = [
        name,
        label,
        f"{other.median:.3f} ({min(other.times):.3f})",
        ratio,
        f"{cpu:.3f}",
        f"{cpu / statistics.median(base.cpu_s):.2f}",
        ",".join(str(c) for c in sorted(other.codes)),
    ]
    return "| " + " | ".join(cells) + " |"


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every workload with every install and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "installs", nargs="+", metavar="LABEL=SCANNER", help="the first is the baseline"
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--usr", default="/usr")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/scanner-bench-ab"))
    args = parser.parse_args(argv)
    installs = labelled(args.installs)
    args.workdir.mkdir(parents=True, exist_ok=True)
    groups: dict[str, list[Contender]] = {}
    for name, words in workloads(inputs(args.workdir, args.files), args.usr).items():
        groups[name] = [
            command(f"{label}: {name}", [exe, *words], env=ENV, pipe=True)
            for label, exe in installs
        ]
    alternate([c for group in groups.values() for c in group], args.rounds, warmup=1)
    print(
        "| workload | install | wall s, median (min) | vs first [95% CI] | CPU s (median) "
        "| CPU vs first | exit codes |"
    )
    print("|---|---|---:|---|---:|---:|---|")
    for name, group in groups.items():
        for c in group:
            print(row(name, group[0], c))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
