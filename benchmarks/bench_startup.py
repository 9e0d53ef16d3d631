"""Start-up of ``scanner`` commands on a tiny input, whole process, stdout a pipe (issue 12).

Run (serialised with the other benchmarks of the machine)::

    flock /tmp/scanner-bench.lock .venv/bin/python benchmarks/bench_startup.py
    # before/after: several installs side by side in one run
    .venv/bin/python benchmarks/bench_startup.py --scanner before=/tmp/before/.venv/bin/scanner \
        --scanner after=.venv/bin/scanner

Every contender runs ``--rounds`` times (at least 10) in a new seeded random order per round
after one warm-up round (which also writes the bytecode caches: children run without
``PYTHONDONTWRITEBYTECODE``, as an installed tool has it), with stdout a pipe read to the end
and stderr to /dev/null. The floor is ``python -c pass`` with the interpreter of the first
``--scanner`` (its venv's python), and ``fdfind`` (``fd``) on the same tiny directory. The
target: ``walk``, ``ext`` and ``check`` within ``python -c pass`` + 70 ms (medians).
Only 127.0.0.1 is ever pinged.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(REPO))

from scanner.compare.timing import (  # noqa: E402
    Contender,
    alternate,
    command,
    labelled,
    ratio_table,
)

#: What each command gets on the tiny tree (``{dir}``, ``{file}``).
COMMANDS = {
    "walk": ["walk", "{dir}"],
    "ext": ["ext", "{dir}"],
    "check": ["check", "{file}"],
    "ping": ["ping", "127.0.0.1"],
}
#: The issue's target: start-up within ``python -c pass`` plus this much.
TARGET_S = 0.070
TARGETED = ("walk", "ext", "check")
#: Children write and use bytecode caches, as an installed tool does.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def tiny_tree(root: Path) -> tuple[Path, Path]:
    """Four small files in one directory."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(4):
        (root / f"f{i}.txt").write_text("hello\n" * i)
    return root, root / "f1.txt"


def contenders(scanners: Sequence[tuple[str, str]], tree: Path, file: Path) -> list[Contender]:
    """The floors, then every command of every install."""
    python = str(Path(scanners[0][1]).with_name("python"))
    group = [command("python -c pass", [python, "-c", "pass"], env=ENV, pipe=True)]
    fd = shutil.which("fdfind") or shutil.which("fd")
    if fd is not None:
        group.append(command("fdfind . DIR", [fd, ".", str(tree)], env=ENV, pipe=True))
    for label, exe in scanners:
        for name, args in COMMANDS.items():
            argv = [exe, *(a.format(dir=tree, file=file) for a in args)]
            title = f"{label}: scanner {name}" if len(scanners) > 1 else f"scanner {name}"
            group.append(command(title, argv, env=ENV, pipe=True))
    return group


def verdicts(group: Sequence[Contender], scanners: Sequence[tuple[str, str]]) -> list[str]:
    """One line per targeted command: its median over ``python -c pass``, against 70 ms."""
    floor, floor_cpu = group[0].median, statistics.median(group[0].cpu_s)
    lines = []
    for c in group:
        name = c.name.rsplit("scanner ", 1)[-1]
        if name in TARGETED and "scanner" in c.name:
            over = c.median - floor
            over_cpu = statistics.median(c.cpu_s) - floor_cpu
            verdict = "met" if over <= TARGET_S else "NOT met"
            lines.append(
                f"- {c.name}: +{over * 1e3:.0f} ms wall (+{over_cpu * 1e3:.0f} ms CPU) over "
                f"`python -c pass` (target +{TARGET_S * 1e3:.0f} ms wall: {verdict})"
            )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print the Markdown table and the verdicts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--scanner",
        action="append",
        metavar="[LABEL=]PATH",
        help="a scanner console script to time (repeatable); default: this interpreter's",
    )
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    if args.rounds < 10:
        parser.error("--rounds must be 10 or more (medians of at least 10 runs)")
    given = args.scanner or [str(Path(sys.executable).with_name("scanner"))]
    scanners = labelled(given)
    with tempfile.TemporaryDirectory(prefix="scanner-startup-") as tmp:
        tree, file = tiny_tree(Path(tmp) / "tiny")
        group = contenders(scanners, tree, file)
        alternate(group, args.rounds, warmup=1)
    print(
        f"#### Start-up, whole process, stdout a pipe, 4-file directory "
        f"({args.rounds} rounds, medians)\n"
    )
    print(ratio_table(group, group[0], cpu=True))
    print("\n".join(verdicts(group, scanners)))
    bad = {code for c in group for code in c.codes} - {0}
    if bad:
        print(f"\nnon-zero exit codes seen: {sorted(bad)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
