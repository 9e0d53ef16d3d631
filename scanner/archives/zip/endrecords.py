"""The zip end records: where the central directory is, what it declares, the layouts.

Split from :mod:`scanner.archives.zip.central` so that the ``zip --names`` fast path
(:mod:`scanner.archives.zip.plain`, started by :mod:`scanner.entry` before the CLI is imported)
can find the central directory importing nothing but ``struct`` and the file view.
Layouts follow PKWARE's APPNOTE.TXT 6.3.10 (sections 4.3.7 local header, 4.3.12 central
header, 4.3.14-4.3.16 ZIP64 and classic end records, 4.5 extra fields).
"""

from __future__ import annotations

import struct

from scanner.archives.source import FileView

# typing costs ~3 ms to import; mypy honours a module-level TYPE_CHECKING constant
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    from scanner.archives.model import Member

    class Findings(Protocol):
        """Where problems go: a :class:`~scanner.archives.zip.codes.FindingList`, or a counter."""

        def add(self, code: str, member: str | None, message: str) -> None: ...


#: What the reader parses: bytes (nested archives, small files) or a view of a file.
Buffer = bytes | FileView

EOCD = struct.Struct("<4s4H2LH")  # 22 bytes
EOCD_SIG = b"PK\x05\x06"
ZIP64_LOCATOR = struct.Struct("<4sLQL")  # 20 bytes
ZIP64_LOCATOR_SIG = b"PK\x06\x07"
ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")  # 56 bytes
ZIP64_EOCD_SIG = b"PK\x06\x06"
CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # 46 bytes
CENTRAL_SIG = b"PK\x01\x02"
LOCAL = struct.Struct("<4s2B4HL2L2H")  # 30 bytes
LOCAL_SIG = b"PK\x03\x04"
EXTRA_HEADER = struct.Struct("<HH")
U16 = struct.Struct("<H")
U32 = struct.Struct("<L")
U64 = struct.Struct("<Q")
I32 = struct.Struct("<l")

MAX_COMMENT = 0xFFFF
#: How far from the end the end record may start: record + longest comment.
TAIL_SPAN = EOCD.size + MAX_COMMENT

FLAG_ENCRYPTED = 0x0001
FLAG_DATA_DESCRIPTOR = 0x0008
FLAG_STRONG = 0x0040
FLAG_UTF8 = 0x0800
FLAG_MASKED_HEADERS = 0x2000

SYSTEM_UNIX = 3
S_IFMT = 0o170000
S_IFLNK = 0o120000


class CentralDirectory:
    """What the end records and the central directory say, with offsets already
    corrected by ``concat`` (bytes prepended to an archive whose offsets do not know).

    A plain slotted class, not a dataclass: this module is imported on the ``zip --names``
    fast path, where ``dataclasses`` (and the ``inspect`` it pulls in) would cost ~7 ms.
    """

    __slots__ = (
        "aes_methods",
        "cd_end",
        "cd_start",
        "comment",
        "concat",
        "declared_count",
        "end_of_records",
        "eocd_offset",
        "found_end",
        "members",
        "other_end_records",
        "partial",
        "read_count",
        "records_start",
        "size",
        "zip64",
    )

    def __init__(self, size: int) -> None:
        self.size = size
        self.members: list[Member] = []
        self.found_end = False
        self.eocd_offset = 0
        #: first byte after the end record and its comment
        self.end_of_records = 0
        self.cd_start = 0
        self.cd_end = 0
        #: where the end records start (ZIP64 record, locator or classic end record)
        self.records_start = 0
        self.declared_count = 0
        self.comment = b""
        self.concat = 0
        self.zip64 = False
        #: member index -> actual compression method from the AES extra field (0x9901)
        self.aes_methods: dict[int, int] = {}
        #: True when reading stopped at the record limit (unread entries are not orphans)
        self.partial = False
        #: central records read so far (``central.iter_chunks``)
        self.read_count = 0
        #: offsets of other plausible end records in the tail (a second, competing directory)
        self.other_end_records: list[int] = []


_DOS_TIME_CACHE: dict[int, str] = {}


def dos_datetime(date: int, time: int) -> str:
    """ISO text of a DOS date/time pair, without validation (a lie is shown as is)."""
    key = (date << 16) | time
    text = _DOS_TIME_CACHE.get(key)
    if text is None:
        text = (
            f"{((date >> 9) & 0x7F) + 1980:04d}-{(date >> 5) & 0xF:02d}-{date & 0x1F:02d}"
            f"T{time >> 11:02d}:{(time >> 5) & 0x3F:02d}:{(time & 0x1F) * 2:02d}"
        )
        if len(_DOS_TIME_CACHE) < 65536:
            _DOS_TIME_CACHE[key] = text
    return text


def unpack_at(layout: struct.Struct, buf: Buffer, offset: int) -> tuple[Any, ...]:
    """``layout.unpack_from`` for either buffer kind; short data raises ``struct.error``."""
    if isinstance(buf, bytes):
        return layout.unpack_from(buf, offset)
    return layout.unpack(buf[offset : offset + layout.size])


