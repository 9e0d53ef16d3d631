"""The versioned schema shared by every machine-readable output.

Every ``--json`` document is ``{"schema": SCHEMA_NAME, "schema_version": N, "command": ...}``
plus the command's data; every ``--jsonl`` line is one record with a ``"record"`` key naming
its kind (``entry``, ``error``, ``summary``, ``archive``, ``host``, ...) and the same
``schema_version``. Version bumps are for incompatible changes only.
"""

from __future__ import annotations

from typing import Any, Final

SCHEMA_NAME: Final = "scanner"
SCHEMA_VERSION: Final = 1


def document(command: str, **data: Any) -> dict[str, Any]:
    """The envelope of a ``--json`` document."""
    return {"schema": SCHEMA_NAME, "schema_version": SCHEMA_VERSION, "command": command, **data}


def record(kind: str, **data: Any) -> dict[str, Any]:
    """One ``--jsonl`` record."""
    return {"record": kind, "schema_version": SCHEMA_VERSION, **data}
