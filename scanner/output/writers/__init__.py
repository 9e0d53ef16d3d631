"""One writer per output format over one record stream (hyperfine's one exporter per
format, for a stream).

A command's job emits records as it finds them: a *kind* (``entry``, ``error``, ``host``,
``archive``, ``extension``, ...) and a batch of items of that kind. The writer of the chosen
format encodes them through the command's :class:`View` — the one place that knows what an
entry or a host looks like as JSON fields, a CSV row, a line of text or a table — and writes
them to a sink. The summary comes last, with ``interrupted`` set when the run was stopped:
every format stays well-formed (a JSON document is closed, CSV keeps its header).

Adding a format is one module here with a class that implements :class:`Writer`, and one
line in :func:`make_writer`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from scanner.output.formats import Format

if TYPE_CHECKING:
    from rich.console import RenderableType

    from scanner.output.sink import Sink


class View(Protocol):
    """How one command's records look in every format."""

    #: The command's name (``"command"`` of a JSON document).
    command: str

    def fields(self, kind: str, item: Any) -> dict[str, Any]:
        """The JSON fields of one item (``--jsonl`` adds ``record`` and ``schema_version``)."""
        ...

    def jsonl_record(self, kind: str) -> bool:
        """Whether items of this kind are ``--jsonl`` records (some kinds exist only to
        build a JSON document or a table)."""
        ...

    def text(self, kind: str, items: Sequence[Any], *, terminal: bool) -> str:
        """Plain text for these items ("" for none): exact names on a pipe, escaped on a
        terminal."""
        ...

    def csv_header(self) -> Sequence[str]:
        """The CSV columns (written once, first, even when no row follows)."""
        ...

    def csv_rows(self, kind: str, items: Sequence[Any]) -> Sequence[Sequence[Any]]:
        """CSV rows for these items (none for kinds CSV leaves out)."""
        ...

    #: JSON list keys whose items are sorted by their ``path`` field at the end.
    sorted_lists: frozenset[str]

    def json_key(self, kind: str) -> tuple[str, bool] | None:
        """Where a kind goes in the ``--json`` document: (key, is a list), ("", False) to
        merge its fields into the top level, or None to leave it out."""
        ...

    def tables(
        self, records: Sequence[tuple[str, Any]], *, width: int | None
    ) -> list[RenderableType]:
        """The tables for people of a TABLE run (all records, in order); ``width`` is the
        terminal's, or None for full-width plain text (a pipe or a file)."""
        ...


class Writer(Protocol):
    """Writes one format."""

    async def start(self) -> None:
        """Before the first record."""
        ...

    async def write(self, kind: str, items: Sequence[Any]) -> None:
        """Records as they are found (a batch of one kind)."""
        ...

    async def flush(self) -> None:
        """Push what was written out (a streaming command calls this per batch)."""
        ...

    async def finish(self, summary: Mapping[str, Any]) -> None:
        """After the last record: the summary (``summary["interrupted"]`` says whether the
        run was stopped); the output is complete and well-formed after this."""
        ...


#: The module of each format's writer (in this package).
_MODULES = {
    Format.JSONL: "jsonl",
    Format.JSON: "json",
    Format.CSV: "csv",
    Format.TABLE: "table",
    Format.TEXT: "text",
}


def load_writer(fmt: Format) -> None:
    """Import the writer of ``fmt`` now: before an event loop starts, where no task group
    is there for a signal to interrupt an import (see ``scanner.runtime.command``); the
    other formats' writers, and their encoders, stay unloaded."""
    import importlib

    importlib.import_module(f"{__name__}.{_MODULES[fmt]}")


def make_writer(
    fmt: Format, sink: Sink, view: View, *, terminal: bool, streamed: str | None = None
) -> Writer:
    """The writer for ``fmt``. ``terminal``: stdout is a terminal (names escaped, tables
    fitted to its width). ``streamed``: the JSON list key written as records arrive (one
    per document at most); the other keys are written at the end."""
    if fmt is Format.JSONL:
        from scanner.output.writers.jsonl import JsonlWriter

        return JsonlWriter(sink, view)
    if fmt is Format.JSON:
        from scanner.output.writers.json import JsonWriter

        return JsonWriter(sink, view, streamed=streamed)
    if fmt is Format.CSV:
        from scanner.output.writers.csv import CsvWriter

        return CsvWriter(sink, view)
    if fmt is Format.TABLE:
        from scanner.output.writers.table import TableWriter

        return TableWriter(sink, view, terminal=terminal)
    from scanner.output.writers.text import TextWriter

    return TextWriter(sink, view, terminal=terminal)


__all__ = ["View", "Writer", "load_writer", "make_writer"]
