"""A struct-based reader of the zip end records and central directory over one buffer.

The buffer is ``bytes`` (nested archives, small files) or a
:class:`~scanner.archives.source.FileView` of the file: only the tail, the central
directory span and (later, in the audit) the local headers are read, so a 1 GiB archive
is listed by reading a few blocks. Per member it builds one
:class:`~scanner.archives.model.Member` tuple straight from a ``struct.unpack_from`` tuple
(``zipfile`` builds a ``ZipInfo`` object and decodes every extra field: about twice the
time for a 100k-member directory).

Layouts follow PKWARE's APPNOTE.TXT 6.3.10 (sections 4.3.7 local header, 4.3.12 central
header, 4.3.14-4.3.16 ZIP64 and classic end records, 4.5 extra fields) and Info-ZIP's
extra-field list (0x5455 extended timestamp, 0x7075 Unicode path).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scanner.archives.codes import FindingList
from scanner.archives.model import Member, make_member
from scanner.archives.source import FileView

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


@dataclass(slots=True)
class CentralDirectory:
    """What the end records and the central directory say, with offsets already
    corrected by ``concat`` (bytes prepended to an archive whose offsets do not know)."""

    size: int
    members: list[Member] = field(default_factory=list)
    found_end: bool = False
    eocd_offset: int = 0
    #: first byte after the end record and its comment
    end_of_records: int = 0
    cd_start: int = 0
    cd_end: int = 0
    #: where the end records start (ZIP64 record, locator or classic end record)
    records_start: int = 0
    declared_count: int = 0
    comment: bytes = b""
    concat: int = 0
    zip64: bool = False
    #: member index -> actual compression method from the AES extra field (0x9901)
    aes_methods: dict[int, int] = field(default_factory=dict)
    #: True when reading stopped at the record limit (unread entries are not orphans)
    partial: bool = False
    #: offsets of other plausible end records in the tail (a second, competing directory)
    other_end_records: list[int] = field(default_factory=list)


def unpack_at(layout: struct.Struct, buf: Buffer, offset: int) -> tuple[Any, ...]:
    """``layout.unpack_from`` for either buffer kind; short data raises ``struct.error``."""
    if isinstance(buf, bytes):
        return layout.unpack_from(buf, offset)
    return layout.unpack(buf[offset : offset + layout.size])


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


def _unix_time(seconds: int) -> str:
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return str(seconds)


def _find_end_records(buf: Buffer, size: int) -> list[int]:
    """Offsets of every plausible end record in the tail, last first.

    Plausible: signature, disk numbers zero or consistent, and a comment that fits in the
    file. The caller picks the first whose central directory makes sense.
    """
    start = max(0, size - TAIL_SPAN)
    tail = bytes(buf[start:size])
    out: list[int] = []
    cut: list[int] = []
    pos = len(tail) - EOCD.size
    while pos >= 0:
        pos = tail.rfind(EOCD_SIG, 0, pos + 4)
        if pos < 0:
            break
        comment_len = U16.unpack_from(tail, pos + 20)[0]
        (out if pos + EOCD.size + comment_len <= len(tail) else cut).append(start + pos)
        pos -= 1
    if not out:
        # A file cut inside the archive comment: the record is there, its comment is not
        # (zipfile accepts it, so must we); only when its directory is where it says.
        out = [c for c in cut if _end_record_plausible(buf, c)][:1]
    return out


#: Default for ``read_central_directory(max_records=...)``; see ZipConfig.member_hard_limit.
MAX_RECORDS = 1_000_000


def read_central_directory(
    buf: Buffer, size: int, findings: FindingList, max_records: int = MAX_RECORDS
) -> CentralDirectory:
    """Parse the end records and the central directory records (at most ``max_records``);
    never raises for bad input: problems become findings and parsing stops where the data
    stops making sense."""
    cd = CentralDirectory(size=size)
    if size == 0:
        findings.add("empty-file", None, "the file is empty")
        return cd
    candidates = _find_end_records(buf, size)
    if not candidates:
        if size >= 4 and bytes(buf[0:4]) == LOCAL_SIG:
            findings.add(
                "truncated", None, "starts with a local header but has no end record (cut off)"
            )
        else:
            findings.add("not-a-zip", None, "no end-of-central-directory record")
        return cd
    # Prefer a record whose comment reaches exactly the end (what writers produce); else
    # the last one (what zipfile picks), then report the bytes after it.
    chosen = next(
        (c for c in candidates if c + EOCD.size + unpack_at(U16, buf, c + 20)[0] == size),
        candidates[0],
    )
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
    cd.other_end_records = [c for c in candidates if c != chosen and _end_record_plausible(buf, c)]
    if cd.end_of_records < size:
        findings.add(
            "trailing-data",
            None,
            f"{size - cd.end_of_records} bytes after the end-of-central-directory record",
        )
    _read_members(buf, cd, findings, max_records)
    return cd


def _end_record_plausible(buf: Buffer, offset: int) -> bool:
    """An end record that could be real: single-disk, and either empty or with a central
    directory header right where its size says (a second, competing directory)."""
    _sig, disk, cd_disk, _n, count, cd_size, _off, _clen = unpack_at(EOCD, buf, offset)
    if disk != 0 or cd_disk != 0:
        return False
    if count == 0:
        return bool(cd_size == 0)
    start: int = offset - cd_size
    return start >= 0 and bytes(buf[start : start + 4]) == CENTRAL_SIG


def _read_end_records(
    buf: Buffer, size: int, eocd: int, cd: CentralDirectory, findings: FindingList
) -> None:
    (_sig, disk, cd_disk, n_disk, count, cd_size, cd_offset, comment_len) = unpack_at(
        EOCD, buf, eocd
    )
    cd.eocd_offset = eocd
    cd.end_of_records = eocd + EOCD.size + comment_len
    cd.comment = bytes(buf[eocd + EOCD.size : cd.end_of_records])
    cd.records_start = eocd
    if disk != 0 or cd_disk != 0 or n_disk != count:
        findings.add(
            "multi-disk",
            None,
            f"disk {disk}, central directory on disk {cd_disk}, {n_disk} of {count} entries here",
        )
    locator = eocd - ZIP64_LOCATOR.size
    if locator >= 0 and bytes(buf[locator : locator + 4]) == ZIP64_LOCATOR_SIG:
        cd.zip64 = True
        cd.records_start = locator
        _sig, _z_disk, z_offset, _z_disks = unpack_at(ZIP64_LOCATOR, buf, locator)
        record = locator - ZIP64_EOCD.size
        if record < 0 or bytes(buf[record : record + 4]) != ZIP64_EOCD_SIG:
            # A ZIP64 record with extensible data is longer; the locator says where it is.
            record = z_offset
        if 0 <= record <= locator - ZIP64_EOCD.size and (
            bytes(buf[record : record + 4]) == ZIP64_EOCD_SIG
        ):
            cd.records_start = record
            (_s, _rsize, _vm, _vn, _d, _cdd, _n, z_count, z_cd_size, z_cd_offset) = unpack_at(
                ZIP64_EOCD, buf, record
            )
            for label, classic, wide, sentinel in (
                ("member count", count, z_count, 0xFFFF),
                ("central directory size", cd_size, z_cd_size, 0xFFFFFFFF),
                ("central directory offset", cd_offset, z_cd_offset, 0xFFFFFFFF),
            ):
                if classic not in (sentinel, wide):
                    findings.add(
                        "zip64-mismatch",
                        None,
                        f"{label}: end record says {classic}, ZIP64 record says {wide}",
                    )
            count, cd_size, cd_offset = z_count, z_cd_size, z_cd_offset
        else:
            findings.add(
                "zip64-record-missing", None, f"ZIP64 locator points to {z_offset}: no record"
            )
    elif cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        # A count of 0xFFFF is legal without ZIP64; only sizes/offsets are decisive.
        findings.add("zip64-missing", None, "end record holds ZIP64 sentinels but no ZIP64 record")
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


def _read_members(
    buf: Buffer, cd: CentralDirectory, findings: FindingList, max_records: int
) -> None:
    start, end = cd.cd_start, cd.cd_end
    if start >= end or start < 0:
        if cd.declared_count:
            findings.add("cd-count-mismatch", None, f"{cd.declared_count} declared, 0 readable")
        return
    data = bytes(buf[start:end])
    limit = len(data)
    concat = cd.concat
    members = cd.members
    append = members.append
    unpack = CENTRAL.unpack_from
    central_size = CENTRAL.size
    sig_ok = CENTRAL_SIG
    make = make_member
    dos_cache = _DOS_TIME_CACHE
    pos = 0
    index = 0
    while pos + central_size <= limit:
        if index >= max_records:
            findings.add(
                "members-not-read",
                None,
                f"stopped after {index} central records (hard limit; "
                f"{cd.declared_count} declared): the rest is not listed nor audited",
            )
            cd.partial = True
            return
        (
            sig,
            _ver_made,
            system,
            _ver_need,
            _sys_need,
            flags,
            method,
            time,
            date,
            crc,
            csize,
            usize,
            nlen,
            xlen,
            clen,
            _disk,
            _iattr,
            eattr,
            offset,
        ) = unpack(data, pos)
        if sig != sig_ok:
            findings.add(
                "bad-central-header",
                None,
                f"record {index} at offset {start + pos} has signature {sig!r}",
            )
            break
        name_start = pos + central_size
        extra_start = name_start + nlen
        next_pos = extra_start + xlen + clen
        if next_pos > limit:
            findings.add(
                "bad-central-header",
                None,
                f"record {index} at offset {start + pos} overruns the central directory",
            )
            break
        raw = data[name_start:extra_start]
        if raw.isascii():
            name = raw.decode("ascii")
        elif flags & FLAG_UTF8:
            try:
                name = raw.decode("utf-8")
            except UnicodeDecodeError:
                name = raw.decode("utf-8", "replace")
                findings.add("invalid-utf8-name", name, "flagged UTF-8 but is not valid UTF-8")
        else:
            name = raw.decode("cp437")
        mtime = dos_cache.get((date << 16) | time) or dos_datetime(date, time)
        zip64 = False
        if not xlen and (usize == 0xFFFFFFFF or csize == 0xFFFFFFFF or offset == 0xFFFFFFFF):
            findings.add("zip64-extra-missing", name, "ZIP64 sentinel without any extra field")
        elif xlen:
            z = _read_extra(data, extra_start, xlen, usize=usize, csize=csize, offset=offset)
            if z.unicode_name is not None:
                if z.unicode_crc == zlib.crc32(raw):
                    name = z.unicode_name
                else:
                    findings.add(
                        "unicode-path-mismatch",
                        name,
                        "0x7075 Unicode path field is stale (CRC mismatch); ignored",
                    )
            if z.mtime is not None:
                mtime = z.mtime
            if z.zip64:
                zip64 = True
                usize, csize, offset = z.usize, z.csize, z.offset
            if z.missing:
                findings.add(
                    "zip64-extra-missing", name, f"no ZIP64 extra value for {', '.join(z.missing)}"
                )
            if z.malformed:
                findings.add("bad-extra-field", name, z.malformed)
            if z.aes_method is not None:
                cd.aes_methods[index] = z.aes_method
        append(
            make(
                Member,
                (
                    name,
                    raw,
                    csize,
                    usize,
                    method,
                    crc,
                    flags,
                    mtime,
                    system,
                    eattr,
                    offset + concat,
                    raw.endswith(b"/") or eattr & 0x10 == 0x10,
                    system == SYSTEM_UNIX and (eattr >> 16) & S_IFMT == S_IFLNK,
                    flags & FLAG_ENCRYPTED == FLAG_ENCRYPTED,
                    zip64,
                ),
            )
        )
        pos = next_pos
        index += 1
    if index != cd.declared_count:
        findings.add(
            "cd-count-mismatch",
            None,
            f"end record declares {cd.declared_count} members, central directory holds {index}",
        )


@dataclass(slots=True)
class ExtraInfo:
    """What the extra fields of one central record say."""

    usize: int
    csize: int
    offset: int
    zip64: bool = False
    missing: list[str] = field(default_factory=list)
    malformed: str = ""
    unicode_name: str | None = None
    unicode_crc: int = 0
    mtime: str | None = None
    aes_method: int | None = None


def _read_extra(
    data: bytes, start: int, length: int, *, usize: int, csize: int, offset: int
) -> ExtraInfo:
    """Decode the extra fields we use; ZIP64 values only for sentinel fields (4.5.3)."""
    info = ExtraInfo(usize, csize, offset)
    pos, end = start, start + length
    want64 = usize == 0xFFFFFFFF or csize == 0xFFFFFFFF or offset == 0xFFFFFFFF
    seen64 = False
    while pos + 4 <= end:
        header_id, size = EXTRA_HEADER.unpack_from(data, pos)
        body = pos + 4
        if body + size > end:
            info.malformed = f"extra field 0x{header_id:04x} overruns ({size} bytes declared)"
            break
        if header_id == 0x0001:
            seen64 = True
            info.zip64 = True
            p = body
            for label, value in (("usize", usize), ("csize", csize), ("offset", offset)):
                if value != 0xFFFFFFFF:
                    continue
                if p + 8 > body + size:
                    info.missing.append(label)
                    continue
                wide = U64.unpack_from(data, p)[0]
                p += 8
                if label == "usize":
                    info.usize = wide
                elif label == "csize":
                    info.csize = wide
                else:
                    info.offset = wide
        elif header_id == 0x7075 and size >= 5:
            info.unicode_crc = U32.unpack_from(data, body + 1)[0]
            info.unicode_name = data[body + 5 : body + size].decode("utf-8", "replace")
        elif header_id == 0x5455 and size >= 5 and data[body] & 1:
            info.mtime = _unix_time(I32.unpack_from(data, body + 1)[0])
        elif header_id == 0x9901 and size >= 7:
            info.aes_method = U16.unpack_from(data, body + 5)[0]
        pos = body + size
    if want64 and not seen64:
        info.missing = [
            label
            for label, value in (("usize", usize), ("csize", csize), ("offset", offset))
            if value == 0xFFFFFFFF
        ]
    return info
