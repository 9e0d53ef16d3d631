"""Decompress members to nowhere, in bounded steps, to check CRC-32 and declared sizes.

Every decompressor is driven with ``max_length`` so one step never yields more than
``cfg.verify_chunk`` bytes, whatever the input (``zipfile`` reads bzip2/LZMA members
without such a bound). Decompression stops one byte past the declared size (enough to
prove a size lie) and at the per-archive byte budget. Compressed input is read from the
buffer in chunks (``pread`` for files), so resident memory stays at a few chunks plus the
decompressor's own state.
"""

from __future__ import annotations

import bz2
import lzma
import struct
import zlib
from collections.abc import Iterator
from typing import Protocol

from scanner.archives.config import ZipConfig
from scanner.archives.model import METHOD_NAMES, Member, method_name
from scanner.archives.stop import check
from scanner.archives.zip.codes import FindingList
from scanner.archives.zip.endrecords import EXTRA_HEADER, LOCAL, LOCAL_SIG, Buffer, unpack_at

METHOD_STORED = 0
METHOD_DEFLATE = 8
METHOD_BZIP2 = 12
METHOD_LZMA = 14
METHOD_AES = 99
#: General-purpose flag bit 1 for LZMA (method 14): the stream ends with an end marker.
FLAG_LZMA_EOS = 0x0002
SUPPORTED_METHODS = frozenset({METHOD_STORED, METHOD_DEFLATE, METHOD_BZIP2, METHOD_LZMA})
#: The LZMA dictionary is allocated up front from the member's header; never larger than
#: the declared output (no match can reach further back), so a forged 4 GiB dictionary in
#: a small member cannot reserve 4 GiB.
LZMA_MIN_DICT = 4096


class CorruptData(Exception):
    """The compressed stream cannot be decoded (bad data, or it ends too early)."""


class _Decompressor(Protocol):
    @property
    def needs_input(self) -> bool: ...
    @property
    def eof(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    def decompress(self, data: bytes, max_length: int = -1) -> bytes: ...


def local_data_start(buf: Buffer, size: int, member: Member) -> int | None:
    """Offset of the member's data (after its local header), or None without one."""
    off = member.local_header_offset
    if off < 0 or off + LOCAL.size > size or bytes(buf[off : off + 4]) != LOCAL_SIG:
        return None
    nlen, xlen = unpack_at(EXTRA_HEADER, buf, off + 26)
    start: int = off + LOCAL.size + nlen + xlen
    return start


def _lzma_decompressor(header: bytes, usize: int) -> lzma.LZMADecompressor:
    """Zip's LZMA (method 14): 2-byte version, 2-byte properties size, then the 5-byte
    LZMA1 properties (lc/lp/pb byte + dictionary size); the stream itself is raw LZMA1."""
    if len(header) < 9:
        raise CorruptData("LZMA header is truncated")
    props_size = struct.unpack_from("<H", header, 2)[0]
    if props_size != 5:
        raise CorruptData(f"LZMA properties are {props_size} bytes, expected 5")
    byte, dict_size = struct.unpack_from("<BL", header, 4)
    if byte >= 9 * 5 * 5:
        raise CorruptData("invalid LZMA properties")
    lc, rest = byte % 9, byte // 9
    lp, pb = rest % 5, rest // 5
    dict_size = max(LZMA_MIN_DICT, min(dict_size, usize))
    filters = [{"id": lzma.FILTER_LZMA1, "dict_size": dict_size, "lc": lc, "lp": lp, "pb": pb}]
    try:
        return lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=filters)
    except lzma.LZMAError as exc:
        raise CorruptData(f"LZMA: {exc}") from None


def iter_member_data(
    buf: Buffer,
    start: int,
    *,
    csize: int,
    method: int,
    limit: int,
    chunk: int,
    usize: int = 0,
    flags: int = 0,
    trailing: list[int] | None = None,
) -> Iterator[bytes]:
    """Yield the member's decompressed bytes in pieces of at most ``chunk``, stopping after
    ``limit`` bytes in total. Raises :class:`CorruptData` for undecodable data and
    ``ValueError`` for an unsupported method.

    An LZMA stream written without an end marker (``flags`` bit 1 clear: libzip's
    ``lzma-no-eos.zip``, WinZip) ends at the declared ``usize``. When a stream ends at its
    own end marker before ``csize`` is used up, the bytes left over are appended to
    ``trailing`` (room inside the entry that no extractor reads)."""
    end = min(start + max(csize, 0), len(buf))
    if method == METHOD_STORED:
        pos, stop = start, min(end, start + limit)
        while pos < stop:
            piece = bytes(buf[pos : min(stop, pos + chunk)])
            pos += len(piece)
            yield piece
        return
    pos = start
    dec: _Decompressor
    if method == METHOD_DEFLATE:
        dec = _Inflater()
    elif method == METHOD_BZIP2:
        dec = bz2.BZ2Decompressor()
    elif method == METHOD_LZMA:
        dec = _lzma_decompressor(bytes(buf[pos : min(end, pos + 9)]), usize or limit)
        pos += 9
    else:
        raise ValueError(f"unsupported compression method {method_name(method)}")
    produced = 0
    # Without an end marker the declared size is where the stream ends.
    until = limit if method != METHOD_LZMA or flags & FLAG_LZMA_EOS else min(limit, usize)
    try:
        while produced < until and not dec.eof:
            if dec.needs_input:
                if pos >= end:
                    raise CorruptData(f"{method_name(method)} stream ends early")
                data = bytes(buf[pos : min(end, pos + chunk)])
                pos += len(data)
            else:
                data = b""
            out = dec.decompress(data, min(chunk, until - produced))
            if out:
                produced += len(out)
                yield out
    except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error) as exc:
        raise CorruptData(f"{method_name(method)}: {exc}") from None
    if dec.eof and trailing is not None:
        left = len(dec.unused_data) + max(0, end - pos)
        if left:
            trailing.append(left)


