"""Totals over many archive reports: for ``scanner zip``'s summary and ``scanner scan``.

:class:`ArchiveSummary` is fed one report at a time (constant memory whatever the number of
archives) and is what ``scan``'s archives section prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scanner.archives.model import ArchiveReport, Severity


def _zero_severities() -> dict[Severity, int]:
    return dict.fromkeys(Severity, 0)


@dataclass
class ArchiveSummary:
    """Counts over the archives seen so far (nested archives' findings included)."""

    #: Archives inspected (reports without an error), and files that could not be read.
    archives: int = 0
    errors: int = 0
    #: Bytes of the archive files themselves.
    bytes: int = 0
    #: Members of top-level archives and their declared sizes.
    members: int = 0
    compressed: int = 0
    uncompressed: int = 0
    findings: dict[Severity, int] = field(default_factory=_zero_severities)
    #: With ``collect_extensions``: member extension -> (files, bytes), over top-level and
    #: nested archives, for ``scan --into-archives``.
    member_extensions: dict[str, list[int]] = field(default_factory=dict)
    collect_extensions: bool = False

    def add(self, report: ArchiveReport) -> None:
        """Count one report."""
        if report.error is not None:
            self.errors += 1
            return
        self.archives += 1
        self.bytes += report.size
        self.members += report.member_count
        self.compressed += report.total_compressed
        self.uncompressed += report.total_uncompressed
        for _path, finding in report.iter_findings():
            self.findings[finding.severity] += 1
        if self.collect_extensions:
            self._add_extensions(report)

    def _add_extensions(self, report: ArchiveReport) -> None:
        for ext, (files, size) in report.extensions.items():
            slot = self.member_extensions.get(ext)
            if slot is None:
                self.member_extensions[ext] = [files, size]
            else:
                slot[0] += files
                slot[1] += size
        for child in report.nested:
            self._add_extensions(child)

    @property
    def finding_count(self) -> int:
        """All findings, every severity."""
        return sum(self.findings.values())

    @property
    def worst(self) -> Severity | None:
        """The highest severity seen, or None when there was no finding."""
        present = [sev for sev, n in self.findings.items() if n]
        return max(present) if present else None

    def at_or_above(self, threshold: Severity) -> int:
        """Findings at or above ``threshold`` (for ``--fail-on``)."""
        return sum(n for sev, n in self.findings.items() if sev >= threshold)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        worst = self.worst
        data: dict[str, Any] = {
            "archives": self.archives,
            "errors": self.errors,
            "bytes": self.bytes,
            "members": self.members,
            "compressed": self.compressed,
            "uncompressed": self.uncompressed,
            "findings": {sev.label: n for sev, n in self.findings.items()},
            "worst": None if worst is None else worst.label,
        }
        if self.collect_extensions:
            data["member_extensions"] = {
                ext: {"files": v[0], "bytes": v[1]} for ext, v in self.member_extensions.items()
            }
        return data

    def describe(self) -> str:
        """One line for people: ``12 archives, 3,456 members, 2 findings (1 high, 1 low)``."""
        parts = [f"{self.archives:,} archives", f"{self.members:,} members"]
        by_sev = ", ".join(
            f"{n:,} {sev.label}" for sev, n in sorted(self.findings.items(), reverse=True) if n
        )
        parts.append(f"{self.finding_count:,} findings" + (f" ({by_sev})" if by_sev else ""))
        if self.errors:
            parts.append(f"{self.errors:,} unreadable")
        return ", ".join(parts)
