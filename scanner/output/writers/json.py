"""``--json``: one document, ``{"schema", "schema_version", "command", ..., "summary"}``.

A view may name one list key that *streams*: its items are written as they arrive, so a
document with millions of entries never sits in memory (walk's ``entries``, ping's
``hosts``); every other key is kept until the end (bounded by the engines: errors kept,
tables, archives). Without a streamed key the document is written at the end, indented.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from scanner.output.encode import dumps
from scanner.output.schema import document
from scanner.output.spool import iter_pretty

if TYPE_CHECKING:
    from scanner.output.sink import Sink
    from scanner.output.writers import View


#: Characters of an indented document handed to the sink at a time.
_CHUNK = 1 << 20


class JsonWriter:
    """One JSON document over the record stream."""

    def __init__(self, sink: Sink, view: View, *, streamed: str | None = None) -> None:
        self._sink = sink
        self._view = view
        self._streamed = streamed
        self._first = True
        self._keys: dict[str, Any] = {}

    async def start(self) -> None:
        """Open the document and the streamed list."""
        if self._streamed is not None:
            head = dumps(document(self._view.command))[:-1]
            await self._sink.write(f"{head},{dumps(self._streamed)}:[")

    async def write(self, kind: str, items: Sequence[Any]) -> None:
        """Stream or keep these items, where the view puts their kind."""
        place = self._view.json_key(kind)
        if place is None:
            return
        key, many = place
        if many and key != self._streamed:
            self._keys.setdefault(key, [])  # present, if empty, in the document
        if not items:
            return
        fields = self._view.fields
        if key == self._streamed:
            parts = []
            for item in items:
                parts.append(("\n" if self._first else ",\n") + dumps(fields(kind, item)))
                self._first = False
            await self._sink.write("".join(parts))
        elif many:
            self._keys.setdefault(key, []).extend(fields(kind, i) for i in items)
        elif key:
            self._keys[key] = fields(kind, items[-1])
        else:
            self._keys.update(fields(kind, items[-1]))

    async def flush(self) -> None:
        """Push the streamed items out."""
        await self._sink.flush()

    async def finish(self, summary: Mapping[str, Any]) -> None:
        """Close the document with the kept keys and the summary."""
        for key in self._view.sorted_lists:
            if key in self._keys:
                self._keys[key].sort(key=lambda fields: str(fields.get("path", "")))
        if self._streamed is None:
            doc = document(self._view.command, **self._keys, summary=dict(summary))
            # in pieces: a spooled list (zip --list --json) is read back as it is written
            parts: list[str] = []
            size = 0
            for part in iter_pretty(doc):
                parts.append(part)
                size += len(part)
                if size >= _CHUNK:
                    await self._sink.write("".join(parts))
                    parts, size = [], 0
            parts.append("\n")
            await self._sink.write("".join(parts))
            return
        rest = "".join(f",{dumps(key)}:{dumps(value)}" for key, value in self._keys.items())
        await self._sink.write(f'\n]{rest},"summary":{dumps(dict(summary))}}}\n')
