"""``--jsonl``: one JSON record per line, written as found."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from scanner.output.encode import jsonl_line
from scanner.output.schema import record

if TYPE_CHECKING:
    from scanner.output.sink import Sink
    from scanner.output.writers import View


class JsonlWriter:
    """Each item is a ``{"record": kind, "schema_version": N, ...fields}`` line."""

    def __init__(self, sink: Sink, view: View) -> None:
        self._sink = sink
        self._view = view

    async def start(self) -> None:
        """Nothing comes before the first record."""

    async def write(self, kind: str, items: Sequence[Any]) -> None:
        """One line per item."""
        if not self._view.jsonl_record(kind):
            return
        fields = self._view.fields
        await self._sink.write("".join(jsonl_line(record(kind, **fields(kind, i))) for i in items))

    async def flush(self) -> None:
        """Push the lines out."""
        await self._sink.flush()

    async def finish(self, summary: Mapping[str, Any]) -> None:
        """The ``summary`` record closes the stream."""
        await self._sink.write(jsonl_line(record("summary", **summary)))
