"""The audit: small checks over the members as they stream past, then a few over the whole.

:class:`Audit` takes the central directory chunk by chunk (``add``) and runs the per-member
checks on each chunk: the local header (30 bytes + name + extra per member, through the same
buffer: a file is read by cached blocks, never member data it does not need), names, modes,
methods, ratios, encryption. What needs every member - overlaps, a second end record, orphan
local headers, duplicate names, the count and size limits - runs in ``finish`` over compact
indexes kept meanwhile: arrays of offsets and 64-bit name hashes, ~44 bytes per member (a
1,000,000-member archive: ~44 MB, against ~600 MB for a list of member tuples). A member's
name is read again from its central record only when a finding needs it.

The codes and severities live in :mod:`scanner.archives.zip.codes`. Sources for the rules:

- overlapping entries: David Fifield, "A better zip bomb" (WOOT 2019) - entries whose
  local header + data spans overlap reuse one compressed kernel; ClamAV's heuristic
  allows ``overlap_slack`` (2) bytes;
- ratios: DEFLATE's ceiling of ~1032:1 (zlib technical details), stored means 1:1;
- names: the "Zip Slip" family (Snyk, 2018) - ``..``, absolute, drive, UNC, backslash;
- local/central mismatches and orphan entries: parser-differential attacks (one tool
  reads the central directory, another streams local headers; e.g. CVE-2013-4787,
  Android "Master Key", duplicate and hidden entries); libzip's consistency checks
  (``ZIP_CHECKCONS``: dates, the local Unicode path, extra-field lengths).
"""

from __future__ import annotations

import itertools
import re
import stat
from array import array
from collections.abc import Iterator
from zlib import crc32

from scanner.archives.config import ZipConfig
from scanner.archives.model import METHOD_NAMES, Member, method_name
from scanner.archives.zip.central import Chunk, decode_name, member_at, read_extra
from scanner.archives.zip.codes import FindingList
from scanner.archives.zip.endrecords import (
    FLAG_DATA_DESCRIPTOR,
    FLAG_ENCRYPTED,
    FLAG_MASKED_HEADERS,
    FLAG_STRONG,
    FLAG_UTF8,
    LOCAL,
    LOCAL_SIG,
    SYSTEM_UNIX,
    U32,
    U64,
    Buffer,
    CentralDirectory,
    dos_datetime,
    unpack_at,
)

#: Flag bits that must agree between local and central headers: encryption, data
#: descriptor, strong encryption, UTF-8 names. Bits 1-2 (compression options) vary
#: between writers harmlessly.
FLAGS_COMPARED = FLAG_ENCRYPTED | FLAG_DATA_DESCRIPTOR | FLAG_STRONG | FLAG_UTF8
DESCRIPTOR_SIG = b"PK\x07\x08"
#: Gap bytes scanned for orphan local headers per archive (keeps a hostile 4 GiB archive
#: with a tiny central directory from costing a full read).
ORPHAN_SCAN_BUDGET = 64 * 1024 * 1024
#: Local extra bytes read with the header in one go (UT, ux, jar's 0xCAFE and zipalign
#: padding fit; longer extras cost a second read).
LOCAL_EXTRA_GUESS = 64
#: Android zipflinger's alignment extra id, which fronts the zeros of its virtual entries.
ZIPFLINGER_ALIGN_ID = 0xD935
METHOD_STORED = 0
METHOD_DEFLATE = 8
METHOD_BZIP2 = 12
METHOD_AES = 99
ZIPCRYPTO_HEADER = 12
#: Method numbers APPNOTE 4.4.5 defines (7, 11, 13, 15, 17 are reserved, nothing above 99).
DEFINED_METHODS = frozenset(METHOD_NAMES)

