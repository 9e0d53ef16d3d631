"""Lists too large to hold, kept on disk until a JSON document is written.

A ``--json`` document is written at the end (its lists are sorted, its summary comes last),
so whatever it nests must be kept until then. ``scanner zip --list --json`` nests every
member in its archive: a 1,000,000-member archive held as member records cost ~3.7 GB. A
:class:`Spool` keeps such items as compact JSON lines in one unnamed temporary file (a few
hundred bytes per member), a :class:`SpooledList` stands for one run of them inside the
document, and :func:`iter_pretty` writes the document piece by piece, reading each spooled
list back as it goes: the bytes are exactly those of ``json.dumps(doc, indent=2)``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator
from typing import Any

#: Bytes read back from the spool at a time.
_READ = 1 << 20


class Spool:
    """An append-only file of JSON values, one per line; thread-safe appends."""

    def __init__(self) -> None:
        import tempfile  # only for a spooled document: every command imports this module

        # unnamed (unlinked at once on POSIX): nothing is left behind, whatever ends the run
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the spool
        self._lock = threading.Lock()
        self._end = 0

    def append(self, values: Iterable[Any]) -> tuple[int, int, int]:
        """Write ``values``; return (start offset, end offset, count) of what was written."""
        lines = [json.dumps(v, ensure_ascii=False, separators=(",", ":")) for v in values]
        data = ("\n".join(lines) + "\n").encode() if lines else b""
        with self._lock:
            start = self._end
            self._file.write(data)
            self._end += len(data)
        return start, self._end, len(lines)

    def read(self, start: int, end: int) -> Iterator[Any]:
        """The values written between two offsets, in order."""
        with self._lock:
            self._file.flush()
        fd = self._file.fileno()
        rest = b""
        while start < end:
            block = os.pread(fd, min(_READ, end - start), start)
            if not block:
                raise OSError(f"spool file ends at {start}, expected {end}")
            start += len(block)
            lines = (rest + block).split(b"\n")
            rest = lines.pop()
            for line in lines:
                yield json.loads(line)
        if rest:
            yield json.loads(rest)

    def close(self) -> None:
        """Remove the file (it is removed at exit anyway)."""
        self._file.close()


class SpooledList:
    """A JSON list whose items are runs of a :class:`Spool`, in the order they were added."""

    def __init__(self, spool: Spool) -> None:
        self._spool = spool
        self._runs: list[tuple[int, int]] = []
        self.count = 0

    def add(self, run: tuple[int, int, int]) -> None:
        """Append a run returned by :meth:`Spool.append`."""
        start, end, count = run
        if count:
            if self._runs and self._runs[-1][1] == start:
                self._runs[-1] = (self._runs[-1][0], end)  # adjacent: one read
            else:
                self._runs.append((start, end))
            self.count += count

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Any]:
        for start, end in self._runs:
            yield from self._spool.read(start, end)


def _dumps(value: Any, level: int) -> str:
    if isinstance(value, dict) and value and not any(
        isinstance(v, (dict, list, tuple)) for v in value.values()
    ):
        # a flat object (a member record): json's C encoder with the indented separators,
        # ~10x faster than its indenting encoder, which is pure Python
        inner = "\n" + "  " * (level + 1)
        body = json.dumps(value, ensure_ascii=False, separators=("," + inner, ": "))
        return "{" + inner + body[1:-1] + "\n" + "  " * level + "}"
    text = json.dumps(value, ensure_ascii=False, indent=2)
    # json's output at nesting level L is its output at level 0 with each line after the
    # first indented by 2L more spaces (strings never hold a raw newline)
    return text.replace("\n", "\n" + "  " * level) if level and "\n" in text else text


def iter_pretty(value: Any, level: int = 0) -> Iterator[str]:
    """``json.dumps(value, ensure_ascii=False, indent=2)`` in pieces, with every
    :class:`SpooledList` inside written as the list of its items, read back as needed."""
    if isinstance(value, SpooledList):
        items: Iterable[Any] = value
        empty = not len(value)
    elif isinstance(value, (list, tuple)):
        items, empty = value, not value
    elif isinstance(value, dict):
        if not value:
            yield "{}"
            return
        inner = "\n" + "  " * (level + 1)
        first = True
        for key, item in value.items():
            yield ("{" if first else ",") + inner + json.dumps(str(key), ensure_ascii=False) + ": "
            first = False
            yield from iter_pretty(item, level + 1)
        yield "\n" + "  " * level + "}"
        return
    else:
        yield _dumps(value, level)
        return
    if empty:
        yield "[]"
        return
    inner = "\n" + "  " * (level + 1)
    first = True
    spooled = isinstance(value, SpooledList)  # its items hold no spooled list
    for item in items:
        yield ("[" if first else ",") + inner
        first = False
        if not spooled and isinstance(item, (dict, list, tuple)) and _holds_spool(item):
            yield from iter_pretty(item, level + 1)
        else:
            yield _dumps(item, level + 1)
    yield "\n" + "  " * level + "]"


def _holds_spool(value: Any) -> bool:
    if isinstance(value, SpooledList):
        return True
    if isinstance(value, dict):
        return any(_holds_spool(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds_spool(v) for v in value)
    return False
