"""The data an archive inspection produces: severities, findings, members, reports.

These types are the contract between the synchronous core (reader, audit, verification)
and everything that schedules or prints it (the engine, ``scanner zip``, ``scanner scan``).
They hold plain values only, so reports cross thread and process boundaries (pickle) and
serialise to JSON through :meth:`ArchiveReport.as_dict`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from scanner.archives.summary_line import summary_line
from scanner.errors import ItemError
from scanner.extname import add_counts


class Severity(enum.IntEnum):
    """How bad a finding is; ordered, so ``max()`` and ``>=`` thresholds work."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``"high"``/``"HIGH"``/``"3"`` -> :attr:`HIGH`; ValueError for anything else."""
        cleaned = text.strip()
        if cleaned.isdigit():
            return cls(int(cleaned))
        try:
            return cls[cleaned.upper()]
        except KeyError:
            names = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None

    @property
    def label(self) -> str:
        """Lower-case name, as printed and serialised."""
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Finding:
    """One audit result: a stable ``code`` (lower-kebab), a severity, the member it is
    about (None for the archive as a whole) and a human message."""

    code: str
    severity: Severity
    member: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "code": self.code,
            "severity": self.severity.label,
            "member": self.member,
            "message": self.message,
        }


#: Compression method numbers (APPNOTE 4.4.5) to the names used in reports.
METHOD_NAMES: dict[int, str] = {
    0: "stored",
    1: "shrink",
    2: "reduce1",
    3: "reduce2",
    4: "reduce3",
    5: "reduce4",
    6: "implode",
    8: "deflate",
    9: "deflate64",
    10: "pkware-implode",
    12: "bzip2",
    14: "lzma",
    16: "ibm-cmpsc",
    18: "ibm-terse",
    19: "ibm-lz77",
    20: "zstd-deprecated",  # APPNOTE: "deprecated (use method 93 for zstd)"
    93: "zstd",
    94: "mp3",
    95: "xz",
    96: "jpeg",
    97: "wavpack",
    98: "ppmd",
    99: "aes",
}


def method_name(method: int) -> str:
    """Report name of a compression method (``method-N`` when unknown)."""
    name = METHOD_NAMES.get(method)
    return name if name is not None else f"method-{method}"


#: Finding codes that say an archive's declared sizes cannot all be true: an impossible
#: ratio, entries sharing their data (an overlap bomb declares each share in full), data
#: running into the directory or past the end of the file, a stored member whose sizes
#: differ, a member that decompresses to another size (--verify).
SIZE_LIES: frozenset[str] = frozenset(
    {
        "impossible-ratio",
        "overlapping-entries",
        "entry-overlaps-cd",
        "truncated",
        "stored-size-mismatch",
        "size-mismatch",
    }
)


