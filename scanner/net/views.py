"""What ``scanner ping`` prints: fping-style lines, host records (JSON/JSONL/CSV), the
stderr summary.

The writers themselves are format-generic (``scanner.output.writers``); this view says what a
host looks like in each format. Every format streams: a /16 sweep never holds its results.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from scanner.net.model import (
    HOST_RECORD_FIELDS,
    HostResult,
    HostState,
    PortResult,
    PortRow,
    PortState,
    SweepSummary,
)
from scanner.net.replies import REPLY, TIMEOUT, Reply
from scanner.output.sanitize import display_name

if TYPE_CHECKING:
    from rich.console import RenderableType

#: Which states a ``--alive`` / ``--unreachable`` filter keeps (fping -a / -u: -u lists
#: every host that is not alive, whatever the reason).
ALIVE_ONLY = frozenset({HostState.ALIVE})
NOT_ALIVE = frozenset({HostState.UNREACHABLE, HostState.UNRESOLVED, HostState.ERROR})


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _figures(got: HostResult | PortResult, *, count: int, word: str = "received") -> str:
    if count > 1 or got.sent > 1 or got.received != got.sent:  # -c, -l, several ports
        return (
            f"{got.received}/{got.sent} {word}, {got.loss_pct:g}% loss, "
            f"rtt min/avg/max {_ms(got.rtt_min)}/{_ms(got.rtt_avg)}/{_ms(got.rtt_max)} ms"
        )
    return f"{_ms(got.rtt_avg)} ms"


def host_line(result: HostResult, count: int) -> str:
    """One human line, fping's wording: ``127.0.0.1 is alive (0.050 ms)``."""
    who = result.target
    if result.address is not None and result.address != result.target:
        who = f"{result.target} ({result.address})"
    if result.state is HostState.ALIVE:
        if count == 1 and result.sent == 1 == result.received and result.rtt_avg is not None:
            return f"{who} is alive ({result.rtt_avg:.3f} ms)\n"  # _figures' common case
        return f"{who} is alive ({_figures(result, count=count)})\n"
    cause = display_name(result.cause or "no reply")
    verb = "is" if result.state is not HostState.ERROR else "could not be pinged:"
    state = result.state.value if result.state is not HostState.ERROR else "error"
    return f"{who} {verb} {state} ({cause})\n"


def host_port(address: str, port: int) -> str:
    """``127.0.0.1:80``, ``[::1]:80``."""
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def port_line(row: PortRow, *, count: int) -> str:
    """One port of a TCP probe: ``127.0.0.1:8080 open (0.052 ms)``, ``... closed (0.031 ms)``,
    ``... filtered (timeout)``."""
    port = row.port
    where = host_port(row.host.address or row.host.target, port.port)
    if port.state in (PortState.OPEN, PortState.CLOSED):
        detail = _figures(port, count=count, word="answered")
    else:
        detail = display_name(port.cause or "no answer")
    return f"{where} {port.state.value} ({detail})\n"


def reply_line(reply: Reply) -> str:
    """One request, ``fping -c``'s line: ``127.0.0.1 : [0], 64 bytes, 0.045 ms (0.045 avg,
    0% loss)``, ``127.0.0.1:80 : [1], open, 0.112 ms (...)``, ``... [2], timed out (...)``."""
    who = reply.target
    if reply.port is not None:
        who = host_port(reply.address or reply.target, reply.port)
    if reply.outcome == REPLY:
        size = f"{reply.size} bytes, " if reply.size is not None else ""
        what = f"{size}{_ms(reply.rtt_ms)} ms"
    elif reply.answered:  # a TCP answer: open or closed
        what = f"{reply.outcome}, {_ms(reply.rtt_ms)} ms"
    elif reply.outcome == TIMEOUT:
        what = "timed out"
    else:
        what = f"{reply.outcome} ({display_name(reply.cause or 'no answer')})"
    loss = f"{reply.loss_pct:g}% loss"
    so_far = loss if reply.avg_ms is None else f"{reply.avg_ms:.3f} avg, {loss}"
    return f"{display_name(who)} : [{reply.seq}], {what} ({so_far})\n"


