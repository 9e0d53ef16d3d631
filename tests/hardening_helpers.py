"""Helpers of the hardening tests: peak RSS of one CLI run, runs coverage must not touch."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.cli_helpers import REPO

#: ``coverage run`` with ``patch = ["subprocess"]`` measures every Python child through this
#: variable; runs whose memory is measured, or that run as a user who cannot write the
#: coverage data, go without it.
COVERAGE_VAR = "COVERAGE_PROCESS_CONFIG"
UNMEASURED = ("env", "-u", COVERAGE_VAR)


def peak_rss_kib(args: list[str], timeout: float = 120) -> int:
    """Peak RSS (KiB) of one ``python -m scanner ARGS`` run, not under coverage: a fresh
    parent process, so that RUSAGE_CHILDREN sees that run alone."""
    code = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != COVERAGE_VAR}
    out = subprocess.run(
        [*UNMEASURED, sys.executable, "-c", code, sys.executable, "-m", "scanner", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
        check=True,
        env=env,
    )
    return int(out.stdout)
