"""Plain text, streamed: lines as the command prints them (``find``/``fping``/``unzip -l``
style); exact bytes on a pipe, escaped names on a terminal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scanner.output.sink import Sink
    from scanner.output.writers import View


class TextWriter:
    """Writes the view's text of each batch; the summary goes to stderr, not here."""

    def __init__(self, sink: Sink, view: View, *, terminal: bool) -> None:
        self._sink = sink
        self._view = view
        self._terminal = terminal

    async def start(self) -> None:
        """Nothing comes first."""

    async def write(self, kind: str, items: Sequence[Any]) -> None:
        """The lines of these items."""
        text = self._view.text(kind, items, terminal=self._terminal)
        if text:
            await self._sink.write(text)

    async def flush(self) -> None:
        """Push the lines out (a reader sees each batch at once)."""
        await self._sink.flush()

    async def finish(self, summary: Mapping[str, Any]) -> None:
        """Nothing after the last line."""
