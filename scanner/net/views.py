"""How sweep results are written: fping-style lines, JSONL records, CSV rows, one JSON document.

One writer per format behind one small interface (``start``/``host``/``finish``), all over the
same record (:meth:`HostResult.to_record`). Lines and records are written as results arrive;
only ``--json`` holds the host records until the end, because a document is what was asked.
"""

from __future__ import annotations

from typing import Any, Protocol

from scanner.net.model import HOST_RECORD_FIELDS, HostResult, HostState
from scanner.output.formats import Format, csv_text, dumps_pretty, jsonl_line
from scanner.output.sanitize import display_name
from scanner.output.schema import document, record
from scanner.output.sink import Sink

#: Which states a ``--alive`` / ``--unreachable`` filter keeps (fping -a / -u: -u lists
#: every host that is not alive, whatever the reason).
ALIVE_ONLY = frozenset({HostState.ALIVE})
NOT_ALIVE = frozenset({HostState.UNREACHABLE, HostState.UNRESOLVED, HostState.ERROR})


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def host_line(result: HostResult, *, count: int) -> str:
    """One human line, fping's wording: ``127.0.0.1 is alive (0.050 ms)``."""
    who = result.target
    if result.address is not None and result.address != result.target:
        who = f"{result.target} ({result.address})"
    if result.state is HostState.ALIVE:
        if count > 1 or result.received != result.sent:
            detail = (
                f"{result.received}/{result.sent} received, {result.loss_pct:g}% loss, "
                f"rtt min/avg/max {_ms(result.rtt_min)}/{_ms(result.rtt_avg)}/"
                f"{_ms(result.rtt_max)} ms"
            )
        else:
            detail = f"{_ms(result.rtt_avg)} ms"
        return f"{who} is alive ({detail})\n"
    cause = display_name(result.cause or "no reply")
    verb = "is" if result.state is not HostState.ERROR else "could not be pinged:"
    state = result.state.value if result.state is not HostState.ERROR else "error"
    return f"{who} {verb} {state} ({cause})\n"


class Writer(Protocol):
    """Writes results in one format."""

    async def host(self, result: HostResult) -> None:
        """One host's result, as it arrives."""

    async def finish(self, summary: dict[str, Any], *, interrupted: bool) -> None:
        """After the last result (also after a Ctrl-C: the output stays well-formed)."""


class TextWriter:
    """fping-style lines; with a filter, bare targets one per line (``fping -a``)."""

    def __init__(self, sink: Sink, *, count: int, bare: bool) -> None:
        self._sink = sink
        self._count = count
        self._bare = bare

    async def host(self, result: HostResult) -> None:
        """Write one line and flush it (a sweep is slow; lines must show at once)."""
        line = f"{result.target}\n" if self._bare else host_line(result, count=self._count)
        await self._sink.write(line)
        await self._sink.flush()

    async def finish(self, summary: dict[str, Any], *, interrupted: bool) -> None:
        """Nothing to close: the summary goes to stderr."""


class JsonlWriter:
    """One ``host`` record per line, then one ``summary`` record."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink

    async def host(self, result: HostResult) -> None:
        """Write the host record and flush it."""
        await self._sink.write(jsonl_line(result.to_record()))
        await self._sink.flush()

    async def finish(self, summary: dict[str, Any], *, interrupted: bool) -> None:
        """The closing summary record."""
        await self._sink.write(jsonl_line(record("summary", interrupted=interrupted, **summary)))


class CsvWriter:
    """A header, then one row per host."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self._started = False

    async def host(self, result: HostResult) -> None:
        """Write one row (the header before the first)."""
        row = result.as_row()
        await self._sink.write(
            csv_text(
                HOST_RECORD_FIELDS,
                [[_csv(row[k]) for k in HOST_RECORD_FIELDS]],
                with_header=not self._started,
            )
        )
        self._started = True
        await self._sink.flush()

    async def finish(self, summary: dict[str, Any], *, interrupted: bool) -> None:
        """A header alone when nothing was written, so the file is still valid CSV."""
        if not self._started:
            await self._sink.write(csv_text(HOST_RECORD_FIELDS, []))


def _csv(value: object) -> object:
    return "" if value is None else value


class JsonWriter:
    """One document at the end: ``{"schema": ..., "hosts": [...], "summary": {...}}``."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self._hosts: list[dict[str, Any]] = []

    async def host(self, result: HostResult) -> None:
        """Keep the record for the document."""
        self._hosts.append(result.to_record())

    async def finish(self, summary: dict[str, Any], *, interrupted: bool) -> None:
        """Write the whole document."""
        doc = document("ping", hosts=self._hosts, summary={**summary, "interrupted": interrupted})
        await self._sink.write(dumps_pretty(doc))


def make_writer(fmt: Format, sink: Sink, *, count: int, bare: bool) -> Writer:
    """The writer for ``fmt`` (TEXT and TABLE both stream lines: a sweep is a stream)."""
    if fmt is Format.JSONL:
        return JsonlWriter(sink)
    if fmt is Format.CSV:
        return CsvWriter(sink)
    if fmt is Format.JSON:
        return JsonWriter(sink)
    return TextWriter(sink, count=count, bare=bare)
