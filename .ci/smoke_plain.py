#!/usr/bin/env python3
"""Smoke test of a plain install: every command and every documented choice value, run
through the ``scanner`` command of a venv made exactly like the README's first command
(``pip install .``, no extras). The test suite cannot see a missing runtime dependency,
because the test extra brings trio, sniffio and the rest; this can.

Usage: python3 .ci/smoke_plain.py VENV   (stdlib only; exit 1 on the first problem list)

Every run must end with an expected exit code and no traceback. Network: loopback only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

OK, PARTIAL, USAGE, FAILURE = 0, 1, 3, 4


def main() -> int:
    venv = Path(sys.argv[1]).resolve()
    scanner = venv / "bin" / "scanner"
    if not scanner.exists():
        print(f"smoke: no scanner in {venv}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="scanner-smoke-") as tmp:
        base = Path(tmp)
        tree = base / "tree"
        for i in range(30):
            (tree / f"d{i % 3}").mkdir(parents=True, exist_ok=True)
            (tree / f"d{i % 3}" / f"f{i}.txt").write_text("x" * i)
        archive = tree / "a.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("hello.txt", "hello " * 100)
            zf.writestr("dir/inner.py", "print(1)\n")
        out = base / "out"
        out.mkdir()
        runs = cases(tree, archive, out)
        problems = [p for p in (check(scanner, argv, codes, base) for argv, codes in runs) if p]
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"smoke: {len(runs) - len(problems)}/{len(runs)} runs as expected", file=sys.stderr)
    return 1 if problems else 0


def cases(tree: Path, archive: Path, out: Path) -> list[tuple[list[str], tuple[int, ...]]]:
    """(argv, expected exit codes) for every command and documented choice."""
    t, a = str(tree), str(archive)
    runs: list[tuple[list[str], tuple[int, ...]]] = [
        (["--version"], (OK,)),
        (["--help"], (OK,)),
        (["help", "walk"], (OK,)),
        (["info"], (OK,)),
        (["info", "--json"], (OK,)),
        (["check", a], (OK,)),
        (["completion", "bash"], (OK,)),
        (["lab", "tree", str(out / "labtree"), "-n", "50"], (OK,)),
    ]
    for fmt in ([], ["--json"], ["--jsonl"], ["--csv"]):
        runs += [
            (["walk", *fmt, t], (OK,)),
            (["ext", *fmt, t], (OK,)),
            (["scan", *fmt, t], (OK,)),
            (["zip", *fmt, t], (OK,)),
            (["du", *fmt, t], (OK,)),
            (["ping", *fmt, "127.0.0.1"], (OK,)),
        ]
    runs += [
        (["walk", "-0", t], (OK,)),
        (["walk", "-o", str(out / "walk.jsonl"), "--jsonl", t], (OK,)),
        (["ext", "--sort", "bytes", "--top", "1", t], (OK,)),
        (["ext", "--sort", "name", t], (OK,)),
        (["scan", "--into-archives", t], (OK,)),
        # the fd/find filters and the choices of the tree commands
        (["walk", "-e", "txt", "-g", "f1*", "-S", "+1b", "--changed-within", "1d", t], (OK,)),
        (["walk", "--regex", "^f[0-9]$", "--ignore-case", "--full-path", t], (OK,)),
        (["walk", "--changed-before", "2100-01-01 00:00:00", "--gitignore", t], (OK,)),
        (["walk", "--sort", "path", t], (OK,)),
        (["walk", "--sort", "size", "--reverse", t], (OK,)),
        (["walk", "--sort", "mtime", "--json", t], (OK,)),
        (["ext", "--disk-usage", "--pseudo-fs", t], (OK,)),
        (["scan", "--disk-usage", "-e", "txt", t], (OK,)),
        (["du", "--depth", "2", "--sort", "files", "--disk-usage", t], (OK,)),
        (["du", "-o", str(out / "du.txt"), t], (OK,)),
        (["walk", "--size", "1Q", t], (USAGE,)),
        (["zip", "--list", a], (OK,)),
        (["zip", "--names", a], (OK,)),
        (["zip", "--findings", t], (OK,)),
        (["zip", "--verify", "--fail-on", "high", a], (OK,)),
        (["zip", "--sniff", "-o", str(out / "zip.json"), "--json", t], (OK,)),
    ]
    for spawner in ("auto", "posix", "posix-inline", "anyio", "anyio-pidfd"):
        runs.append((["ping", "--spawner", spawner, "127.0.0.1-3"], (OK,)))
    runs += [
        (["ping", "--backend", "asyncio", "127.0.0.1"], (OK,)),
        # trio is not a runtime dependency: one line and exit 4, never a traceback
        (["ping", "--backend", "trio", "127.0.0.1"], (OK, FAILURE)),
        (["ping", "-m", "tcp", "-p", "9", "127.0.0.1"], (OK, PARTIAL)),
        (["ping", "-c", "2", "-i", "10ms", "-t", "500ms", "127.0.0.1"], (OK,)),
        (["ping", "-a", "127.0.0.1-2"], (OK,)),
        # the bench defaults: variants whose dependency is missing are skipped with a note
        (["bench", "walk", t, "--quick", "-j", "1"], (OK,)),
        (["bench", "zip", t, "--quick", "-j", "1"], (OK,)),
        (["walk", "--maxdepth", "1", t], (USAGE,)),
    ]
    return runs


def check(scanner: Path, argv: list[str], codes: tuple[int, ...], cwd: Path) -> str | None:
    """None when the run went as expected, else what went wrong."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    done = subprocess.run(
        [str(scanner), *argv], capture_output=True, cwd=cwd, env=env, timeout=300, check=False
    )
    err = done.stderr.decode(errors="replace")
    if "Traceback" in err or done.returncode not in codes:
        tail = "\n    ".join(err.strip().splitlines()[-8:])
        return f"scanner {' '.join(argv)}: exit {done.returncode}\n    {tail}"
    return None


if __name__ == "__main__":
    sys.exit(main())