def _find_end_records(buf: Buffer, size: int) -> tuple[list[int], list[int]]:
    """Offsets of every end-record signature in the tail, last first: those whose comment
    fits in the file, and those whose comment runs past its end (cut off, or a forged
    comment length). Which one is read is :func:`read_end_records`' choice."""
    start = max(0, size - TAIL_SPAN)
    tail = bytes(buf[start:size])
    fitting: list[int] = []
    cut: list[int] = []
    pos = len(tail) - EOCD.size
    while pos >= 0:
        pos = tail.rfind(EOCD_SIG, 0, pos + 4)
        if pos < 0:
            break
        comment_len = U16.unpack_from(tail, pos + 20)[0]
        (fitting if pos + EOCD.size + comment_len <= len(tail) else cut).append(start + pos)
        pos -= 1
    return fitting, cut


#: Default for ``read_central_directory(max_records=...)``; see ZipConfig.member_hard_limit.
MAX_RECORDS = 1_000_000


def read_end_records(buf: Buffer, size: int, findings: Findings) -> CentralDirectory:
    """Find and parse the end records: where the central directory is, how many records it
    declares, the comment, the ZIP64 records; no central record is read yet."""
    cd = CentralDirectory(size=size)
    if size == 0:
        findings.add("empty-file", None, "the file is empty")
        return cd
    fitting, cut = _find_end_records(buf, size)
    plausible = sorted((c for c in fitting + cut if _end_record_plausible(buf, c)), reverse=True)
    if not fitting and not plausible:
        if size >= 4 and bytes(buf[0:4]) == LOCAL_SIG:
            findings.add(
                "truncated", None, "starts with a local header but has no end record (cut off)"
            )
        else:
            findings.add("not-a-zip", None, "no end-of-central-directory record")
        return cd
    # Prefer a record whose comment reaches exactly the end (what writers produce); else
    # the last one whose comment fits, then report the bytes after it ...
    chosen = next(
        (c for c in fitting if c + EOCD.size + unpack_at(U16, buf, c + 20)[0] == size),
        fitting[0] if fitting else plausible[0],
    )
    # ... unless a later record has a directory of its own: unzip and zipfile read the last
    # signature in the file, its comment cut short or not (Go issue 66869: an earlier
    # record whose comment covers it hid it from Go's reader). Read what they read; the
    # other one is reported below as a second end record.
    if plausible and plausible[0] > chosen:
        chosen = plausible[0]
    cd.found_end = True
    _read_end_records(buf, size, chosen, cd, findings)
    if cd.end_of_records > size:
        findings.add(
            "truncated",
            None,
            f"the archive comment is cut off ({cd.end_of_records - size} bytes missing)",
        )
        cd.end_of_records = size
    # Judged by the audit: one inside a member's data is just a stored nested archive.
    cd.other_end_records = [c for c in plausible if c != chosen]
    if cd.end_of_records < size:
        findings.add(
            "trailing-data",
            None,
            f"{size - cd.end_of_records} bytes after the end-of-central-directory record",
        )
    return cd


def _end_record_plausible(buf: Buffer, offset: int) -> bool:
    """An end record that could be real: single-disk, and either empty or with a central
    directory header right where its size says (a second, competing directory). A ZIP64
    end record its locator points to speaks for it (3MF writers set every classic field
    to 0xFFFF)."""
    _sig, disk, cd_disk, _n, count, cd_size, _off, _clen = unpack_at(EOCD, buf, offset)
    records = offset
    record = _zip64_record(buf, offset - ZIP64_LOCATOR.size)
    if record is not None:
        z = unpack_at(ZIP64_EOCD, buf, record)
        disk = z[4] if disk == 0xFFFF else disk
        cd_disk = z[5] if cd_disk == 0xFFFF else cd_disk
        count, cd_size, records = z[7], z[8], record
    if disk != 0 or cd_disk != 0:
        return False
    if count == 0:
        return bool(cd_size == 0)
    start: int = records - cd_size
    return start >= 0 and bytes(buf[start : start + 4]) == CENTRAL_SIG


def _directory_ends_at(buf: Buffer, end: int, cd_size: int) -> bool:
    """Whether a central directory of ``cd_size`` bytes ending at ``end`` starts with a
    central header (or is empty)."""
    start = end - cd_size
    return start >= 0 and (cd_size == 0 or bytes(buf[start : start + 4]) == CENTRAL_SIG)


def _zip64_record(buf: Buffer, locator: int) -> int | None:
    """Where the ZIP64 end record is when a ZIP64 locator starts at ``locator`` (right
    before the classic end record) and points at one; None when there is no locator or
    it points at nothing (then its signature is only bytes of a name or a comment, as in
    zip2's ``zip64_magic_in_filename`` tests)."""
    if locator < 0 or bytes(buf[locator : locator + 4]) != ZIP64_LOCATOR_SIG:
        return None
    record = locator - ZIP64_EOCD.size
    if record >= 0 and bytes(buf[record : record + 4]) == ZIP64_EOCD_SIG:
        return record
    # A ZIP64 record with extensible data is longer; the locator says where it is.
    record = unpack_at(ZIP64_LOCATOR, buf, locator)[2]
    if 0 <= record <= locator - ZIP64_EOCD.size and (
        bytes(buf[record : record + 4]) == ZIP64_EOCD_SIG
    ):
        return int(record)
    return None


