"""Fast readers for the common clean archive: names (``zipinfo -1``) and the ``unzip -l`` text.

The full reader (:func:`scanner.archives.zip.central.read_central_directory`) builds one
:class:`~scanner.archives.model.Member` per record, ~2 us each: 0.2 s for a 100k-member
directory before anything is printed, and the report adds statistics and a nested-archive
search. Listing names needs three lengths per record, so :func:`read_plain_names` unpacks
just those and the signature and slices the names out (~0.35 us per record);
:func:`read_plain_listing` adds the size and the DOS date and formats the ``unzip -l``
lines as bytes (~0.8 us per record).

Both answer only when the answer is certainly the one the full path would print, with no
finding at all: clean end records, every record well-formed, ASCII names (identical under
cp437 and UTF-8), no Unicode-path (0x7075) or ZIP64 (0x0001) extra field, no ZIP64
sentinel, nothing before the first entry; for the listing also no Unix time field
(0x5455, 0x5855, 0x000d, which replace the DOS date) and no member that could be a nested
archive (the full ``--list`` opens those). Anything else returns ``None`` and the caller
takes the full path, which explains the archive's problems as findings. Real archives made by
``zipfile``, Info-ZIP ``zip``, ``jar`` and wheel builders with ASCII names qualify for names.

This module imports nothing heavy (no dataclasses, enum or typing): :mod:`scanner.entry`
uses it before the CLI framework is imported.
"""

from __future__ import annotations

import struct

from scanner.archives.zip.endrecords import (
    CENTRAL,
    CENTRAL_SIG,
    EXTRA_HEADER,
    MAX_RECORDS,
    U32,
    Buffer,
    dos_datetime,
    read_end_records,
)

TYPE_CHECKING = False  # typing and collections.abc stay unimported on the fast path
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    #: parse(window, is_last) -> (bytes used, output, members, uncompressed bytes)
    _Parse = Callable[[bytes, bool], tuple[int, bytes, int, int]]

#: signature, (versions, flags, method, times, CRC, sizes skipped), name/extra/comment lengths
_NAMES_RECORD = struct.Struct("<L24xHHH")
#: signature, (versions, flags, method skipped), DOS time and date, (CRC, compressed size
#: skipped), uncompressed size, name/extra/comment lengths
_LISTING_RECORD = struct.Struct("<L8xHH8xLHHH")
_CENTRAL_SIG = U32.unpack(CENTRAL_SIG)[0]
#: The ZIP64 sentinel (0xFFFFFFFF) of a size or an offset.
_SENTINEL_BYTES = b"\xff\xff\xff\xff"
#: Extra fields after which a name, a size or an offset is not what the record says.
_NAME_OR_ZIP64 = frozenset({0x0001, 0x7075})
#: ... and, for the listing, after which the date is not the DOS date (Info-ZIP's extended
#: timestamp, its old Unix field and PKWARE's Unix field all carry an mtime).
_NAME_ZIP64_OR_TIME = _NAME_OR_ZIP64 | {0x5455, 0x5855, 0x000D}

#: The ``unzip -l`` text around the member lines (render.listing_text writes the same).
LISTING_COLUMNS = "  Length      Date    Time    Name\n---------  ---------- -----   ----\n"


def listing_head(archive: str) -> str:
    """The lines before the members of one archive in ``unzip -l`` text."""
    return f"Archive:  {archive}\n{LISTING_COLUMNS}"


def listing_foot(total: int, count: int) -> str:
    """The lines after the members: total size and member count."""
    plural = "" if count == 1 else "s"
    rule = "---------                     -------\n"
    return f"{rule}{total:>9}                     {count} file{plural}\n"


def listing_stamp(mtime: str) -> str:
    """``YYYY-MM-DD HH:MM`` of a member's ISO ``mtime``, as ``unzip -l`` shows it."""
    return f"{mtime[:10]} {mtime[11:16]}"


