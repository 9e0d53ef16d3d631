#!/usr/bin/env python3
"""Run every example command of the README as written, from a plain install.

Usage: python3 .ci/readme_examples.py VENV   (stdlib only; exit 1 when any example fails)

Every ``scanner ...`` line of a ``sh`` block outside the quick start and the development
section is an example. Each runs through ``bash -c`` exactly as printed (pipes and
redirections included), with VENV's ``bin`` first on PATH, in a scratch directory that holds
the files the examples name (``app.jar``, ``big.zip``, ``hosts.txt``, ``artifacts/``) and
with HOME set to a scratch home (``~/Downloads``, ``~/src``).

An example succeeds when it exits 0 or 1 (1 is a result: a finding or a host down) without a
traceback. An example whose option needs an extra that a plain install lacks (``--plot``,
the FUSE lab, ``--cluster``) may instead exit 4 with the one-line hint naming the extra
(``pip install 'scanner[...]'``): that is the documented behaviour of a plain install. An
example documented to run "until Ctrl-C" gets SIGINT after a few seconds and must then end
with 0 or 130. Network: the README's examples target loopback only; ``example_commands``
refuses any other literal address, so a careless example cannot leave the machine.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SKIPPED_SECTIONS = ("## Quick start", "## Development")
#: How long a run-until-Ctrl-C example runs before it gets SIGINT.
SERVICE_SECONDS = 5.0
EXAMPLE_TIMEOUT = 600


#: Programs whose lines are shown, not run: installing extras and starting Dask clusters
#: needs what a plain install lacks (the cluster tests start real ones).
NOT_RUN = ("pip", "dask", "dask-mpi", "mpirun", "srun", "sbatch")


def example_commands(readme: str) -> list[str]:
    """The lines of the README's sh blocks, in order: ``scanner`` examples and the setup
    lines between them (``mkdir``, ...), which run too, so an example's files exist."""
    commands: list[str] = []
    for section in re.split(r"\n(?=## )", readme):
        if section.startswith(SKIPPED_SECTIONS):
            continue
        for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S):
            for line in block.splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    commands.append(line)
    for command in commands:
        check_loopback_only(command)
    return commands


def check_loopback_only(command: str) -> None:
    """Refuse an example naming an address outside 127.0.0.0/8 and ::1."""
    code = strip_comment(command)
    for word in shlex.split(code):
        for part in re.split(r"[,=]", word):
            candidate = part.split("/")[0].split("%")[0]
            if "-" in candidate and not candidate.startswith("-"):
                candidate = candidate.split("-")[0]
            try:
                address = ipaddress.ip_address(candidate)
            except ValueError:
                continue
            if not address.is_loopback:
                raise SystemExit(f"README example leaves loopback: {command}")


def strip_comment(command: str) -> str:
    """The command without its trailing ``# comment`` (a ``#`` that starts a word)."""
    return re.split(r"\s+#\s", command, maxsplit=1)[0].rstrip()


def make_workspace(base: Path) -> tuple[Path, Path]:
    """A scratch cwd and HOME holding every file and directory the examples name."""
    cwd, home = base / "work", base / "home"
    src = home / "src"
    for i in range(60):
        folder = src / f"pkg{i % 4}" / ("sub" if i % 3 else "")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"m{i}.{('py', 'c', 'txt')[i % 3]}").write_text("x" * (i * 7))
    downloads = home / "Downloads"
    downloads.mkdir(parents=True)
    artifacts = cwd / "artifacts"
    artifacts.mkdir(parents=True)
    for folder in (downloads, artifacts):
        for n in range(3):
            with zipfile.ZipFile(folder / f"bundle{n}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
                for m in range(5):
                    zf.writestr(f"docs/file{m}.txt", f"content {n} {m}\n" * 50)
    with zipfile.ZipFile(cwd / "app.jar", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        zf.writestr("com/example/App.class", b"\xca\xfe\xba\xbe" + bytes(60))
    with zipfile.ZipFile(cwd / "big.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for m in range(200):
            zf.writestr(f"lib/c{m}.class", b"\xca\xfe\xba\xbe" + bytes(m))
            zf.writestr(f"res/r{m}.txt", "r")
    (cwd / "hosts.txt").write_text("# loopback only\n127.0.0.1\n127.0.0.2-4\n::1\n")
    return cwd, home


def run_example(command: str, cwd: Path, home: Path, venv: Path) -> str | None:
    """None when the example behaved as documented, else what went wrong."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(home)
    env.pop("VIRTUAL_ENV", None)
    service = "until Ctrl-C" in command
    started = time.monotonic()
    proc = subprocess.Popen(
        ["bash", "-c", f"set -o pipefail; {strip_comment(command)}"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=SERVICE_SECONDS if service else EXAMPLE_TIMEOUT)
    except subprocess.TimeoutExpired:
        if not service:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return f"{command}\n    did not finish in {EXAMPLE_TIMEOUT} s"
        os.killpg(proc.pid, signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return f"{command}\n    did not stop within 30 s of SIGINT"
    text = err.decode(errors="replace")
    code = proc.returncode
    if not command.startswith("scanner "):
        allowed = {0}  # a setup line of the example
    else:
        allowed = {0, 1, 130} if service else {0, 1}
    lines = text.strip().splitlines()
    needs_extra = (
        code == 4 and len(lines) <= 2 and any("pip install 'scanner[" in line for line in lines)
    )
    elapsed = time.monotonic() - started
    if "Traceback" in text or not (code in allowed or needs_extra):
        tail = "\n    ".join(lines[-8:])
        return f"{command}\n    exit {code} after {elapsed:.1f} s\n    {tail}"
    note = " (needs an extra: one-line hint)" if needs_extra else ""
    print(f"readme: ok  exit {code}  {elapsed:5.1f} s  {command}{note}", file=sys.stderr)
    del out
    return None


def main() -> int:
    venv = Path(sys.argv[1]).resolve()
    if not (venv / "bin" / "scanner").exists():
        print(f"readme: no scanner in {venv}", file=sys.stderr)
        return 2
    commands = example_commands((REPO / "README.md").read_text())
    with tempfile.TemporaryDirectory(prefix="scanner-readme-") as tmp:
        cwd, home = make_workspace(Path(tmp))
        problems: list[str] = []
        for command in commands:
            if command.split()[0] in NOT_RUN:
                print(f"readme: shown, not run (needs an extra): {command}", file=sys.stderr)
                continue
            problem = run_example(command, cwd, home, venv)
            if problem:
                problems.append(problem)
    for problem in problems:
        print(f"readme: FAILED {problem}", file=sys.stderr)
    print(
        f"readme: {len(commands) - len(problems)}/{len(commands)} examples ran as documented",
        file=sys.stderr,
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
