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

import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from scanner.archives.model import Member, make_member
from scanner.archives.zip.codes import FindingList
from scanner.archives.zip.endrecords import (
    _DOS_TIME_CACHE,
    CENTRAL,
    CENTRAL_SIG,
    EXTRA_HEADER,
    FLAG_ENCRYPTED,
    FLAG_UTF8,
    I32,
    MAX_RECORDS,
    S_IFLNK,
    S_IFMT,
    SYSTEM_UNIX,
    U16,
    U32,
    U64,
    Buffer,
    CentralDirectory,
    dos_datetime,
    read_end_records,
)


def _unix_time(seconds: int) -> str:
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return str(seconds)


def read_central_directory(
    buf: Buffer, size: int, findings: FindingList, max_records: int = MAX_RECORDS
) -> CentralDirectory:
    """Parse the end records and the central directory records (at most ``max_records``);
    never raises for bad input: problems become findings and parsing stops where the data
    stops making sense."""
    cd = read_end_records(buf, size, findings)
    if cd.found_end:
        _read_members(buf, cd, findings, max_records)
    return cd


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