_DRIVE = re.compile(r"[A-Za-z]:")
_SEPARATORS = re.compile(r"[\\/]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Bits of a member number inside a 64-bit index key (name hash above it).
_INDEX_BITS = 20
_U64_MAX = (1 << 64) - 1


class Audit:
    """The audit of one archive: ``add`` each chunk of the central directory, then
    ``finish``. Findings go to ``findings``."""

    def __init__(
        self, buf: Buffer, size: int, cd: CentralDirectory, cfg: ZipConfig, findings: FindingList
    ) -> None:
        self.buf = buf
        self.size = size
        self.cd = cd
        self.cfg = cfg
        self.findings = findings
        wide = max(cfg.member_hard_limit, 1).bit_length() > 32
        #: member number -> file offset of its central record (names are read again here)
        self.offsets = array("Q")
        #: entry spans (local header to end of data and descriptor), in member order:
        #: start, end and member number of each member that has a local header
        self.span_start = array("Q")
        self.span_end = array("Q")
        self.span_index = array("Q" if wide else "I")
        self._spans_sorted = True
        self._order: array[int] | None = None
        self.index_bits = max(_INDEX_BITS, max(cfg.member_hard_limit, 1).bit_length())
        self._hash_mask = (1 << (64 - self.index_bits)) - 1
        #: name-hash << index_bits | member number, bucketed by the top byte
        self.exact_keys: list[array[int]] = [array("Q") for _ in range(256)]
        self.folded_keys: list[array[int]] = [array("Q") for _ in range(256)]
        self.count = 0
        self.total_uncompressed = 0

    # --- streaming -----------------------------------------------------------------------

    def add(self, chunk: Chunk) -> None:
        """Run the per-member checks over one chunk and index it for ``finish``."""
        self.offsets.extend(chunk.offsets)
        self.total_uncompressed += sum(m.uncompressed_size for m in chunk.members)
        self.count = chunk.first + len(chunk.members)
        self._check_local_headers(chunk)
        self._check_names(chunk)
        self._index_names(chunk)
        self._check_modes(chunk)
        self._check_methods_and_ratios(chunk)
        self._check_encryption(chunk)

    def finish(self) -> None:
        """The checks over every member, once the directory has been read."""
        self._check_limits()
        self._check_overlaps()
        self._check_end_records()
        self._check_orphans()
        self._check_duplicates()

    @property
    def first_entry(self) -> int | None:
        """Where the first entry with a local header starts (None without one)."""
        return min(self.span_start) if self.span_start else None

    # --- names on demand ------------------------------------------------------------------

    def name_of(self, index: int) -> str:
        """Member ``index``'s name, read again from its central record."""
        m = member_at(self.buf, self.cd, self.offsets[index])
        return m.name if m is not None else f"#{index}"

    def _wanted(self, code: str) -> bool:
        """Whether a finding of ``code`` would be kept, so that its member's name is worth
        reading again; if not, it is counted here."""
        if self.findings.wants(code):
            return True
        self.findings.add_count(code)
        return False

    # --- per member -----------------------------------------------------------------------

    def _check_local_headers(self, chunk: Chunk) -> None:
        """Each central record must point at a local header that agrees with it; records
        the byte span of each entry for the overlap and orphan checks."""
        buf, findings = self.buf, self.findings
        local_size = LOCAL.size
        unpack = LOCAL.unpack_from
        starts, ends, indexes = self.span_start, self.span_end, self.span_index
        last = starts[-1] if starts else -1
        for i, m in enumerate(chunk.members):
            index = chunk.first + i
            off = m.local_header_offset
            raw_name = m.raw_name
            # One read for header + name + a short extra (the local name is almost always
            # the central one).
            head = (
                bytes(buf[off : off + local_size + len(raw_name) + LOCAL_EXTRA_GUESS])
                if off >= 0
                else b""
            )
            if len(head) < local_size:
                findings.add(
                    "bad-local-header", m.name, f"local header offset {off} is outside the file"
                )
                continue
            (sig, _ver, _sys, lflags, lmethod, ltime, ldate, lcrc, lcsize, lusize, lnlen, lxlen) = (
                unpack(head)
            )
            if sig != LOCAL_SIG:
                findings.add(
                    "bad-local-header", m.name, f"no local header signature at offset {off}"
                )
                continue
            name_end = off + local_size + lnlen
            data_start = name_end + lxlen
            local_name = head[local_size : local_size + lnlen]
            if len(local_name) < lnlen:
                local_name = bytes(buf[off + local_size : name_end])
            local_zip64 = False
            unicode_name: str | None = None
            if lxlen:
                extra = head[local_size + lnlen : local_size + lnlen + lxlen]
                if len(extra) < lxlen:
                    extra = bytes(buf[name_end:data_start])
                info = read_extra(extra, 0, len(extra), usize=lusize, csize=lcsize, local=True)
                local_zip64 = info.zip64
                lusize, lcsize = info.usize, info.csize
                if info.malformed or len(extra) < lxlen:
                    findings.add(
                        "bad-extra-field",
                        m.name,
                        "local " + (info.malformed or "extra field runs past the end of the file"),
                    )
                if info.unicode_name is not None and info.unicode_crc == crc32(local_name):
                    unicode_name = info.unicode_name
            if (
                not (
                    lmethod == m.method
                    and lcrc == m.crc
                    and lcsize == m.compressed_size
                    and lusize == m.uncompressed_size
                    and not (lflags ^ m.flags) & FLAGS_COMPARED
                    and local_name == raw_name
                    and unicode_name in (None, m.name)
                )
                and not m.flags & FLAG_MASKED_HEADERS
            ):
                diffs = _local_differences(
                    m, local_name, unicode_name, lflags, lmethod, lcrc, lcsize, lusize
                )
                if diffs:
                    findings.add(
                        "local-mismatch", m.name, "local header differs: " + "; ".join(diffs)
                    )
            dos = chunk.dos[i]
            if (ldate << 16 | ltime) != dos and not m.flags & FLAG_MASKED_HEADERS:
                findings.add(
                    "local-time-mismatch",
                    m.name,
                    f"local DOS time {dos_datetime(ldate, ltime)} vs central "
                    f"{dos_datetime(dos >> 16, dos & 0xFFFF)}",
                )
            end = data_start + m.compressed_size
            if (m.flags | lflags) & FLAG_DATA_DESCRIPTOR:
                end += _descriptor_size(buf, end, m, local_zip64)
            starts.append(off)
            ends.append(end if end <= _U64_MAX else _U64_MAX)  # ZIP64 sizes may lie past 2**64
            indexes.append(index)
            if off < last:
                self._spans_sorted = False
            last = off

    def _check_names(self, chunk: Chunk) -> None:
        """Path traversal and names that extract somewhere unexpected."""
        findings = self.findings
        for m in chunk.members:
            name = m.name
            if (
                name.isascii()
                and name.isprintable()
                and ".." not in name
                and "\\" not in name
                and ":" not in name
                and name[:1] != "/"
            ):
                continue
            _check_one_name(m, findings)

    def _index_names(self, chunk: Chunk) -> None:
        """Hashes of each name and of its case-folded form, for ``_check_duplicates``."""
        bits, mask = self.index_bits, self._hash_mask
        exact, folded = self.exact_keys, self.folded_keys
        for index, m in enumerate(chunk.members, chunk.first):
            name = m.name
            key = (hash(name) & mask) << bits | index
            exact[key >> 56].append(key)
            key = (hash(name.lower() if name.isascii() else name.casefold()) & mask) << bits
            folded[key >> 56].append(key | index)  # lower() is casefold() for ASCII

    def _check_modes(self, chunk: Chunk) -> None:
        """Unix modes in the external attributes: symlinks, setuid/setgid, special files."""
        findings = self.findings
        for m in chunk.members:
            if m.create_system != SYSTEM_UNIX or not m.external_attr >> 16:
                continue
            mode = m.external_attr >> 16
            if mode == 0xFFFF:
                continue  # all bits set: a bogus mode some Maven-built jars carry, not a request
            kind = stat.S_IFMT(mode)
            if m.is_symlink:
                findings.add("symlink", m.name, "symbolic link member")
            elif kind in (stat.S_IFCHR, stat.S_IFBLK, stat.S_IFIFO, stat.S_IFSOCK):
                findings.add("special-file", m.name, f"special file (mode {mode:06o})")
            if mode & (stat.S_ISUID | stat.S_ISGID) and not (m.is_dir or stat.S_ISDIR(mode)):
                bits = "setuid" if mode & stat.S_ISUID else "setgid"
                findings.add("setuid", m.name, f"{bits} bit set (mode {mode:06o})")

    def _check_methods_and_ratios(self, chunk: Chunk) -> None:
        """Method numbers nobody defines; declared ratios that are impossible for the
        method, stored but not 1:1, or merely high."""
        cfg, findings, aes = self.cfg, self.findings, chunk.aes
        for index, m in enumerate(chunk.members, chunk.first):
            method = aes.get(index, m.method) if m.method == METHOD_AES else m.method
            if method not in DEFINED_METHODS:
                findings.add(
                    "unknown-method",
                    m.name,
                    f"compression method {method} is not defined (APPNOTE 4.4.5): "
                    "no tool can extract it (unzip: 'unsupported compression method')",
                )
            usize, csize = m.uncompressed_size, m.compressed_size
            if usize == 0:
                continue
            if m.encrypted and m.method != METHOD_AES:
                csize -= ZIPCRYPTO_HEADER
            if method == METHOD_STORED and not m.encrypted:
                if usize != csize:
                    findings.add(
                        "stored-size-mismatch",
                        m.name,
                        f"stored member declares {csize} bytes stored and {usize} bytes",
                    )
                continue
            if csize <= 0:
                findings.add(
                    "impossible-ratio", m.name, f"{usize} bytes from {max(csize, 0)} compressed"
                )
                continue
            ratio = usize / csize
            limit = (
                cfg.deflate_max_ratio
                if method == METHOD_DEFLATE
                else cfg.bzip2_max_ratio
                if method == METHOD_BZIP2
                else None
            )
            if limit is not None and ratio > limit:
                findings.add(
                    "impossible-ratio",
                    m.name,
                    f"{method_name(method)} cannot reach {ratio:.0f}:1 (max ~{limit:.0f}:1)",
                )
            elif usize > cfg.ratio_min_size and ratio > cfg.ratio_high:
                findings.add(
                    "high-ratio",
                    m.name,
                    f"ratio {ratio:.0f}:1 ({csize} -> {usize} bytes, {method_name(method)})",
                )

    def _check_encryption(self, chunk: Chunk) -> None:
        """Encrypted members (their content cannot be audited) and strong encryption."""
        findings, aes = self.findings, chunk.aes
        for index, m in enumerate(chunk.members, chunk.first):
            if m.flags & (FLAG_STRONG | FLAG_MASKED_HEADERS):
                what = "central directory encryption" if m.flags & FLAG_MASKED_HEADERS else "flag"
                findings.add("strong-encryption", m.name, f"PKWARE strong encryption ({what})")
            elif m.encrypted or m.method == METHOD_AES:
                if m.method == METHOD_AES:
                    inner = aes.get(index)
                    detail = "AES" + (f", {method_name(inner)} inside" if inner is not None else "")
                else:
                    detail = "ZipCrypto (weak, traditional PKWARE)"
                findings.add("encrypted", m.name, f"encrypted: {detail}")

    # --- over every member ----------------------------------------------------------------

    def _check_limits(self) -> None:
        """Member count and total declared size against the configured limits."""
        cd, cfg = self.cd, self.cfg
        # What the directory holds (a forged end-record count is cd-count-mismatch), unless
        # reading stopped at the hard limit: then the declared count is the better guess.
        count = max(self.count, cd.declared_count) if cd.partial else self.count
        if count > cfg.max_members:
            self.findings.add(
                "member-count-over-limit", None, f"{count} members (limit {cfg.max_members})"
            )
        if self.total_uncompressed > cfg.max_total_uncompressed:
            self.findings.add(
                "total-size-over-limit",
                None,
                f"declares {self.total_uncompressed} bytes uncompressed "
                f"(limit {cfg.max_total_uncompressed})",
            )

    def sorted_spans(self) -> Iterator[tuple[int, int, int]]:
        """``(start, end, member number)`` of every entry, by start (then member order)."""
        starts, ends, indexes = self.span_start, self.span_end, self.span_index
        if self._spans_sorted:
            yield from zip(starts, ends, indexes, strict=True)
            return
        if self._order is None:
            self._order = _order_by(starts)
        for k in self._order:
            yield starts[k], ends[k], indexes[k]

    def _check_overlaps(self) -> None:
        """Entry spans must not overlap each other nor the central directory and end
        records, nor run past the end of the file."""
        slack = self.cfg.overlap_slack
        records_start, records_end = self.cd.cd_start, self.cd.end_of_records
        reach, owner = -1, -1
        size = self.size
        for start, end, index in self.sorted_spans():
            if start < reach - slack and self._wanted("overlapping-entries"):
                self.findings.add(
                    "overlapping-entries",
                    self.name_of(index),
                    f"bytes {start}-{end} overlap {self.name_of(owner)!r} "
                    f"by {min(reach, end) - start} bytes",
                )
            if end > reach:
                reach, owner = end, index
            if end > size:
                if self._wanted("truncated"):
                    self.findings.add(
                        "truncated",
                        self.name_of(index),
                        f"entry data ends at byte {end}, past the end of the file ({size})",
                    )
            elif min(end, records_end) - max(start, records_start) > slack and self._wanted(
                "entry-overlaps-cd"
            ):
                self.findings.add(
                    "entry-overlaps-cd",
                    self.name_of(index),
                    f"bytes {start}-{end} overlap the central directory/end records "
                    f"({records_start}-{records_end})",
                )

    def _check_end_records(self) -> None:
        """A second plausible end record outside every member's data (inside one, it is
        just a stored nested archive): two directories, and tools may pick different ones."""
        pending = sorted(self.cd.other_end_records)
        if not pending:
            return
        others: list[int] = []
        reach = -1
        spans = self.sorted_spans()
        ahead = next(spans, None)
        for offset in pending:
            while ahead is not None and ahead[0] <= offset:
                reach = max(reach, ahead[1])
                ahead = next(spans, None)
            if reach <= offset:
                others.append(offset)
        if others:
            where = ", ".join(str(o) for o in others[:5])
            self.findings.add(
                "multiple-end-records",
                None,
                f"{len(others) + 1} end records; others at offset {where} (parsers may "
                "disagree: unzip and zipfile read the last one)",
            )

    def _check_orphans(self) -> None:
        """Local headers in the gaps between entries (or where the prefix starts) that no
        central record refers to: hidden entries a streaming extractor would still write.
        Android zipflinger's padding ("virtual entries") is told apart and noted."""
        buf, findings, cd = self.buf, self.findings, self.cd
        if cd.partial:
            return  # the records not read point at the "gaps"
        gaps: list[tuple[int, int]] = []
        pos = -1
        for start, end, _index in self.sorted_spans():
            if pos < 0:
                if start > 0:
                    gaps.append((0, 4))  # a prefix that itself starts like an entry
                pos = start
            if start > pos:
                gaps.append((pos, start))
            pos = max(pos, end)
        if pos >= 0:
            gaps.append((pos, cd.cd_start))
        elif cd.found_end:
            gaps.append((0, cd.cd_start))
        budget = ORPHAN_SCAN_BUDGET
        padding: list[int] = []
        for start, stop in gaps:
            stop = min(stop, self.size)
            if stop - start < 4 or budget <= 0:
                continue
            stop = min(stop, start + budget)
            budget -= stop - start
            hit = buf.find(LOCAL_SIG, start, stop)
            while hit >= 0:
                if hit + LOCAL.size <= self.size:
                    skip = _virtual_entry_size(buf, hit)
                    if skip:
                        padding.append(hit)
                        hit = buf.find(LOCAL_SIG, hit + skip, stop)
                        continue
                    nlen = unpack_at(LOCAL, buf, hit)[10]
                    raw = bytes(buf[hit + LOCAL.size : hit + LOCAL.size + nlen])
                    findings.add(
                        "orphan-local-header",
                        raw.decode("utf-8", "replace") or None,
                        f"local header at offset {hit} is not in the central directory",
                    )
                hit = buf.find(LOCAL_SIG, hit + 4, stop)
        if padding:
            where = ", ".join(str(p) for p in padding[:5])
            findings.add(
                "padding-entry",
                None,
                f"{len(padding)} local header(s) with no name and no data, a zero-filled "
                f"extra field (at {where}): Android zipflinger's padding, nothing to extract",
            )

    def _check_duplicates(self) -> None:
        """Exact duplicates (which one wins depends on the extractor) and case-only ones.

        Candidates are members whose name hashes collide (sorted bucket by bucket: a
        bucket's list of keys is the only transient); their names are read again to
        confirm. A byte per member marks what was found, so the findings come out in member
        order however many there are."""
        marks = bytearray(self.count)  # 1: exact duplicate, 2: duplicate but for case
        firsts: array[int] | None = None  # for 2: the member whose name it equals
        for group in self._collisions(self.exact_keys):
            seen: set[str] = set()
            for index in group:
                name = self.name_of(index)
                if name in seen:
                    marks[index] = 1
                seen.add(name)
        for group in self._collisions(self.folded_keys):
            first_of: dict[str, int] = {}
            for index in group:
                if marks[index]:
                    continue
                name = self.name_of(index)
                first = first_of.setdefault(
                    name.lower() if name.isascii() else name.casefold(), index
                )
                if first != index:
                    if firsts is None:
                        firsts = array("Q", bytes(8 * self.count))
                    marks[index], firsts[index] = 2, first
        for index in itertools.compress(range(len(marks)), marks):
            code = "duplicate-name" if marks[index] == 1 else "duplicate-name-case"
            if not self._wanted(code):
                continue
            if marks[index] == 1:
                self.findings.add(code, self.name_of(index), "the name occurs more than once")
            else:
                assert firsts is not None
                same = self.name_of(firsts[index])
                self.findings.add(
                    code, self.name_of(index), f"same as {same!r} on case-insensitive systems"
                )

    def _collisions(self, buckets: list[array[int]]) -> Iterator[list[int]]:
        """Groups (in member order) of members whose name hashes are equal."""
        bits = self.index_bits
        mask = (1 << bits) - 1
        for bucket in buckets:
            if len(bucket) < 2:
                continue
            keys = sorted(bucket)
            run_start = 0
            for i in range(1, len(keys) + 1):
                if i < len(keys) and keys[i] >> bits == keys[run_start] >> bits:
                    continue
                if i - run_start > 1:
                    yield [k & mask for k in keys[run_start:i]]
                run_start = i


def _order_by(starts: array[int]) -> array[int]:
    """Positions of ``starts`` sorted by value (ties in position order), for spans written
    out of central-directory order; the transient sort list is freed on return."""
    bits = max(1, len(starts).bit_length())
    mask = (1 << bits) - 1
    return array("Q", (key & mask for key in sorted((s << bits) | k for k, s in enumerate(starts))))


def _descriptor_size(buf: Buffer, end: int, m: Member, local_zip64: bool) -> int:
    """Bytes of the data descriptor after an entry's data: an optional PK\\x07\\x08, the
    CRC, then both sizes in 4 bytes each or, for ZIP64, 8 - whichever agrees with the
    central record (an entry that merely carries a ZIP64 extra field often has the short
    one: minizip-ng's zip64.zip); if neither does, 8-byte sizes when the local header has
    a ZIP64 extra field (APPNOTE 4.3.9.2)."""
    data = bytes(buf[end : end + 24])
    head = 4 if data[:4] == DESCRIPTOR_SIG else 0
    csize, usize = m.compressed_size, m.uncompressed_size
    if (
        len(data) >= head + 12
        and U32.unpack_from(data, head + 4)[0] == csize
        and (U32.unpack_from(data, head + 8)[0] == usize)
    ):
        return head + 12
    if (
        len(data) >= head + 20
        and U64.unpack_from(data, head + 4)[0] == csize
        and (U64.unpack_from(data, head + 12)[0] == usize)
    ):
        return head + 20
    return head + (20 if local_zip64 else 12)


def _virtual_entry_size(buf: Buffer, offset: int) -> int:
    """Size of the zipflinger "virtual entry" at ``offset`` (``LocalFileHeader
    .fillVirtualEntry``: no name, no data, CRC 0, an extra field of zeros, possibly behind
    the 0xD935 alignment id), or 0 when the local header there is anything else."""
    (_sig, _v, _s, flags, method, _t, _d, crc, csize, usize, nlen, xlen) = unpack_at(
        LOCAL, buf, offset
    )
    if nlen or csize or usize or crc or flags or method or xlen < 4:
        return 0
    extra = bytes(buf[offset + LOCAL.size : offset + LOCAL.size + xlen])
    if len(extra) < xlen:
        return 0
    if extra[:2] == ZIPFLINGER_ALIGN_ID.to_bytes(2, "little"):
        if int.from_bytes(extra[2:4], "little") != xlen - 4:
            return 0
        extra = extra[4:]
    return LOCAL.size + xlen if extra.count(0) == len(extra) else 0


def _local_differences(  # noqa: PLR0917
    m: Member,
    raw_name: bytes,
    unicode_name: str | None,
    flags: int,
    method: int,
    crc: int,
    csize: int,
    usize: int,
) -> list[str]:
    diffs: list[str] = []
    if raw_name != m.raw_name:
        diffs.append(f"name {raw_name!r} vs central {m.raw_name!r}")
    elif unicode_name is not None and unicode_name != m.name:
        diffs.append(f"Unicode path field {unicode_name!r} vs central {m.name!r}")
    if method != m.method:
        diffs.append(f"method {method_name(method)} vs central {method_name(m.method)}")
    if (flags ^ m.flags) & FLAGS_COMPARED:
        diffs.append(f"flags 0x{flags:04x} vs central 0x{m.flags:04x}")
    # With a data descriptor (bit 3) the local CRC and sizes may be zero (APPNOTE 4.4.4).
    deferred = bool((flags | m.flags) & FLAG_DATA_DESCRIPTOR)
    for label, local, central in (
        ("CRC", crc, m.crc),
        ("compressed size", csize, m.compressed_size),
        ("size", usize, m.uncompressed_size),
    ):
        if local != central and not (deferred and local == 0):
            diffs.append(f"{label} {local} vs central {central}")
    return diffs


def _check_one_name(m: Member, findings: FindingList) -> None:
    name = m.name
    if "\x00" in name:
        findings.add("nul-in-name", name, "name contains NUL: C extractors cut it there")
    if _CONTROL.search(name.replace("\x00", "")):
        findings.add("control-char-in-name", name, "name contains control characters")
    if name.startswith(("\\\\", "//")):
        findings.add("unc-path", name, "UNC path: extracts to a network share on Windows")
    elif name.startswith(("/", "\\")):
        findings.add("absolute-path", name, "absolute path: extracts outside the target")
    if _DRIVE.match(name):
        findings.add("drive-letter", name, "drive letter: extracts to another drive on Windows")
    if "\\" in name:
        findings.add("backslash-in-name", name, "backslashes are path separators on Windows")
    parts = _SEPARATORS.split(name)
    if ".." in parts:
        depth, escapes = 0, False
        for part in parts:
            if part == "..":
                depth -= 1
                escapes = escapes or depth < 0
            elif part not in ("", "."):
                depth += 1
        where = "escapes the extraction folder" if escapes else "contains '..' components"
        findings.add("path-traversal", name, f"name {where}")
    raw = m.raw_name
    if not raw.isascii() and not m.flags & FLAG_UTF8 and name == decode_name(raw, m.flags):
        if name.encode() == raw:
            detail = "valid UTF-8, shown as UTF-8 like zipinfo and 7-Zip (zipfile shows cp437)"
        else:
            detail = "decoded as cp437 like zipfile (unzip and zipinfo print the raw bytes)"
        findings.add(
            "non-utf8-flagged-name", name, f"non-ASCII name without the UTF-8 flag: {detail}"
        )


def describe_prefix(head: bytes) -> str:
    """What the bytes before the first entry look like."""
    if head.startswith(b"MZ"):
        return "self-extracting executable (sfx: Windows PE 'MZ' stub)"
    if head.startswith(b"\x7fELF"):
        return "self-extracting executable (sfx: ELF stub)"
    if head.startswith(b"#!"):
        return "self-extracting script (sfx: '#!' stub)"
    if head.startswith(b"JM\x01"):
        return "Java JMOD header (expected for .jmod files)"
    if head.startswith(b"%PDF"):
        return "PDF polyglot"
    return "unknown data"
