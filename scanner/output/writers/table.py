"""Tables for people: rich tables fitted to a terminal, or full-width plain text on a pipe
or in a file (never cut, no box drawing, columns separated by spaces, so grep and awk work).

Everything is kept until the end: a table needs all its rows (the engines bound them:
extension tables, the largest files, kept errors, one row per archive).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scanner.output.sink import Sink
    from scanner.output.writers import View


class TableWriter:
    """Keeps the records and prints the view's tables at the end."""

    def __init__(self, sink: Sink, view: View, *, terminal: bool) -> None:
        self._sink = sink
        self._view = view
        self._terminal = terminal
        self._records: list[tuple[str, Any]] = []

    async def start(self) -> None:
        """Nothing is printed before the end."""

    async def write(self, kind: str, items: Sequence[Any]) -> None:
        """Keep the records for the tables."""
        self._records.extend((kind, item) for item in items)

    async def flush(self) -> None:
        """Nothing to push before the end."""

    async def finish(self, summary: Mapping[str, Any]) -> None:
        """Render and write the tables (the summary itself goes to stderr)."""
        width = terminal_width() if self._terminal else None
        tables = self._view.tables(self._records, width=width)
        if tables:
            await self._sink.write(render(tables, width=width))


def terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size().columns


def render(renderables: Sequence[Any], *, width: int | None) -> str:
    """Rich renderables as text: coloured and fitted for a terminal of ``width`` columns, or
    (``width`` None) plain, unboxed and as wide as the widest row. Plain tables that
    ``scanner.output.table`` draws itself are written without importing rich."""
    from scanner.output import table as described

    if width is None:
        drawn = [
            described.plain(t) if isinstance(t, described.Table) else None for t in renderables
        ]
        if all(text is not None for text in drawn):
            return "".join(text for text in drawn if text is not None)
        renderables = [
            t.__rich__() if isinstance(t, described.Table) else t for t in renderables
        ]
    from rich.console import Console
    from rich.table import Table

    buf = io.StringIO()
    if width is None:
        for item in renderables:
            if isinstance(item, Table):
                item.box = None
                item.pad_edge = False
                item.expand = False
        console = Console(
            file=buf, width=1 << 20, color_system=None, force_terminal=False, highlight=False,
            soft_wrap=False,
        )  # fmt: skip
    else:
        console = Console(file=buf, width=width, force_terminal=True, highlight=False)
    for item in renderables:
        console.print(item)
    text = buf.getvalue()
    if width is None:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    return text
