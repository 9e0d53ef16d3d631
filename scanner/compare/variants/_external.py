"""External anchors: well-known tools doing comparable work, run from the worker.

Their results are not comparable field by field (``find`` prints names, ``zipinfo`` member
lines), so anchors take no part in the identical-result check; their summaries count lines
of output so that a reader can still see they did the same amount of work.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence

_CHUNK = 1 << 16


def tool_output(argv: Sequence[str], *, stdin: bytes | None = None) -> bytes:
    """Run ``argv`` (never a shell) and return its stdout (stderr is dropped)."""
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    out, _ = proc.communicate(stdin)
    return out


def missing_tool(*names: str) -> str | None:
    """None when one of ``names`` is on PATH, else why the anchor cannot run."""
    if any(shutil.which(n) for n in names):
        return None
    return f"{' / '.join(names)} not installed"


def which(*names: str) -> str:
    """The first of ``names`` found on PATH."""
    for n in names:
        found = shutil.which(n)
        if found:
            return found
    raise FileNotFoundError(f"{' / '.join(names)} not installed")
