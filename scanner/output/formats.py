"""Output formats and their encoders (one schema, several encodings)."""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from scanner.errors import UsageProblem


class Format(enum.Enum):
    """How a command writes its data to stdout or ``--output``."""

    TABLE = "table"  # rich tables for people (default on a terminal)
    TEXT = "text"  # plain lines (walk's default, like find/fd)
    JSON = "json"  # one document
    JSONL = "jsonl"  # one record per line, as found
    CSV = "csv"


def choose_format(*, json: bool, jsonl: bool, csv: bool, default: Format) -> Format:
    """Pick the single format asked for; two at once is a usage error."""
    chosen = [
        fmt for flag, fmt in ((json, Format.JSON), (jsonl, Format.JSONL), (csv, Format.CSV)) if flag
    ]
    if len(chosen) > 1:
        raise UsageProblem("choose one of --json, --jsonl, --csv")
    return chosen[0] if chosen else default


def dumps(obj: Any) -> str:
    """Compact JSON; non-ASCII kept as UTF-8 (callers pass sanitised strings)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def dumps_pretty(obj: Any) -> str:
    """Indented JSON for ``--json`` documents."""
    return json.dumps(obj, ensure_ascii=False, indent=2) + "\n"


def jsonl_line(obj: Any) -> str:
    """One JSON Lines record, newline-terminated."""
    return dumps(obj) + "\n"


def csv_text(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, with_header: bool = True
) -> str:
    """Rows as RFC 4180 CSV text (``\\r\\n`` line ends, as the csv module writes them)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    if with_header:
        writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def iso_time(epoch: float | None) -> str | None:
    """An epoch time as ISO 8601 in UTC (``2026-12-06T20:11:06.681607Z``), for JSON and CSV
    beside the epoch value; None stays None."""
    if epoch is None:
        return None
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, tz=UTC).isoformat().replace("+00:00", "Z")
