"""A struct-based, streaming reader of the zip central directory.

The buffer is ``bytes`` (nested archives, small files) or a
:class:`~scanner.archives.source.FileView` of the file. :func:`iter_chunks` reads the
directory through a window of :data:`WINDOW` bytes and hands its records on in chunks of
at most :data:`CHUNK_MEMBERS` :class:`~scanner.archives.model.Member` tuples, so what it
holds is bounded by the window and one chunk, never by the member count (a 1,000,000-member
directory is ~70 MB). Per member it builds one tuple straight from a ``struct.unpack_from``
tuple (``zipfile`` builds a ``ZipInfo`` object and decodes every extra field: about twice
the time for a 100k-member directory). :func:`read_central_directory` collects every chunk
into ``cd.members`` for callers that want the list.

Layouts follow PKWARE's APPNOTE.TXT 6.3.10 (sections 4.3.7 local header, 4.3.12 central
header, 4.3.14-4.3.16 ZIP64 and classic end records, 4.5 extra fields) and Info-ZIP's
extra-field list (0x5455 extended timestamp, 0x5855 and PKWARE's 0x000d Unix fields, 0x7075
Unicode path).

Names: flagged UTF-8 (bit 11) is UTF-8; an unflagged name is UTF-8 when its bytes are valid
UTF-8 (what zipinfo, 7-Zip, bsdtar and macOS show; ``zipfile`` shows cp437 mojibake, hence the
``non-utf8-flagged-name`` finding), else cp437 (APPNOTE appendix D, ``zipfile``); a valid
0x7075 field wins over both.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
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

TYPE_CHECKING = False
if TYPE_CHECKING:
    from scanner.archives.zip.endrecords import Findings

#: Members per chunk handed to the audit, the statistics and a member sink.
CHUNK_MEMBERS = 4096
#: Bytes of central directory read at once from a file (a record is at most 46 + 3 x 65,535
#: bytes, so one always fits).
WINDOW = 1 << 20
#: Info-ZIP's DOSTIME_2038_01_18: a 0x5455/0x5855 time with the top bit set is read as
#: unsigned (after 2038) only when the DOS date/time is at least this, and ignored
#: otherwise (unzip's ef_scan_for_izux with a 64-bit time_t).
DOSTIME_2038_01_18 = (2038 - 1980) << 25 | 1 << 21 | 18 << 16
#: Extra fields whose values the reader uses: one given twice is ambiguous (Info-ZIP takes
#: the last, libzip refuses the entry).
MEANINGFUL_EXTRAS = frozenset({0x0001, 0x7075, 0x5455, 0x5855, 0x000D, 0x9901})


def _unix_time(seconds: int) -> str:
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return str(seconds)


def decode_name(raw: bytes, flags: int) -> str:
    """A name as the reader decodes it without a Unicode path field (see module doc)."""
    if raw.isascii():
        return raw.decode("ascii")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        if flags & FLAG_UTF8:
            return raw.decode("utf-8", "replace")
        return raw.decode("cp437")


class Chunk:
    """Consecutive central records: ``members[i]`` is member number ``first + i``, its
    central record starts at ``offsets[i]`` and its DOS date and time fields are
    ``dos[i]`` (date << 16 | time; ``mtime`` may come from an extra field); ``aes`` maps a
    member number to the real compression method its AES extra field (0x9901) names."""

    __slots__ = ("aes", "dos", "first", "members", "offsets")

    def __init__(self, first: int) -> None:
        self.first = first
        self.members: list[Member] = []
        self.offsets: list[int] = []
        self.dos: list[int] = []
        self.aes: dict[int, int] = {}


def read_central_directory(
    buf: Buffer, size: int, findings: FindingList, max_records: int = MAX_RECORDS
) -> CentralDirectory:
    """Parse the end records and every central record (at most ``max_records``) into
    ``cd.members``; never raises for bad input: problems become findings and parsing stops
    where the data stops making sense. Memory grows with the member count: streaming
    callers use :func:`iter_chunks`."""
    cd = read_end_records(buf, size, findings)
    if cd.found_end:
        for chunk in iter_chunks(buf, cd, findings, max_records):
            cd.members.extend(chunk.members)
            cd.aes_methods.update(chunk.aes)
    return cd


#: name, extra and comment lengths at offset 28 of a central record
_LENGTHS = struct.Struct("<HHH")
# what _parse_window reports back
_DONE, _NEED_MORE, _STOP = 0, 1, 2


def iter_chunks(
    buf: Buffer,
    cd: CentralDirectory,
    findings: Findings,
    max_records: int = MAX_RECORDS,
    chunk_size: int = CHUNK_MEMBERS,
) -> Iterator[Chunk]:
    """The central records of ``cd`` (found by ``read_end_records``) in chunks, at most
    ``max_records`` of them; sets ``cd.read_count`` and ``cd.partial``. Problems become
    findings; reading stops where the records stop making sense."""
    start, end = cd.cd_start, cd.cd_end
    if start >= end or start < 0:
        if cd.declared_count:
            findings.add("cd-count-mismatch", None, f"{cd.declared_count} declared, 0 readable")
        return
    if isinstance(buf, bytes):
        data, base = buf, 0  # parsed in place: positions are file offsets
    else:
        data, base = buf[start : min(end, start + WINDOW)], start
    pos = start - base
    index = 0
    state = _DONE
    while True:
        chunk = Chunk(index)
        stop = min(index + chunk_size, max_records)
        while True:
            pos, index, state = _parse_window(
                data, pos, min(len(data), end - base), base, index, stop, cd, findings, chunk
            )
            if state != _NEED_MORE or base + len(data) >= end or not pos:
                break  # done, or the directory's end (no progress: the file shrank)
            base += pos  # the next window starts with the record that did not fit
            data, pos = buf[base : min(end, base + WINDOW)], 0
        cd.read_count = index
        if chunk.members:
            yield chunk
        if state == _STOP or index < stop:  # broken, or the directory ended in this chunk
            break
        if index >= max_records:
            if base + pos + CENTRAL.size <= end:
                findings.add(
                    "members-not-read",
                    None,
                    f"stopped after {index} central records (hard limit; "
                    f"{cd.declared_count} declared): the rest is not listed nor audited",
                )
                cd.partial = True
                return
            break
    if index != cd.declared_count:
        findings.add(
            "cd-count-mismatch",
            None,
            f"end record declares {cd.declared_count} members, central directory holds {index}",
        )


def _parse_window(  # noqa: PLR0917
    data: bytes,
    pos: int,
    limit: int,
    base: int,
    index: int,
    stop: int,
    cd: CentralDirectory,
    findings: Findings,
    chunk: Chunk,
) -> tuple[int, int, int]:
    """Parse records from ``data[pos:limit]`` (``data[0]`` is file offset ``base``) into
    ``chunk`` until ``stop`` members; returns the position, the member count and whether
    the window ran out (``_NEED_MORE``: a record does not fit), reading must stop
    (``_STOP``: a finding says why) or ``stop`` was reached (``_DONE``)."""
    concat = cd.concat
    append = chunk.members.append
    note_offset = chunk.offsets.append
    note_dos = chunk.dos.append
    unpack = CENTRAL.unpack_from
    central_size = CENTRAL.size
    sig_ok = CENTRAL_SIG
    make = make_member
    dos_cache = _DOS_TIME_CACHE
    while index < stop:
        if pos + central_size > limit:
            return pos, index, _NEED_MORE
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
                f"record {index} at offset {base + pos} has signature {sig!r}",
            )
            return pos, index, _STOP
        name_start = pos + central_size
        extra_start = name_start + nlen
        next_pos = extra_start + xlen + clen
        if next_pos > limit:
            if base + limit < cd.cd_end:
                return pos, index, _NEED_MORE
            findings.add(
                "bad-central-header",
                None,
                f"record {index} at offset {base + pos} overruns the central directory",
            )
            return pos, index, _STOP
        raw = data[name_start:extra_start]
        if raw.isascii():
            name = raw.decode("ascii")
        else:
            try:
                name = raw.decode("utf-8")
            except UnicodeDecodeError:
                if flags & FLAG_UTF8:
                    name = raw.decode("utf-8", "replace")
                    findings.add("invalid-utf8-name", name, "flagged UTF-8 but is not valid UTF-8")
                else:
                    name = raw.decode("cp437")
        dos = (date << 16) | time
        mtime = dos_cache.get(dos) or dos_datetime(date, time)
        zip64 = False
        if not xlen and (usize == 0xFFFFFFFF or csize == 0xFFFFFFFF or offset == 0xFFFFFFFF):
            findings.add("zip64-extra-missing", name, "ZIP64 sentinel without any extra field")
        elif xlen:
            z = read_extra(
                data, extra_start, xlen, usize=usize, csize=csize, offset=offset, dos=dos
            )
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
                findings.add("bad-extra-field", name, "central " + z.malformed)
            if z.aes_method is not None:
                chunk.aes[index] = z.aes_method
        note_offset(base + pos)
        note_dos(dos)
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
    return pos, index, _DONE


def member_at(buf: Buffer, cd: CentralDirectory, offset: int) -> Member | None:
    """The member whose central record starts at file offset ``offset`` (read again, for a
    finding's message: the audit keeps offsets, not members); None if it cannot be read."""
    head = bytes(buf[offset : offset + CENTRAL.size])
    if len(head) < CENTRAL.size:
        return None
    nlen, xlen, clen = _LENGTHS.unpack_from(head, 28)
    data = bytes(buf[offset : min(cd.cd_end, offset + CENTRAL.size + nlen + xlen + clen)])
    chunk = Chunk(0)
    _parse_window(data, 0, len(data), offset, 0, 1, cd, _NO_FINDINGS, chunk)
    return chunk.members[0] if chunk.members else None


class _Discard:
    """A findings collector that forgets (a record read again reports nothing twice)."""

    __slots__ = ()

    def add(self, code: str, member: str | None, message: str) -> None:
        return None


_NO_FINDINGS = _Discard()


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


def read_extra(
    data: bytes,
    start: int,
    length: int,
    *,
    usize: int = 0,
    csize: int = 0,
    offset: int = 0,
    dos: int = 0,
    local: bool = False,
) -> ExtraInfo:
    """Decode the extra fields we use; ZIP64 values only for sentinel fields (4.5.3), in
    the order usize, csize, offset (a local header has no offset). ``dos`` is the record's
    DOS date << 16 | time, which decides how a 32-bit Unix time with its top bit set reads.
    A block whose length runs past the end, or a field we use given twice, is
    ``malformed`` (unzip -t: "EF block length exceeds remaining EF data")."""
    info = ExtraInfo(usize, csize, offset)
    pos, end = start, start + length
    want64 = usize == 0xFFFFFFFF or csize == 0xFFFFFFFF or offset == 0xFFFFFFFF
    seen: set[int] = set()
    unix_time: int | None = None  # from 0x5855/0x000d, used when no 0x5455 says otherwise
    new_unix = False  # a 0x5455 or 0x7855 field: older Unix fields' times are ignored
    while pos + 4 <= end:
        header_id, size = EXTRA_HEADER.unpack_from(data, pos)
        body = pos + 4
        if body + size > end:
            info.malformed = (
                f"extra field 0x{header_id:04x} overruns: {size} bytes declared, {end - body} left"
            )
            break
        if header_id in seen and header_id in MEANINGFUL_EXTRAS:
            info.malformed = f"extra field 0x{header_id:04x} given twice"
        seen.add(header_id)
        if header_id == 0x0001:
            info.zip64 = True
            p = body
            labels = ("usize", "csize") if local else ("usize", "csize", "offset")
            for label in labels:
                if getattr(info, label) != 0xFFFFFFFF:
                    continue
                if p + 8 > body + size:
                    info.missing.append(label)
                    continue
                setattr(info, label, U64.unpack_from(data, p)[0])
                p += 8
        elif header_id == 0x7075 and size >= 5:
            info.unicode_crc = U32.unpack_from(data, body + 1)[0]
            info.unicode_name = data[body + 5 : body + size].decode("utf-8", "replace")
        elif header_id == 0x5455:
            new_unix = True
            if size >= 5 and data[body] & 1:
                info.mtime = _info_zip_time(U32.unpack_from(data, body + 1)[0], dos)
        elif header_id == 0x7855:
            new_unix = True
        elif header_id in (0x5855, 0x000D) and size >= 8:
            unix_time = U32.unpack_from(data, body + 4)[0]
        elif header_id == 0x9901 and size >= 7:
            info.aes_method = U16.unpack_from(data, body + 5)[0]
        pos = body + size
    if unix_time is not None and not new_unix:
        info.mtime = _info_zip_time(unix_time, dos)
    if want64 and 0x0001 not in seen:
        info.missing = [
            label
            for label, value in (("usize", usize), ("csize", csize), ("offset", offset))
            if value == 0xFFFFFFFF
        ]
    return info


def _info_zip_time(value: int, dos: int) -> str | None:
    """A 32-bit Unix time as Info-ZIP's unzip reads it: below 2**31 as is; with the top bit
    set, unsigned (2038-2106) when the DOS date says 2038-01-18 or later, else ignored
    (None: the DOS time stands) - 2105 lists as 2105, not 1968."""
    if value < 0x80000000:
        return _unix_time(value)
    if dos >= DOSTIME_2038_01_18:
        return _unix_time(value)
    return None