def _read_end_records(
    buf: Buffer, size: int, eocd: int, cd: CentralDirectory, findings: Findings
) -> None:
    (_sig, disk, cd_disk, n_disk, count, cd_size, cd_offset, comment_len) = unpack_at(
        EOCD, buf, eocd
    )
    cd.eocd_offset = eocd
    cd.end_of_records = eocd + EOCD.size + comment_len
    cd.comment = bytes(buf[eocd + EOCD.size : cd.end_of_records])
    cd.records_start = eocd
    locator = eocd - ZIP64_LOCATOR.size
    record = _zip64_record(buf, locator)
    # A 0xFFFF/0xFFFFFFFF field says the true value is in a ZIP64 end record.
    sentinel = 0xFFFF in (disk, cd_disk, n_disk, count) or 0xFFFFFFFF in (cd_size, cd_offset)
    has_locator = locator >= 0 and bytes(buf[locator : locator + 4]) == ZIP64_LOCATOR_SIG
    # Nothing asks for ZIP64 and the classic directory runs right up to this record: the
    # locator's 20 bytes are the end of the last central record (a name holding PK\x06\x07,
    # zip2's zip64_magic_in_filename tests) unless what it points to describes a directory
    # of its own.
    if (
        has_locator
        and not sentinel
        and _directory_ends_at(buf, eocd, cd_size)
        and (
            record is None
            or not _directory_ends_at(buf, record, unpack_at(ZIP64_EOCD, buf, record)[8])
        )
    ):
        has_locator, record = False, None
    disks = 1
    if record is not None:
        cd.zip64 = True
        cd.records_start = record
        (_s, rsize, _vm, _vn, z_disk, z_cd_disk, z_n, z_count, z_cd_size, z_cd_offset) = unpack_at(
            ZIP64_EOCD, buf, record
        )
        disks = unpack_at(ZIP64_LOCATOR, buf, locator)[3]
        if record + 12 + rsize != locator:
            findings.add(
                "zip64-record-gap",
                None,
                f"the ZIP64 end record at {record} declares {rsize + 12} bytes, its locator "
                f"is at {locator} ({locator - record - 12 - rsize:+d} bytes between them)",
            )
        for label, classic, wide, mark in (
            ("member count", count, z_count, 0xFFFF),
            ("central directory size", cd_size, z_cd_size, 0xFFFFFFFF),
            ("central directory offset", cd_offset, z_cd_offset, 0xFFFFFFFF),
        ):
            if classic not in (mark, wide):
                findings.add(
                    "zip64-mismatch",
                    None,
                    f"{label}: end record says {classic}, ZIP64 record says {wide}",
                )
        disk = z_disk if disk == 0xFFFF else disk
        cd_disk = z_cd_disk if cd_disk == 0xFFFF else cd_disk
        n_disk, count, cd_size, cd_offset = z_n, z_count, z_cd_size, z_cd_offset
    elif has_locator:
        cd.zip64 = True
        cd.records_start = locator
        z_offset = unpack_at(ZIP64_LOCATOR, buf, locator)[2]
        findings.add("zip64-record-missing", None, f"ZIP64 locator points to {z_offset}: no record")
    elif cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        # A count of 0xFFFF is legal without ZIP64; only sizes/offsets are decisive.
        findings.add("zip64-missing", None, "end record holds ZIP64 sentinels but no ZIP64 record")
    if disk != 0 or cd_disk != 0 or n_disk != count or disks > 1:
        findings.add(
            "multi-disk",
            None,
            f"disk {disk}, central directory on disk {cd_disk}, {n_disk} of {count} entries here"
            + (f", {disks} disks" if disks > 1 else ""),
        )
    cd.declared_count = count
    # Offsets are relative to the start of the archive; bytes prepended without fixing
    # them (cat sfx.exe a.zip) shift everything by this delta, as zipfile computes it.
    concat = cd.records_start - cd_size - cd_offset
    if concat < 0 or cd.records_start - cd_size < 0:
        findings.add(
            "cd-out-of-bounds",
            None,
            f"central directory at {cd_offset} (+{cd_size} bytes) does not end before the "
            f"end records at {cd.records_start}",
        )
        concat = 0
    cd.concat = concat
    cd.cd_start = cd_offset + concat
    cd.cd_end = min(cd.cd_start + cd_size, size)
    if cd.cd_start + cd_size > size:
        findings.add(
            "truncated",
            None,
            f"central directory declared up to byte {cd.cd_start + cd_size} of a {size}-byte file",
        )
    if count * CENTRAL.size > cd_size:
        findings.add(
            "cd-too-small",
            None,
            f"{count} members need at least {count * CENTRAL.size} bytes, "
            f"central directory has {cd_size}",
        )
