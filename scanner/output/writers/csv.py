"""``--csv``: a header, then rows as records are found (RFC 4180)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from scanner.output.encode import csv_text

if TYPE_CHECKING:
    from scanner.output.sink import Sink
    from scanner.output.writers import View


class CsvWriter:
    """The view's header first (also when no row follows, so the file is valid CSV), then
    its rows; the summary goes to stderr only (a CSV table has one shape)."""

    def __init__(self, sink: Sink, view: View) -> None:
        self._sink = sink
        self._view = view

    async def start(self) -> None:
        """The header."""
        await self._sink.write(csv_text(self._view.csv_header(), []))

    async def write(self, kind: str, items: Sequence[Any]) -> None:
        """The rows of these items."""
        rows = self._view.csv_rows(kind, items)
        if rows:
            await self._sink.write(csv_text((), [_cells(r) for r in rows], with_header=False))

    async def flush(self) -> None:
        """Push the rows out."""
        await self._sink.flush()

    async def finish(self, summary: Mapping[str, Any]) -> None:
        """Nothing after the last row."""


def _cells(row: Sequence[Any]) -> list[Any]:
    return ["" if cell is None else cell for cell in row]
