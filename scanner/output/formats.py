"""Output formats and their encoders (one schema, several encodings).

The encoders live in :mod:`scanner.output.encode` and are loaded on first use: a command
that prints text lines (a ping sweep) never imports ``json`` or ``csv``."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from scanner.errors import UsageProblem
from scanner.lazy import lazy_attributes

if TYPE_CHECKING:
    from scanner.output.encode import csv_text, dumps, dumps_pretty, jsonl_line


#: The encoders, re-exported from :mod:`scanner.output.encode`.
_ENCODERS = ("csv_text", "dumps", "dumps_pretty", "jsonl_line")


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


def iso_time(epoch: float | None) -> str | None:
    """An epoch time as ISO 8601 in UTC (``2026-12-06T20:11:06.681607Z``), for JSON and CSV
    beside the epoch value; None stays None."""
    if epoch is None:
        return None
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, tz=UTC).isoformat().replace("+00:00", "Z")


__getattr__ = lazy_attributes(__name__, dict.fromkeys(_ENCODERS, "scanner.output.encode"))

__all__ = ["Format", "choose_format", "csv_text", "dumps", "dumps_pretty", "iso_time", "jsonl_line"]
