"""The one-line run summary of ``scanner zip`` on stderr, in one place.

Its own module, importing nearly nothing, because the ``zip --names`` fast path
(:mod:`scanner.entry`) prints it without importing the report model.
"""

from __future__ import annotations

from scanner.output.words import counted


def summary_line(
    archives: int, members: int, findings: int, *, by_severity: str = "", unreadable: int = 0
) -> str:
    """``12 archives, 3,456 members, 2 findings (1 high, 1 low)``, plus ``, N unreadable``
    (``1 archive``, ``1 finding``: singular for one)."""
    parts = [counted(archives, "archive"), counted(members, "member")]
    parts.append(counted(findings, "finding") + (f" ({by_severity})" if by_severity else ""))
    if unreadable:
        parts.append(f"{unreadable:,} unreadable")
    return ", ".join(parts)
