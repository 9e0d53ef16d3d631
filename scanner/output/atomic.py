"""Report files that appear complete or not at all: written to a temporary file beside the
target and renamed over it (``os.replace``) only when complete. The async form for command
output is ``scanner.output.sink.atomic_file``; :func:`write_atomic` writes a finished text."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from scanner.errors import OperationFailed


def temp_name(target: Path) -> Path:
    """The temporary file beside ``target`` (hidden, unique, same file system)."""
    return target.with_name(f".{target.name}.{os.urandom(6).hex()}.tmp")


def report_target(target: Path) -> tuple[Path, bool]:
    """Where a report for ``target`` is written, and whether atomically (a temporary file
    renamed over it). Not over what is not a regular file: renaming over ``/dev/null`` or a
    named pipe would replace it with a file (as root, ``-o /dev/null`` broke the device for
    every program). A symlink keeps pointing where it did: the file it names is replaced, or
    created when it does not exist yet (as a shell's ``>`` through a dangling link does)."""
    try:
        st = os.stat(target)
    except OSError:  # absent (or unreadable: opening it says why)
        if os.path.islink(target):
            return Path(os.path.realpath(target)), True
        return target, True
    if not stat.S_ISREG(st.st_mode):
        return target, False
    if os.path.islink(target):
        return Path(os.path.realpath(target)), True
    return target, True


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed into place (in place when
    ``path`` is a device or a pipe: see :func:`report_target`)."""
    path, atomic = report_target(Path(path))
    tmp = temp_name(path) if atomic else path
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            if atomic:
                os.fsync(handle.fileno())
        if atomic:
            os.replace(tmp, path)
    except OSError as exc:
        if atomic:
            tmp.unlink(missing_ok=True)
        raise OperationFailed(f"cannot write {path}: {exc.strerror or exc}") from exc
