"""Ping sweep benchmarks, whole-process, every contender measured side by side in one run.

Run (serialised with the other benchmarks of the machine)::

    flock /tmp/scanner-bench.lock .venv/bin/python benchmarks/bench_ping.py

Three groups, each command run ``--rounds`` times in a shuffled order per round (so drift
in machine load hits every contender alike); the table shows medians, min/max and the ratio
of each median to the group's baseline:

1. 1,000 loopback hosts (127.0.1.1-127.0.4.232), one request each, 1 s timeout: ``scanner
   ping`` against ``xargs -P64 ping -c1 -W1`` (the baseline) and ``fping``.
2. The same sweep with each child-process path of ``scanner.net.spawn``: ``anyio`` on
   asyncio's default (thread-per-child) watcher, ``anyio-pidfd`` (PidfdChildWatcher),
   ``posix-inline`` (``os.posix_spawn`` on the loop thread + pidfd reaping), ``posix`` (the
   same with the spawn in worker threads through libc, the default on Linux), and trio.
3. 254 hosts of the namespace lab, 127 of them alive, the rest silent (1 s timeout, no
   retries), every command run inside the near namespace: ``scanner ping`` against ``xargs``
   and ``fping`` (skipped with a reason where namespaces cannot be made).

``--install NAME=PATH`` (repeatable) adds another install's ``scanner`` executable (a plain
venv of another commit, e.g. main's) to group 1, so that a change is measured side by side
with what it changes: ``NAME: scanner ping -j64 -f hosts`` and its one-host start-up.

Only 127.0.0.0/8 and the lab's namespaces are ever pinged.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(REPO))

from scanner.compare.timing import Contender, alternate, command, ratio_table  # noqa: E402

LOOPBACK_RANGE = "127.0.1.1-127.0.4.232"  # exactly 1,000 hosts


def loopback_hosts() -> list[str]:
    """The 1,000 loopback addresses of :data:`LOOPBACK_RANGE`."""
    hosts = []
    for third in range(1, 5):
        for fourth in range(0 if third > 1 else 1, 256):
            hosts.append(f"127.0.{third}.{fourth}")
    return hosts[:1000]


#: Children run with bytecode caching on, as an installed tool has it (this sandbox sets
#: PYTHONDONTWRITEBYTECODE, which would make every run compile the package from source).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def tool(name: str, argv: list[str], stdin: Path | None = None) -> Contender:
    """A whole-process contender run from the repository with :data:`ENV`."""
    return command(name, argv, stdin=stdin, env=ENV, cwd=REPO)


def table(title: str, group: Sequence[Contender], baseline: str) -> str:
    """Markdown: the group's table against the contender named ``baseline``, with each
    command's CPU (its process tree's user + system: steadier than wall time on a busy
    machine)."""
    base = next(c for c in group if c.name == baseline)
    return f"#### {title}\n\n" + ratio_table(group, base, cpu=True)


def scanner_argv(*args: str) -> list[str]:
    """``python -m scanner ping ...`` with this interpreter."""
    return [sys.executable, "-m", "scanner", "ping", "-q", "-m", "ping", *args]


def install_argv(executable: str, *args: str) -> list[str]:
    """``scanner ping ...`` through another install's ``scanner`` executable."""
    return [executable, "ping", "-q", "-m", "ping", *args]


def loopback_groups(
    hosts_file: Path, installs: Sequence[tuple[str, str]] = ()
) -> tuple[list[Contender], list[Contender]]:
    """Group 1 (against xargs, fping and ``installs``: (name, scanner executable)) and
    group 2 (spawn paths)."""
    ping = shutil.which("ping") or "ping"
    xargs = tool(
        "xargs -P64 ping -c1 -W1", ["xargs", "-P64", "-n1", ping, "-c1", "-W1"], stdin=hosts_file
    )
    tools = [
        xargs,
        tool("scanner ping -f hosts", scanner_argv("-f", str(hosts_file))),
        tool("scanner ping -j64 -f hosts", scanner_argv("-j", "64", "-f", str(hosts_file))),
        # the fixed cost of the process (interpreter, typer/pydantic, imports, ping -V)
        tool("scanner ping 127.0.0.1 (1 host)", scanner_argv("127.0.0.1")),
    ]
    for name, executable in installs:
        sweep = install_argv(executable, "-j", "64", "-f", str(hosts_file))
        tools.append(tool(f"{name}: scanner ping -j64 -f hosts", sweep))
        tools.append(tool(f"{name}: scanner ping 127.0.0.1", install_argv(executable, "127.0.0.1")))
    if shutil.which("fping"):
        tools.append(
            tool(
                "fping -r0 -t1000 -f hosts", ["fping", "-q", "-r0", "-t1000", "-f", str(hosts_file)]
            )
        )
        tools.append(
            tool(
                "fping -r0 -t1000 -i1 -f hosts",
                ["fping", "-q", "-r0", "-t1000", "-i1", "-f", str(hosts_file)],
            )
        )
    spawners = [
        tool(
            f"--spawner {kind}{' --backend trio' if backend == 'trio' else ''}",
            scanner_argv("--spawner", kind, "--backend", backend, "-f", str(hosts_file)),
        )
        for kind, backend in (
            ("anyio", "asyncio"),
            ("anyio-pidfd", "asyncio"),
            ("posix-inline", "asyncio"),
            ("posix", "asyncio"),
            ("anyio", "trio"),
            ("posix", "trio"),
        )
    ]
    return tools, spawners


