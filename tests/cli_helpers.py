"""Run the CLI in-process or as a real process and capture what it printed."""

from __future__ import annotations

import os
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
