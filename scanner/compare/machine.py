"""Machine metadata recorded with every report: what the numbers were measured on."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from scanner.oslimits import usable_cpus


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def git_commit(repo: Path | None = None) -> str | None:
    """HEAD of the checkout this code runs from, with ``-dirty`` when files changed."""
    where = repo or Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if dirty else head  # fmt: skip


def machine_metadata(
    *, backends: list[str] | None = None, child_watchers: list[str] | None = None
) -> dict[str, Any]:
    """CPU, cores, OS, Python, anyio/trio versions, backends, child watcher, git commit."""
    usable = usable_cpus()
    return {
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "system": platform.system(),
        "kernel": platform.release(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "anyio": _version("anyio"),
        "trio": _version("trio"),
        "backends": sorted(set(backends or [])),
        "child_watchers": sorted(set(child_watchers or [])),
        "git_commit": git_commit(),
    }
