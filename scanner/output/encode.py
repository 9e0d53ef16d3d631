"""The encoders of the output formats: JSON, JSON Lines and CSV text (also reachable as
``scanner.output.formats.dumps`` and so on)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any


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


__all__ = ["csv_text", "dumps", "dumps_pretty", "jsonl_line"]
