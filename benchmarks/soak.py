"""Soak runs: the scanner at sizes the test suite cannot afford, with peak RSS and wall time.

Run (serialised with the other benchmarks of the machine)::

    flock /tmp/scanner-bench.lock .venv/bin/python benchmarks/soak.py

1. A generated tree of 1,000,000 files (``scanner.labs.tree``, seed 1, reused between runs):
   ``scan``, ``ext`` and ``walk`` (to /dev/null) on a warm cache.
2. One directory of 1,000,000 empty files: the same three commands. A batch that spends its
   budget inside a directory hands the open directory on to the next one, so ``walk`` and
   ``scan`` (which list entries) must stay as flat as ``ext`` here (they peaked at 450 and
   298 MiB when a directory was read within one batch).
3. A 10,000-host sweep with the sh fake ping (50 ms latency, 127.1.0.1-127.1.39.16,
   ``-j 1024``), and a 100,000-name sweep of ``.invalid`` names inside ``unshare -n`` (the
   resolver fails at once; nothing can leave the machine).

Each command is one ``python -m scanner`` process; its peak RSS is the ``ru_maxrss`` that
``wait4`` returns for it (its own children included), its wall time what the parent saw.
Only 127.0.0.0/8 is ever pinged.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(REPO))

from scanner.compare.timing import run_command  # noqa: E402


@dataclass(frozen=True)
class Soak:
    """One measured command."""

    name: str
    items: str
    wall_s: float
    peak_rss_mib: float
    code: int
    summary: str


def measure(
    name: str,
    items: str,
    args: Sequence[str],
    prefix: Sequence[str] = (),
    cwd: Path | str = REPO,
) -> Soak:
    """Run ``python -m scanner ARGS`` once in ``cwd`` (whose ``scanner`` is the one run);
    stdout to a temporary file (the summary is read from its last line when it is JSON
    Lines), stderr kept for the exit summary."""
    ran = run_command([*prefix, sys.executable, "-m", "scanner", *args], cwd=cwd, capture=True)
    err = ran.stderr.decode(errors="replace")
    tail = ran.stdout[-4096:].decode(errors="replace").splitlines()
    summary = err.strip().splitlines()[-1] if err.strip() else ""
    if tail and tail[-1].startswith("{"):
        try:
            record = json.loads(tail[-1])
            summary = ", ".join(
                f"{k}={record[k]}" for k in ("total", "alive", "unresolved", "error") if k in record
            )
        except ValueError:
            pass
    return Soak(name, items, ran.wall_s, ran.peak_rss_mib, ran.code, summary)


def flat_directory(path: Path, count: int) -> Path:
    """``count`` empty files in one directory (made once, reused)."""
    done = path.with_name(path.name + ".complete")
    if done.exists():
        return path
    path.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        os.close(os.open(path / f"f{i:07d}.dat", os.O_CREAT | os.O_WRONLY, 0o644))
    done.write_text(str(count))
    return path


def tree_runs(base: Path, files: int) -> list[Soak]:
    """Scan, ext and walk over a generated tree and over one flat directory."""
    from scanner.labs.tree import TreeSpec, generate_tree

    tree = base / f"tree-{files}"
    generate_tree(tree, TreeSpec(files=files, seed=1))
    flat = flat_directory(base / f"flat-{files}", files)
    runs = []
    for label, root in (("tree", tree), ("one directory", flat)):
        for command in (["scan", "--json"], ["ext", "--json"], ["walk"]):
            # one untimed run warms the cache, as hyperfine's --warmup
            measure("warm-up", "", [*command, str(root)])
            runs.append(
                measure(f"{command[0]} ({label})", f"{files:,} files", [*command, str(root)])
            )
    return runs


def ping_runs(base: Path, hosts: int, names: int) -> list[Soak]:
    """A fake-ping sweep and an unresolvable-names sweep."""
    from scanner.labs.fakeping import write_fake_ping

    fake = write_fake_ping(base, latency_ms=50)
    end = f"127.1.{hosts // 256}.{hosts % 256}"  # 127.1.0.1 and the next hosts - 1
    runs = [
        measure(
            "ping (fake, 50 ms)",
            f"{hosts:,} hosts",
            ["ping", "--ping", str(fake), "-q", "--jsonl", "-j", "1024", f"127.1.0.1-{end}"],
        )
    ]
    netns = shutil.which("unshare") is not None
    if netns and subprocess.run(["unshare", "-n", "true"], check=False).returncode == 0:
        names_file = base / "names.txt"
        names_file.write_text("".join(f"h{i}.invalid\n" for i in range(names)))
        runs.append(
            measure(
                "ping (.invalid names, unshare -n)",
                f"{names:,} names",
                ["ping", "-q", "--jsonl", "--yes", "-f", str(names_file)],
                prefix=("unshare", "-n"),
            )
        )
    return runs


def table(runs: Sequence[Soak]) -> str:
    """The runs as a Markdown table."""
    lines = [
        "| Run | Items | Wall (s) | Peak RSS (MiB) | Exit | Result |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.name} | {r.items} | {r.wall_s:.1f} | {r.peak_rss_mib:.0f} | {r.code} "
            f"| {r.summary.replace('|', '/')} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the soaks and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1_000_000)
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--names", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "scanner-soak")
    parser.add_argument("--skip-tree", action="store_true")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    runs: list[Soak] = []
    if not args.skip_tree:
        runs += tree_runs(args.dir, args.files)
    with tempfile.TemporaryDirectory() as tmp:
        runs += ping_runs(Path(tmp), args.hosts, args.names)
    print(table(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