class _Inflater:
    """``zlib.decompressobj(-15)`` behind the bz2/lzma decompressor interface
    (``needs_input``/``eof``), so one bounded loop drives every method."""

    __slots__ = ("_dec", "_full")

    def __init__(self) -> None:
        self._dec = zlib.decompressobj(-15)
        self._full = False

    @property
    def needs_input(self) -> bool:
        # Output cut at max_length may leave a match half copied with no input pending.
        return not self._dec.unconsumed_tail and not self._full

    @property
    def eof(self) -> bool:
        return self._dec.eof

    @property
    def unused_data(self) -> bytes:
        return self._dec.unused_data

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        out = self._dec.decompress(data or self._dec.unconsumed_tail, max_length)
        self._full = len(out) == max_length
        return out


def member_data(
    buf: Buffer,
    member: Member,
    *,
    limit: int,
    chunk: int,
    trailing: list[int] | None = None,
) -> Iterator[bytes] | None:
    """The decompressed pieces of ``member`` (see :func:`iter_member_data`), or None when
    it has no local header to start from."""
    start = local_data_start(buf, len(buf), member)
    if start is None:
        return None
    return iter_member_data(
        buf,
        start,
        csize=member.compressed_size,
        method=member.method,
        limit=limit,
        chunk=chunk,
        usize=member.uncompressed_size,
        flags=member.flags,
        trailing=trailing,
    )


def _budget_spent(produced: int, cfg: ZipConfig) -> str:
    return (
        f"stopped after {produced} bytes: the budget of {cfg.verify_byte_budget} per file "
        "(nested archives included) is spent"
    )


def verify_members(
    buf: Buffer,
    members: list[Member],
    cfg: ZipConfig,
    findings: FindingList,
    budget: int | None = None,
) -> int:
    """Check every member's CRC-32 and size by decompressing it; returns the bytes charged
    to the budget (per member, what it decompressed to or its compressed size if larger).

    Encrypted members are skipped (the audit reports them); members without a local
    header were reported by the audit and are skipped too. ``budget``: bytes that may still
    be decompressed, ``cfg.verify_byte_budget`` unless the inspection passes what the other
    archives of the same file (outer and nested) left of it.
    """
    budget = cfg.verify_byte_budget if budget is None else budget
    produced_total = 0
    for m in members:
        if m.encrypted or m.method == METHOD_AES:
            continue
        if m.method not in SUPPORTED_METHODS:
            if m.method in METHOD_NAMES:
                findings.add(
                    "unsupported-method", m.name, f"cannot verify {method_name(m.method)} data"
                )
            elif not cfg.audit:  # else the audit reported it
                findings.add("unknown-method", m.name, f"compression method {m.method}")
            continue
        if budget <= 0:
            findings.add(
                "verify-budget-exceeded",
                None,
                _budget_spent(produced_total, cfg),
            )
            break
        limit = min(m.uncompressed_size + 1, budget)
        trailing: list[int] = []
        pieces = member_data(buf, m, limit=limit, chunk=cfg.verify_chunk, trailing=trailing)
        if pieces is None:
            continue
        crc = 0
        count = 0
        try:
            for piece in pieces:
                check()  # abandoned by the engine (Ctrl-C, deadline): stop here
                crc = zlib.crc32(piece, crc)
                count += len(piece)
        except CorruptData as exc:
            findings.add("corrupt-data", m.name, str(exc))
            continue
        finally:
            # at least the compressed bytes: deflate's empty blocks decompress to nothing,
            # and records pointing at the same data would read them again for free
            cost = max(count, min(m.compressed_size, len(buf)))
            budget -= cost
            produced_total += cost
        if count > m.uncompressed_size:
            findings.add(
                "size-mismatch",
                m.name,
                f"decompresses to more than the declared {m.uncompressed_size} bytes",
            )
        elif count < m.uncompressed_size:
            if count >= limit:
                findings.add(
                    "verify-budget-exceeded",
                    m.name,
                    _budget_spent(produced_total, cfg),
                )
                break
            findings.add(
                "size-mismatch",
                m.name,
                f"decompresses to {count} bytes, {m.uncompressed_size} declared",
            )
        elif crc != m.crc:
            findings.add("crc-mismatch", m.name, f"CRC-32 is {crc:08x}, {m.crc:08x} declared")
        if trailing:
            findings.add(
                "data-after-stream",
                m.name,
                f"the {method_name(m.method)} stream ends {trailing[0]} bytes before the "
                f"declared compressed size ({m.compressed_size})",
            )
    return produced_total
