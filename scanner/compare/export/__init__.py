"""Exporters of a :class:`~scanner.compare.results.BenchReport`, one module per format."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from scanner.errors import OperationFailed


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed into place."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OperationFailed(f"cannot write {path}: {exc.strerror or exc}") from exc