class Member(NamedTuple):
    """One central-directory entry, as declared (nothing is decompressed to build it).

    ``name`` is UTF-8 when general-purpose flag bit 11 is set or the bytes are valid UTF-8
    (as zipinfo and 7-Zip show them), else cp437 (APPNOTE appendix D, as zipfile), or taken
    from the Info-ZIP Unicode Path extra field (0x7075) when its CRC matches the raw name;
    ``raw_name`` keeps the exact bytes. ``mtime`` is an ISO-8601 string from the DOS
    date/time (local time, no zone) or, when present, the 0x5455 extended timestamp or else
    the 0x5855/0x000d Unix field's (UTC, with ``+00:00``), read as Info-ZIP's unzip does
    (unsigned past 2038 when the DOS date agrees). ``create_system`` is the high byte of
    "version made by" (3 = unix).

    A ``NamedTuple`` rather than a frozen slotted dataclass (same names, same immutability,
    attribute access): the reader builds one per central record, and a frozen dataclass's
    ``__init__`` (``object.__setattr__`` per field) cost ~1.6 us against ~0.2 us here -
    0.14 s of a 100k-member listing - and tuples pickle to worker processes far cheaper.
    """

    name: str
    raw_name: bytes
    compressed_size: int
    uncompressed_size: int
    method: int
    crc: int
    flags: int
    mtime: str
    create_system: int
    external_attr: int
    local_header_offset: int
    is_dir: bool
    is_symlink: bool
    encrypted: bool
    zip64: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready mapping (``raw_name`` omitted: ``name`` is what users see)."""
        return {
            "name": self.name,
            "compressed_size": self.compressed_size,
            "uncompressed_size": self.uncompressed_size,
            "method": method_name(self.method),
            "crc": f"{self.crc:08x}",
            "flags": self.flags,
            "mtime": self.mtime,
            "create_system": self.create_system,
            "external_attr": self.external_attr,
            "local_header_offset": self.local_header_offset,
            "is_dir": self.is_dir,
            "is_symlink": self.is_symlink,
            "encrypted": self.encrypted,
            "zip64": self.zip64,
        }


@dataclass(slots=True)
class ArchiveReport:
    """Everything learnt about one archive (or one nested archive).

    ``path`` is the display path; nested archives are ``outer.zip!inner.zip``.
    ``extensions`` maps a case-folded extension without the dot (``""`` for none; dotfiles
    such as ``.bashrc`` have none, as :func:`os.path.splitext` says) to ``(files, bytes)``
    over file members, bytes being declared uncompressed sizes. ``members`` is kept only when
    the config asks for it. ``error`` is set when the file itself could not be read; a
    readable file that is not a valid archive is a finding (``not-a-zip``), not an error.
    """

    path: str
    size: int = 0
    member_count: int = 0
    total_compressed: int = 0
    total_uncompressed: int = 0
    ratio: float = 0.0
    methods: dict[str, int] = field(default_factory=dict)
    encrypted_count: int = 0
    zip64: bool = False
    comment: str = ""
    prefix_bytes: int = 0
    trailing_bytes: int = 0
    extensions: dict[str, tuple[int, int]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    nested: list[ArchiveReport] = field(default_factory=list)
    members: list[Member] | None = None
    error: ItemError | None = None

    @property
    def sizes_implausible(self) -> bool:
        """Whether the audit found this archive's declared sizes to be lies: its members
        declare more compressed bytes than the file holds, or a finding says a size cannot
        be true (:data:`SIZE_LIES`). Totals over many archives count such sizes apart."""
        return self.total_compressed > self.size or any(f.code in SIZE_LIES for f in self.findings)

    @property
    def worst(self) -> Severity | None:
        """The highest severity among this archive's findings and its nested archives'."""
        best: Severity | None = None
        for finding in self.findings:
            if best is None or finding.severity > best:
                best = finding.severity
        for child in self.nested:
            sub = child.worst
            if sub is not None and (best is None or sub > best):
                best = sub
        return best

    def iter_findings(self) -> list[tuple[str, Finding]]:
        """Every finding of this archive and its nested archives, with the archive's path."""
        out = [(self.path, f) for f in self.findings]
        for child in self.nested:
            out.extend(child.iter_findings())
        return out

    def as_dict(self, *, include_members: bool = True) -> dict[str, Any]:
        """JSON-ready mapping (nested reports included recursively)."""
        worst = self.worst
        data: dict[str, Any] = {
            "path": self.path,
            "size": self.size,
            "member_count": self.member_count,
            "total_compressed": self.total_compressed,
            "total_uncompressed": self.total_uncompressed,
            "ratio": round(self.ratio, 3),
            "methods": dict(self.methods),
            "encrypted_count": self.encrypted_count,
            "zip64": self.zip64,
            "comment": self.comment,
            "prefix_bytes": self.prefix_bytes,
            "trailing_bytes": self.trailing_bytes,
            "extensions": {k: {"files": v[0], "bytes": v[1]} for k, v in self.extensions.items()},
            "worst": worst.label if worst is not None else None,
            "findings": [f.as_dict() for f in self.findings],
            "nested": [n.as_dict(include_members=include_members) for n in self.nested],
            "error": None
            if self.error is None
            else {
                "subject": self.error.subject,
                "phase": self.error.phase,
                "message": self.error.message,
                # the walk's error schema: the number and its symbolic name
                "errno": self.error.errno,
                "errno_name": self.error.errno_name,
            },
        }
        if include_members and self.members is not None:
            data["members"] = [m.as_dict() for m in self.members]
        return data


#: Build a Member from a 15-tuple in field order without NamedTuple's Python-level
#: ``__new__`` (the readers' hot loop): ``make_member(Member, (name, raw_name, ...))``.
make_member = tuple.__new__


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file to inspect: its path and, when known from the walk, its size."""

    path: str
    size: int | None = None


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
    #: Members of top-level archives and their declared sizes ...
    members: int = 0
    compressed: int = 0
    uncompressed: int = 0
    #: ... except the sizes of archives whose declared sizes are lies
    #: (:attr:`ArchiveReport.sizes_implausible`): counted here apart, so that one overlap
    #: bomb does not make a tree "hold" exabytes.
    implausible: int = 0
    implausible_compressed: int = 0
    implausible_uncompressed: int = 0
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
        if report.sizes_implausible:
            self.implausible += 1
            self.implausible_compressed += report.total_compressed
            self.implausible_uncompressed += report.total_uncompressed
        else:
            self.compressed += report.total_compressed
            self.uncompressed += report.total_uncompressed
        for _path, finding in report.iter_findings():
            self.findings[finding.severity] += 1
        if self.collect_extensions:
            self._add_extensions(report)

    def _add_extensions(self, report: ArchiveReport) -> None:
        add_counts(self.member_extensions, report.extensions)
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
            "implausible": self.implausible,
            "implausible_compressed": self.implausible_compressed,
            "implausible_uncompressed": self.implausible_uncompressed,
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
        by_sev = ", ".join(
            f"{n:,} {sev.label}" for sev, n in sorted(self.findings.items(), reverse=True) if n
        )
        return summary_line(
            self.archives,
            self.members,
            self.finding_count,
            by_severity=by_sev,
            unreadable=self.errors,
        )
