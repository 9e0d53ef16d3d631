"""Every finding code the audit can emit, with its fixed severity, and a bounded collector.

Codes are stable lower-kebab identifiers: scripts filter on them, so a code never changes
meaning; a new condition gets a new code. One code has one severity, so ``--fail-on``
behaves the same for every archive.
"""

from __future__ import annotations

from typing import Final

from scanner.archives.model import Finding, Severity

C, H, M, L, N = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.INFO,  # N for "note"
)

#: code -> (severity, one-line description). The single source for docs and ``--explain``.
CODES: Final[dict[str, tuple[Severity, str]]] = {
    # structure: end records and central directory
    "not-a-zip": (M, "no end-of-central-directory record: not a zip archive"),
    "truncated": (H, "the archive ends before its declared data (cut-off download or copy)"),
    "empty-file": (L, "the file is empty"),
    "cd-out-of-bounds": (H, "the central directory lies (partly) outside the file"),
    "cd-too-small": (H, "the central directory is too small for its declared member count"),
    "cd-count-mismatch": (M, "the end record's member count differs from the central directory"),
    "bad-central-header": (H, "a central directory record has a bad signature or overruns"),
    "multiple-end-records": (H, "more than one end-of-central-directory record"),
    "trailing-data": (L, "data after the end-of-central-directory record"),
    "prefix-data": (N, "data before the first entry (self-extracting executable, polyglot)"),
    "multi-disk": (M, "a spanned/split archive (disk numbers not zero)"),
    "zip64-record-missing": (H, "a ZIP64 locator without a ZIP64 end record"),
    "zip64-missing": (M, "end record values are ZIP64 sentinels but there is no ZIP64 record"),
    "zip64-mismatch": (H, "ZIP64 end record and classic end record disagree"),
    "zip64-record-gap": (
        M,
        "bytes between the ZIP64 end record and its locator, or an overlap (zipfile and "
        "libzip refuse such an archive)",
    ),
    "zip64-extra-missing": (H, "a 0xFFFFFFFF size/offset without its ZIP64 extra field value"),
    "bad-extra-field": (
        M,
        "a malformed extra field, central or local (a length past its end, a field given "
        "twice): unzip -t, 7-Zip, libzip or zipfile refuse it, others read past it",
    ),
    # local entries
    "bad-local-header": (H, "a central record points to no local header (pointing nowhere)"),
    "local-mismatch": (H, "local header and central directory disagree (name, CRC, sizes, ...)"),
    "local-time-mismatch": (L, "local header and central directory give different times"),
    "orphan-local-header": (M, "a local header no central record refers to (hidden entry)"),
    "padding-entry": (
        N,
        "local headers with no name, no data and a zero-filled extra field between entries: "
        "Android's zipflinger padding ('virtual entries'), nothing to extract",
    ),
    "overlapping-entries": (C, "entries overlap each other (Fifield's overlapping zip bomb)"),
    "entry-overlaps-cd": (H, "an entry's data overlaps the central directory or end records"),
    # sizes and ratios
    "impossible-ratio": (C, "a declared ratio the compression method cannot produce"),
    "stored-size-mismatch": (H, "a stored member whose sizes differ"),
    "unknown-method": (
        M,
        "a compression method number no specification defines: no tool can extract it",
    ),
    "high-ratio": (M, "a high compression ratio on a large member (possible bomb)"),
    "total-size-over-limit": (H, "total declared uncompressed size over the limit"),
    "member-count-over-limit": (M, "more members than the limit"),
    "members-not-read": (H, "more central records than the hard limit: the rest was not read"),
    # names
    "path-traversal": (H, "a name with '..' components that escapes the extraction folder"),
    "absolute-path": (H, "a name starting with '/' (absolute path)"),
    "drive-letter": (H, "a name with a drive letter (C:)"),
    "unc-path": (H, "a UNC name (\\\\server\\share)"),
    "backslash-in-name": (M, "a name with backslashes (path separators on Windows)"),
    "nul-in-name": (H, "a name containing NUL (truncated by C-based extractors)"),
    "control-char-in-name": (L, "a name containing control characters"),
    "duplicate-name": (H, "two members with the same name (which one is extracted?)"),
    "duplicate-name-case": (L, "names equal except for case (collide on Windows/macOS)"),
    "non-utf8-flagged-name": (L, "a non-ASCII name without the UTF-8 flag (encoding guessed)"),
    "invalid-utf8-name": (M, "a name flagged UTF-8 that is not valid UTF-8"),
    "unicode-path-mismatch": (L, "a 0x7075 Unicode path field whose CRC does not match"),
    # modes
    "symlink": (M, "a symbolic link member"),
    "symlink-escape": (H, "a symbolic link whose target is absolute or leaves the tree"),
    "setuid": (H, "a member with the setuid or setgid bit"),
    "special-file": (M, "a device, FIFO or socket member"),
    # encryption
    "encrypted": (M, "an encrypted member (ZipCrypto or AES): its content cannot be audited"),
    "strong-encryption": (M, "PKWARE strong encryption (flag bit 6) or an encrypted directory"),
    # nesting
    "nested-too-deep": (H, "archives nested deeper than the limit"),
    "nested-limit": (H, "nesting stopped at the hard limit"),
    "nested-budget-exceeded": (N, "a nested archive was not opened: byte budget exhausted"),
    "nested-unreadable": (M, "a nested archive member could not be decompressed"),
    # --verify
    "crc-mismatch": (H, "decompressed data does not match the declared CRC-32"),
    "size-mismatch": (H, "decompressed size differs from the declared size"),
    "corrupt-data": (H, "compressed data cannot be decompressed"),
    "unsupported-method": (N, "a compression method this tool cannot decompress"),
    "data-after-stream": (
        M,
        "bytes after a member's compressed stream ends, inside its declared compressed size "
        "(--verify): room no extractor reads",
    ),
    "verify-budget-exceeded": (N, "verification stopped at the per-file byte budget"),
    "findings-truncated": (N, "more findings of one code than kept; the rest are counted"),
}


