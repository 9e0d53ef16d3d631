"""ICMP socket prober benchmarks (issue 14), whole process, side by side in one run.

Run (serialised with the other benchmarks of the machine)::

    flock /tmp/scanner-bench.lock .venv/bin/python benchmarks/bench_icmp.py

Four groups; each command runs ``--rounds`` times in a shuffled order per round after one
discarded warm-up round (drift in machine load hits every contender alike); medians, and
ratios of medians to the group's baseline:

1. 127.0.0.0/16 (65,534 loopback hosts): ``scanner ping -m icmp --rate 100000`` against
   ``fping -i 0 -r 0 -g 127.0.0.0/16`` (the baseline; target: within 3x).
2. 127.0.0.0/20 (4,094 hosts): ``-m icmp --rate 100000`` against ``-m ping`` (the
   baseline: one ``ping`` child per host; target: icmp at least 20x faster).
3. A /16 in the routed namespace lab (198.19.0.0/16 behind the far namespace, a few hosts
   alive, the rest silently dropped), ``-m icmp`` at a stated ``--rate``, inside the near
   namespace; ``fping -i 0 -r 0 -t 1000`` beside it (target: under 10 s).
4. Peak RSS (``wait4``'s ``ru_maxrss``) of ``-m icmp --rate 100000`` from 1k to 65k
   loopback hosts (target: flat).

Only 127.0.0.0/8 and the lab's namespaces are ever pinged.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

if str(Path(__file__).resolve().parent.parent) not in sys.path:  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_ping import ENV, REPO, table, tool
from scanner.compare.timing import Contender, alternate, command, run_command

LAB_ALIVE = ("198.19.0.1", "198.19.7.7", "198.19.100.100", "198.19.200.2", "198.19.254.254")
FPING_LAB = ("fping", "-q", "-i", "0", "-r", "0", "-t", "1000", "-g", "198.19.0.0/16")
RSS_SIZES = (("1,022", "127.0.0.0/22"), ("4,094", "127.0.0.0/20"), ("16,382", "127.0.0.0/18"),
             ("65,534", "127.0.0.0/16"))  # fmt: skip


def scanner(*args: str) -> list[str]:
    """``python -m scanner ping -q --yes ARGS`` with this interpreter."""
    return [sys.executable, "-m", "scanner", "ping", "-q", "--yes", *args]


def icmp(*args: str) -> list[str]:
    """The icmp method at the highest rate."""
    return scanner("-m", "icmp", "--rate", "100000", *args)


def based(name: str, argv: list[str], base: Path) -> Contender:
    """``argv`` run with another version's package (``git archive REV scanner | tar -x -C
    BASE``), from its own directory so that ``python -m scanner`` imports it: before and
    after in one run."""
    return command(f"base: {name}", argv, env={**ENV, "PYTHONPATH": str(base)}, cwd=base)


def loopback_16(base: Path | None = None) -> list[Contender]:
    name = "scanner ping -m icmp --rate 100000 127.0.0.0/16"
    group = [tool(name, icmp("127.0.0.0/16"))]
    if base is not None:
        group.append(based(name, icmp("127.0.0.0/16"), base))
    if shutil.which("fping"):
        group.insert(
            0,
            tool(
                "fping -i 0 -r 0 -g 127.0.0.0/16",
                ["fping", "-q", "-i", "0", "-r", "0", "-g", "127.0.0.0/16"],
            ),
        )
    return group


def loopback_20(base: Path | None = None) -> list[Contender]:
    name = "scanner ping -m icmp --rate 100000 127.0.0.0/20"
    group = [
        tool("scanner ping -m ping 127.0.0.0/20", scanner("-m", "ping", "127.0.0.0/20")),
        tool(name, icmp("127.0.0.0/20")),
        tool(
            "scanner ping -m icmp 127.0.0.0/20 (default rate 1000/s)",
            scanner("-m", "icmp", "127.0.0.0/20"),
        ),
    ]
    if base is not None:
        group.insert(2, based(name, icmp("127.0.0.0/20"), base))
    return group


def lab_group(near_exec: list[str], rate: str) -> list[Contender]:
    group = [
        tool(
            f"scanner ping -m icmp --rate {rate} -t 1 198.19.0.0/16",
            [*near_exec, *scanner("-m", "icmp", "--rate", rate, "-t", "1", "198.19.0.0/16")],
        )
    ]
    if shutil.which("fping"):
        group.insert(
            0,
            tool(
                "fping -i 0 -r 0 -t 1000 -g 198.19.0.0/16",
                [*near_exec, *FPING_LAB],
            ),
        )
    return group


def peak_rss_mib(argv: Sequence[str]) -> float:
    """Run ``argv`` once; its peak resident set (``wait4``), in MiB."""
    return run_command(argv, env=ENV, cwd=REPO).peak_rss_mib


def main(argv: Sequence[str] | None = None) -> int:
    """Run the groups and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lab-rate", default="20000", help="--rate of the lab /16 sweep")
    parser.add_argument("--skip", action="append", default=[], help="group numbers to skip")
    parser.add_argument(
        "--base",
        type=Path,
        help="a directory holding another version's scanner package: groups 1 and 2 run it too",
    )
    args = parser.parse_args(argv)
    out: list[str] = []
    if "1" not in args.skip:
        group = loopback_16(args.base)
        alternate(group, args.rounds, warmup=1)
        out.append(table("1. 127.0.0.0/16, 65,534 loopback hosts", group, group[0].name))
    if "2" not in args.skip:
        group = loopback_20(args.base)
        alternate(group, args.rounds, warmup=1)
        out.append(table("2. 127.0.0.0/20, 4,094 loopback hosts", group, group[0].name))
    if "3" not in args.skip:
        from scanner.labs.netns import netns_available, netns_routed_lab

        ok, why = netns_available()
        if not ok:
            out.append(f"#### 3. Namespace lab /16\n\nskipped: {why}\n")
        else:
            with netns_routed_lab(LAB_ALIVE) as lab:
                group = lab_group(["ip", "netns", "exec", lab.near], args.lab_rate)
                alternate(group, args.rounds, warmup=1)
                title = f"3. Routed namespace lab, 198.19.0.0/16, {len(LAB_ALIVE)} alive"
                out.append(table(title, group, group[0].name))
    if "4" not in args.skip:
        lines = ["#### 4. Peak RSS, -m icmp --rate 100000", "",
                 "| hosts | median MiB | min | max |", "|---:|---:|---:|---:|"]  # fmt: skip
        for label, block in RSS_SIZES:
            runs = [peak_rss_mib(icmp(block)) for _ in range(args.rounds)]
            lines.append(
                f"| {label} | {statistics.median(runs):.1f} | {min(runs):.1f} | {max(runs):.1f} |"
            )
        out.append("\n".join(lines) + "\n")
    print(f"rounds: {args.rounds}, python {sys.version.split()[0]}\n")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
