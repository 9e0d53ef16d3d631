"""Run the CLI in-process or as a real process and capture what it printed."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Ran:
    """Exit code and captured output of one CLI run."""

    code: int
    out: bytes
    err: str

    @property
    def text(self) -> str:
        """stdout decoded (undecodable bytes kept as surrogates)."""
        return self.out.decode("utf-8", "surrogateescape")


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    prefix: Sequence[str] = (),
    cwd: Path | None = None,
) -> Ran:
    """``python -m scanner ARGS`` in a child process (real stdout/stderr, real exit code).

    ``prefix`` goes before the interpreter (``setpriv --reuid=nobody ...`` to drop
    privileges); ``cwd`` defaults to the repository (so ``-m scanner`` finds the package)."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    proc = subprocess.run(
        [*prefix, sys.executable, "-m", "scanner", *args],
        capture_output=True,
        env=full_env,
        timeout=timeout,
        cwd=REPO if cwd is None else cwd,
        check=False,
    )
    return Ran(proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace"))


def start_cli(*args: str) -> subprocess.Popen[bytes]:
    """``python -m scanner ARGS`` started in a child process from the repository, stdout and
    stderr piped: for the tests that read some of its output, then press Ctrl-C (SIGINT)."""
    return subprocess.Popen(
        [sys.executable, "-m", "scanner", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )


def drain_pty(master: int) -> bytes:
    """Everything written to a pseudo-terminal until its last writer closed it."""
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed and drained
            break
        if not chunk:
            break
        seen += chunk
    return seen


def on_a_terminal(
    argv: Sequence[str], *, stdout_too: bool, columns: int = 80, cwd: Path = REPO
) -> tuple[int, bytes, bytes]:
    """Run ``python -m scanner ARGV`` with stderr (and stdout, with ``stdout_too``) on a
    pty of ``columns`` columns: (exit code, what the terminal showed, stdout if piped)."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "40", "TERM": "xterm-256color"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanner", *argv],
        stdout=slave if stdout_too else subprocess.PIPE,
        stderr=slave,
        cwd=cwd,
        env=env,
    )
    os.close(slave)
    shown = drain_pty(master)
    piped = b""
    if proc.stdout is not None:
        with proc.stdout:
            piped = proc.stdout.read()
    code = proc.wait(timeout=60)
    os.close(master)
    return code, shown, piped