def _text(items: Sequence[HostResult | PortRow], *, count: int) -> str:
    """Lines of a batch: a TCP host's port lines, then its host line."""
    lines: list[str] = []
    for i, item in enumerate(items):
        if not isinstance(item, PortRow):
            lines.append(host_line(item, count))
            continue
        lines.append(port_line(item, count=count))
        after = items[i + 1] if i + 1 < len(items) else None
        if not isinstance(after, PortRow) or after.host is not item.host:
            lines.append(host_line(item.host, count=count))
    return "".join(lines)


def _bare(items: Sequence[HostResult | PortRow]) -> str:
    """One target per host (``--alive``/``--unreachable``), once for all its ports."""
    hosts = dict.fromkeys(item.host if isinstance(item, PortRow) else item for item in items)
    return "".join(f"{h.target}\n" for h in hosts)


class PingView:
    """Hosts in every format (``host`` records, one per target, in completion order)."""

    command = "ping"
    sorted_lists: frozenset[str] = frozenset()

    def __init__(self, *, count: int, bare: bool) -> None:
        #: Echo requests per host (lines show loss and min/avg/max when more than one).
        self.count = count
        #: ``--alive``/``--unreachable``: lines are bare targets, as ``fping -a`` prints.
        self.bare = bare

    def fields(self, kind: str, item: HostResult | PortRow | Reply) -> dict[str, Any]:
        """The host record's fields (:data:`HOST_RECORD_FIELDS`, nulls never absent); a
        ``reply`` record's (:data:`~scanner.net.replies.REPLY_RECORD_FIELDS`)."""
        return item.as_row()

    def jsonl_record(self, kind: str) -> bool:
        """Every host is a record."""
        return True

    def text(self, kind: str, items: Sequence[Any], *, terminal: bool) -> str:
        """fping's lines (or bare targets, and then no reply lines)."""
        if kind == "reply":
            return "" if self.bare else "".join(reply_line(r) for r in items)
        if self.bare:
            return _bare(items)
        return _text(items, count=self.count)

    def csv_header(self) -> Sequence[str]:
        """One column per host field."""
        return HOST_RECORD_FIELDS

    def csv_rows(self, kind: str, items: Sequence[Any]) -> Sequence[Sequence[Any]]:
        """One row per host (replies have another shape: CSV leaves them out)."""
        if kind == "reply":
            return []
        rows: list[Sequence[Any]] = []
        for r in items:
            row = r.as_row()
            rows.append([row[k] for k in HOST_RECORD_FIELDS])
        return rows

    def json_key(self, kind: str) -> tuple[str, bool] | None:
        """``hosts``: a list (streamed); replies are left out (a document is read whole:
        ``--jsonl`` is the format for them)."""
        return None if kind == "reply" else ("hosts", True)

    def tables(
        self, records: Sequence[tuple[str, Any]], *, width: int | None
    ) -> list[RenderableType]:
        """No tables: a sweep is a stream of lines."""
        return []


def summary_line(summary: SweepSummary, *, interrupted: bool) -> str:
    """The stderr summary: ``20 hosts: 18 alive, 2 unreachable ... in 1.02 s (19.6 hosts/s)``."""
    parts = [f"{summary.alive} alive", f"{summary.unreachable} unreachable"]
    if summary.unresolved:
        parts.append(f"{summary.unresolved} unresolved")
    if summary.error:
        parts.append(f"{summary.error} error{'s' if summary.error != 1 else ''}")
    head = "interrupted after " if interrupted else ""
    return (
        f"scanner: {head}{summary.total} host{'s' if summary.total != 1 else ''}: "
        f"{', '.join(parts)} in {summary.elapsed_s:.2f} s ({summary.hosts_per_s:.1f} hosts/s)\n"
    )


def progress_line(summary: SweepSummary) -> str:
    """The live progress line."""
    return (
        f"{summary.total} hosts: {summary.alive} alive, {summary.unreachable} unreachable, "
        f"{summary.unresolved} unresolved, {summary.error} errors  {summary.elapsed_s:.1f} s"
    )