class _Count:
    """Counts findings instead of keeping them: any finding means the full reader."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0

    def add(self, code: str, member: str | None, message: str) -> None:
        self.n += 1


#: A central directory up to this size is read and formatted in one pass (the 100k-member
#: benchmark archive's is 6.6 MB); a larger one in two passes over windows of ``_WINDOW``
#: bytes - the first decides (any doubt declines the archive before a byte is printed), the
#: second formats while the caller writes - so the fast path's memory stays at a window
#: whatever the member count (a 1,000,000-member directory is ~70 MB).
SINGLE_PASS = 8 * 1024 * 1024
_WINDOW = 2 * 1024 * 1024


class FileChanged(OSError):
    """The archive changed between the two passes over a large directory: what was
    already written stands, the rest is not printed."""


class _Decline(Exception):
    """The full path must answer."""


def _clean_end(buf: Buffer, size: int, max_records: int) -> tuple[int, int, int] | None:
    """Where the central directory starts and ends and the declared count, when the end
    records are clean and nothing precedes the first entry; None otherwise."""
    findings = _Count()
    cd = read_end_records(buf, size, findings)
    if not cd.found_end or findings.n or cd.concat or cd.declared_count > max_records:
        return None
    if cd.cd_end <= cd.cd_start and not (cd.cd_start == 0 and cd.declared_count == 0):
        return None  # an empty directory after other bytes: prefix data (a finding)
    return cd.cd_start, cd.cd_end, cd.declared_count


def _passes(
    buf: Buffer, start: int, end: int, window: int, parse: _Parse
) -> Iterator[tuple[bytes, int, int]]:
    """Run ``parse`` over the directory ``[start, end)`` window by window (each window
    starts at a record); yields (output, members, uncompressed bytes) per window. Raises
    :class:`_Decline` at the first doubt."""
    base = start
    while True:
        data = bytes(buf[base : min(end, base + window)])
        last = base + len(data) >= end
        if base == start and (len(data) < CENTRAL.size or U32.unpack_from(data, 42)[0] != 0):
            raise _Decline  # too short, or bytes before the first entry (prefix data)
        # One search of the window instead of three compares per record: with no 0xff run
        # anywhere, no size or offset is a ZIP64 sentinel (an 0xff run elsewhere, in a CRC
        # or an extra field, only sends the archive to the full reader).
        if data.find(_SENTINEL_BYTES) >= 0:
            raise _Decline
        used, out, count, total = parse(data, last)
        yield out, count, total
        if last:
            return
        if used == 0:
            raise _Decline  # nothing complete in a window: the file shrank
        base += used


def _answer(
    buf: Buffer, size: int, max_records: int, render: _Parse, check: _Parse | None = None
) -> tuple[Iterable[bytes], int, int] | None:
    """(output pieces, members, uncompressed bytes) for a clean archive, None otherwise.
    ``render`` formats (and checks) a window; the pieces of a large directory are
    formatted while they are consumed, after a first pass with ``check`` (same verdicts,
    no output: cheaper when formatting costs more than reading) has decided."""
    found = _clean_end(buf, size, max_records)
    if found is None:
        return None
    start, end, declared = found
    if declared == 0 and end <= start:
        return [], 0, 0
    single = end - start <= SINGLE_PASS
    first = render if single or check is None else check
    count = total = 0
    pieces: list[bytes] = []
    try:
        for out, n, size_sum in _passes(buf, start, end, end - start if single else _WINDOW, first):
            count += n
            total += size_sum
            if single:
                pieces.append(out)
    except _Decline:
        return None
    if count != declared:
        return None
    return (pieces if single else _second_pass(buf, start, end, render)), count, total


def _second_pass(buf: Buffer, start: int, end: int, parse: _Parse) -> Iterator[bytes]:
    try:
        for out, _n, _total in _passes(buf, start, end, _WINDOW, parse):
            yield out
    except _Decline:
        raise FileChanged("the archive changed while it was listed") from None


def plain_names(
    buf: Buffer, size: int, separator: bytes, max_records: int = MAX_RECORDS
) -> tuple[Iterable[bytes], int] | None:
    """The names of a clean archive, in central-directory order, each followed by
    ``separator`` (in pieces: formatted as they are consumed for a large directory, whose
    reads may then raise :class:`FileChanged`), and how many there are; None when the full
    path is needed."""

    def parse(data: bytes, last: bool) -> tuple[int, bytes, int, int]:
        limit = len(data)
        head = CENTRAL.size
        unpack = _NAMES_RECORD.unpack_from
        sig_ok = _CENTRAL_SIG
        names: list[bytes] = []
        append = names.append
        pos = 0
        while pos + head <= limit:
            sig, nlen, xlen, clen = unpack(data, pos)
            if sig != sig_ok:
                raise _Decline
            start = pos + head
            end = start + nlen
            after = end + xlen + clen
            if after > limit:
                if last:
                    raise _Decline  # the last record overruns the directory
                break
            if xlen and not _plain_extras(data, end, end + xlen, _NAME_OR_ZIP64):
                raise _Decline
            append(data[start:end])
            pos = after
        if last and pos != limit:
            raise _Decline
        text = separator.join(names) + separator if names else b""
        if not text.isascii():
            raise _Decline
        return pos, text, len(names), 0

    found = _answer(buf, size, max_records, parse)
    return None if found is None else (found[0], found[1])


def read_plain_names(
    buf: Buffer, size: int, separator: bytes, max_records: int = MAX_RECORDS
) -> tuple[bytes, int] | None:
    """:func:`plain_names` joined: the names as one ``bytes``, and how many there are."""
    found = plain_names(buf, size, separator, max_records)
    return None if found is None else (b"".join(found[0]), found[1])


def plain_listing(
    buf: Buffer, size: int, max_records: int = MAX_RECORDS
) -> tuple[Iterable[bytes], int, int] | None:
    """The member lines of ``unzip -l`` text for a clean archive (in pieces, as
    :func:`plain_names`), the member count and the total uncompressed size; None when the
    full path is needed."""
    stamps: dict[int, bytes] = {}
    return _answer(
        buf, size, max_records, _listing_parser(stamps, True), _listing_parser(stamps, False)
    )


def _listing_parser(stamps: dict[int, bytes], render: bool) -> _Parse:
    """A window parser for :func:`plain_listing`: with ``render`` it formats the lines;
    without, it only reaches the same verdict (the first of two passes: formatting costs
    more than reading)."""

    def parse(data: bytes, last: bool) -> tuple[int, bytes, int, int]:
        limit = len(data)
        head = CENTRAL.size
        unpack = _LISTING_RECORD.unpack_from
        sig_ok = _CENTRAL_SIG
        lines: list[bytes] = []
        append = lines.append
        total = 0
        pos = 0
        while pos + head <= limit:
            sig, time, date, usize, nlen, xlen, clen = unpack(data, pos)
            if sig != sig_ok:
                raise _Decline
            start = pos + head
            end = start + nlen
            after = end + xlen + clen
            if after > limit:
                if last:
                    raise _Decline
                break
            if xlen and not _plain_extras(data, end, end + xlen, _NAME_ZIP64_OR_TIME):
                raise _Decline
            total += usize
            if render:
                key = (date << 16) | time
                stamp = stamps.get(key)
                if stamp is None:
                    stamp = stamps[key] = listing_stamp(dos_datetime(date, time)).encode()
                append(b"%9d  %s   %s\n" % (usize, stamp, data[start:end]))
            else:
                append(data[start:end])
            pos = after
        if last and pos != limit:
            raise _Decline
        # each name ends a line either way: what _may_hold_archives looks for
        text = b"".join(lines) if render else b"\n".join(lines) + b"\n"
        if not text.isascii() or _may_hold_archives(text):
            raise _Decline
        return pos, text if render else b"", len(lines), total

    return parse


def read_plain_listing(
    buf: Buffer, size: int, max_records: int = MAX_RECORDS
) -> tuple[bytes, int, int] | None:
    """:func:`plain_listing` joined: the member lines as one ``bytes``, the member count
    and the total uncompressed size."""
    found = plain_listing(buf, size, max_records)
    return None if found is None else (b"".join(found[0]), found[1], found[2])


def _plain_extras(data: bytes, pos: int, end: int, refused: frozenset[int]) -> bool:
    """Extra fields well-formed and none of the ``refused`` kinds."""
    if end > len(data):
        return False  # the record claims extra bytes past the directory's end
    while pos + 4 <= end:
        header_id, length = EXTRA_HEADER.unpack_from(data, pos)
        pos += 4 + length
        if header_id in refused or pos > end:
            return False
    return True


def _may_hold_archives(lines: bytes) -> bool:
    """Whether a listed name ends like an archive (the full ``--list`` would open it).

    A superset of the full path's test (any case, dot files, directories and encrypted
    members included): a "maybe" only means the full path answers.
    """
    import re

    from scanner.archives.kinds import ARCHIVE_EXTENSIONS

    alternatives = "|".join(sorted(ARCHIVE_EXTENSIONS))
    # lower() then a case-sensitive search: half the time of re.IGNORECASE on 6 MB
    pattern = re.compile(rf"\.(?:{alternatives})\n".encode())
    return pattern.search(lines.lower()) is not None