#: A code's place in :data:`CODES`: findings come out grouped in that order (structure,
#: local entries, sizes, names, ...), whatever order the streaming checks met them in.
_RANK: Final[dict[str, int]] = {code: rank for rank, code in enumerate(CODES)}


class FindingList:
    """Collects findings, keeping at most ``cap`` per code (the rest only counted), so a
    hostile archive with a million bad members costs bounded memory."""

    __slots__ = ("_cap", "_counts", "_min", "items")

    def __init__(self, cap: int, min_severity: Severity = Severity.INFO) -> None:
        self.items: list[Finding] = []
        self._counts: dict[str, int] = {}
        self._cap = cap
        self._min = min_severity

    def add(self, code: str, member: str | None, message: str) -> None:
        """Record one finding of a registered ``code``."""
        severity = CODES[code][0]
        if severity < self._min:
            return
        seen = self._counts.get(code, 0)
        self._counts[code] = seen + 1
        if seen < self._cap:
            self.items.append(Finding(code, severity, member, message))

    def wants(self, code: str) -> bool:
        """Whether a finding of ``code`` added now would be kept (worth building its
        message; else :meth:`add_count` is enough)."""
        return CODES[code][0] >= self._min and self._counts.get(code, 0) < self._cap

    def add_count(self, code: str, n: int = 1) -> None:
        """Count ``n`` findings of ``code`` that would not be kept (see :meth:`wants`)."""
        if CODES[code][0] >= self._min:
            self._counts[code] = self._counts.get(code, 0) + n

    def count(self, code: str) -> int:
        """How many findings of ``code`` were added (kept or not)."""
        return self._counts.get(code, 0)

    def finish(self) -> list[Finding]:
        """The kept findings, grouped by code in :data:`CODES` order (within a code in the
        order they were added), plus one ``findings-truncated`` note per capped code."""
        out = sorted(self.items, key=lambda f: _RANK[f.code])
        for code, seen in self._counts.items():
            if seen > self._cap:
                out.append(
                    Finding(
                        "findings-truncated",
                        Severity.INFO,
                        None,
                        f"{seen - self._cap} more {code!r} findings not listed ({seen} in all)",
                    )
                )
        return out
