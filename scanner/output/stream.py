"""The record stream a command's job writes to (the runtime implements it).

Jobs live in the engine packages and never see sinks, writers, progress displays or
signals: they emit batches of records as they find them and the occasional diagnostic line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class RecordStream(Protocol):
    """Where a job's records and diagnostics go."""

    async def emit(self, kind: str, items: Sequence[Any]) -> None:
        """Write a batch of records of one kind, as found (and push them out)."""
        ...

    def warn(self, line: str) -> None:
        """A diagnostic line on stderr (never on stdout; above a progress line, if any)."""
        ...