def lab_group(near_exec: list[str], hosts_file: Path) -> list[Contender]:
    """Group 3: every command inside the near namespace."""
    ping = shutil.which("ping") or "ping"
    group = [
        tool(
            "xargs -P64 ping -c1 -W1",
            [*near_exec, "xargs", "-P64", "-n1", ping, "-c1", "-W1"],
            stdin=hosts_file,
        ),
        tool(
            "xargs -P256 ping -c1 -W1",
            [*near_exec, "xargs", "-P256", "-n1", ping, "-c1", "-W1"],
            stdin=hosts_file,
        ),
        tool("scanner ping 198.18.0.1-254", [*near_exec, *scanner_argv("198.18.0.1-254")]),
        tool(
            "scanner ping -j64 198.18.0.1-254",
            [*near_exec, *scanner_argv("-j", "64", "198.18.0.1-254")],
        ),
    ]
    if shutil.which("fping"):
        group.append(
            tool(
                "fping -r0 -t1000 -g 198.18.0.1 198.18.0.254",
                [*near_exec, "fping", "-q", "-r0", "-t1000", "-g", "198.18.0.1", "198.18.0.254"],
            )
        )
    return group


def main(argv: Sequence[str] | None = None) -> int:
    """Run every group and print Markdown tables (and JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--lab-rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the raw times here")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=("spawners", "lab"),
        help="leave a group out (the child-process paths, the namespace lab)",
    )
    parser.add_argument(
        "--install",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="another install's scanner executable, measured beside this checkout's",
    )
    args = parser.parse_args(argv)
    installs = [tuple(item.split("=", 1)) for item in args.install]
    if any(len(item) != 2 or not all(item) for item in installs):
        parser.error("--install takes NAME=PATH")

    out: list[str] = []
    raw: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        hosts_file = Path(tmp) / "hosts"
        hosts_file.write_text("\n".join(loopback_hosts()) + "\n")
        tools, spawners = loopback_groups(hosts_file, installs)
        if "spawners" in args.skip:
            spawners = []
        alternate(tools + spawners, args.rounds, warmup=1)
        out.append(table("1,000 loopback hosts, whole process", tools, "xargs -P64 ping -c1 -W1"))
        if spawners:
            out.append(
                table("Child-process paths, 1,000 loopback hosts", spawners, "--spawner anyio")
            )
        raw["loopback"] = {c.name: c.times for c in tools + spawners}

        from scanner.labs.netns import netns_available, netns_lab

        ok, why = netns_available()
        if "lab" in args.skip:
            pass
        elif not ok:
            out.append(f"#### Namespace lab\n\nskipped: {why}\n")
        else:
            with netns_lab(alive=126) as lab:
                lab_file = Path(tmp) / "lab-hosts"
                lab_file.write_text("\n".join(f"{lab.prefix}.{i}" for i in range(1, 255)) + "\n")
                group = lab_group(["ip", "netns", "exec", lab.near], lab_file)
                alternate(group, args.lab_rounds, warmup=1)
                out.append(
                    table(
                        "Namespace lab: 254 hosts, 127 alive, 127 silent (1 s timeout)",
                        group,
                        "xargs -P64 ping -c1 -W1",
                    )
                )
                raw["lab"] = {c.name: c.times for c in group}
    text = "\n".join(out)
    print(f"rounds: {args.rounds} (lab {args.lab_rounds}), python {sys.version.split()[0]}\n")
    print(text)
    if args.json is not None:
        args.json.write_text(json.dumps(raw, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
