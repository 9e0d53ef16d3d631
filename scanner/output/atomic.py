"""Report files that appear complete or not at all: written to a temporary file beside the
target and renamed over it (``os.replace``) only when complete. The async form for command
output is ``scanner.output.sink.atomic_file``; :func:`write_atomic` writes a finished text."""

from __future__ import annotations

import os
from pathlib import Path

from scanner.errors import OperationFailed


def temp_name(target: Path) -> Path:
    """The temporary file beside ``target`` (hidden, unique, same file system)."""
    return target.with_name(f".{target.name}.{os.urandom(6).hex()}.tmp")


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed into place."""
    path = Path(path)
    tmp = temp_name(path)
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OperationFailed(f"cannot write {path}: {exc.strerror or exc}") from exc
