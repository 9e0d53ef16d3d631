"""The audit: one small function per check, each adding findings to a bounded collector.

Every check reads only what the central-directory reader already parsed plus, for the
local-header checks, 30 bytes + name per member (through the same buffer: a file is read
by cached blocks, never member data it does not need). The codes and severities live in
:mod:`scanner.archives.zip.codes`. Sources for the rules:

- overlapping entries: David Fifield, "A better zip bomb" (WOOT 2019) - entries whose
  local header + data spans overlap reuse one compressed kernel; ClamAV's heuristic
  allows ``overlap_slack`` (2) bytes;
- ratios: DEFLATE's ceiling of ~1032:1 (zlib technical details), stored means 1:1;
- names: the "Zip Slip" family (Snyk, 2018) - ``..``, absolute, drive, UNC, backslash;
- local/central mismatches and orphan entries: parser-differential attacks (one tool
  reads the central directory, another streams local headers; e.g. CVE-2013-4787,
  Android "Master Key", duplicate and hidden entries).
"""

from __future__ import annotations

import bisect
import itertools
import re
import stat
from dataclasses import dataclass, field

from scanner.archives.config import ZipConfig
from scanner.archives.model import Member, method_name
from scanner.archives.zip.codes import FindingList
from scanner.archives.zip.endrecords import (
    EXTRA_HEADER,
    FLAG_DATA_DESCRIPTOR,
    FLAG_ENCRYPTED,
    FLAG_MASKED_HEADERS,
    FLAG_STRONG,
    FLAG_UTF8,
    LOCAL,
    LOCAL_SIG,
    SYSTEM_UNIX,
    U64,
    Buffer,
    CentralDirectory,
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
METHOD_STORED = 0
METHOD_DEFLATE = 8
METHOD_BZIP2 = 12
METHOD_AES = 99
ZIPCRYPTO_HEADER = 12

_DRIVE = re.compile(r"[A-Za-z]:")
_SEPARATORS = re.compile(r"[\\/]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


#: Bytes one entry occupies, local header + name + extra + data (+ descriptor), as
#: ``(start, end, member index)``: plain tuples, one per member, sorted as they are.
Span = tuple[int, int, int]


@dataclass(slots=True)
class Audit:
    """Everything a check may look at, and where findings go."""

    buf: Buffer
    size: int
    cd: CentralDirectory
    cfg: ZipConfig
    findings: FindingList
    spans: list[Span] = field(default_factory=list)


def run_audit(audit: Audit) -> None:
    """Run every check in a fixed order (findings come out in a stable order)."""
    check_limits(audit)
    check_local_headers(audit)
    check_overlaps(audit)
    check_end_records(audit)
    check_orphans(audit)
    check_names(audit)
    check_duplicates(audit)
    check_modes(audit)
    check_ratios(audit)
    check_encryption(audit)


def check_limits(audit: Audit) -> None:
    """Member count and total declared size against the configured limits."""
    members = audit.cd.members
    # What the directory holds (a forged end-record count is cd-count-mismatch), unless
    # reading stopped at the hard limit: then the declared count is the better guess.
    count = max(len(members), audit.cd.declared_count) if audit.cd.partial else len(members)
    if count > audit.cfg.max_members:
        audit.findings.add(
            "member-count-over-limit",
            None,
            f"{count} members (limit {audit.cfg.max_members})",
        )
    total = sum(m.uncompressed_size for m in members)
    if total > audit.cfg.max_total_uncompressed:
        audit.findings.add(
            "total-size-over-limit",
            None,
            f"declares {total} bytes uncompressed (limit {audit.cfg.max_total_uncompressed})",
        )


def _local_zip64(buf: Buffer, start: int, length: int, usize: int, csize: int) -> tuple[int, int]:
    """Sizes from a local header's ZIP64 extra (usize then csize, sentinel fields only)."""
    pos, end = start, min(start + length, len(buf))
    while pos + 4 <= end:
        header_id, size = unpack_at(EXTRA_HEADER, buf, pos)
        if header_id == 0x0001:
            p, stop = pos + 4, min(pos + 4 + size, end)
            if usize == 0xFFFFFFFF and p + 8 <= stop:
                usize = unpack_at(U64, buf, p)[0]
                p += 8
            if csize == 0xFFFFFFFF and p + 8 <= stop:
                csize = unpack_at(U64, buf, p)[0]
            break
        pos += 4 + size
    return usize, csize


def check_local_headers(audit: Audit) -> None:
    """Each central record must point at a local header that agrees with it; records
    the byte span of each entry for the overlap and orphan checks."""
    buf, size, findings = audit.buf, audit.size, audit.findings
    spans = audit.spans
    local_size = LOCAL.size
    unpack = LOCAL.unpack_from
    for index, m in enumerate(audit.cd.members):
        off = m.local_header_offset
        raw_name = m.raw_name
        # One read for header + name (the local name is almost always the central one).
        head = bytes(buf[off : off + local_size + len(raw_name)]) if off >= 0 else b""
        if len(head) < local_size:
            findings.add(
                "bad-local-header", m.name, f"local header offset {off} is outside the file"
            )
            continue
        (sig, _ver, _sys, lflags, lmethod, _t, _d, lcrc, lcsize, lusize, lnlen, lxlen) = unpack(
            head
        )
        if sig != LOCAL_SIG:
            findings.add("bad-local-header", m.name, f"no local header signature at offset {off}")
            continue
        name_end = off + local_size + lnlen
        data_start = name_end + lxlen
        if lcsize == 0xFFFFFFFF or lusize == 0xFFFFFFFF:
            lusize, lcsize = _local_zip64(buf, name_end, lxlen, lusize, lcsize)
        if (
            not (
                lmethod == m.method
                and lcrc == m.crc
                and lcsize == m.compressed_size
                and lusize == m.uncompressed_size
                and not (lflags ^ m.flags) & FLAGS_COMPARED
                and head[local_size:] == raw_name
                and lnlen == len(raw_name)
            )
            and not m.flags & FLAG_MASKED_HEADERS
        ):
            local_name = (
                head[local_size:]
                if lnlen == len(raw_name)
                else bytes(buf[off + local_size : name_end])
            )
            diffs = _local_differences(m, local_name, lflags, lmethod, lcrc, lcsize, lusize)
            if diffs:
                findings.add("local-mismatch", m.name, "local header differs: " + "; ".join(diffs))
        end = data_start + m.compressed_size
        if (m.flags | lflags) & FLAG_DATA_DESCRIPTOR:
            wide = 8 if m.zip64 else 4
            with_sig = end + 4 <= size and bytes(buf[end : end + 4]) == DESCRIPTOR_SIG
            end += (4 if with_sig else 0) + 4 + 2 * wide
        spans.append((off, end, index))


def _local_differences(  # noqa: PLR0917
    m: Member, raw_name: bytes, flags: int, method: int, crc: int, csize: int, usize: int
) -> list[str]:
    diffs: list[str] = []
    if raw_name != m.raw_name:
        diffs.append(f"name {raw_name!r} vs central {m.raw_name!r}")
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


def check_overlaps(audit: Audit) -> None:
    """Entry spans must not overlap each other nor the central directory and end records,
    nor run past the end of the file."""
    members, findings = audit.cd.members, audit.findings
    slack = audit.cfg.overlap_slack
    records_start, records_end = audit.cd.cd_start, audit.cd.end_of_records
    audit.spans.sort()
    reach, owner = -1, -1
    size = audit.size
    for start, end, index in audit.spans:
        if start < reach - slack:
            findings.add(
                "overlapping-entries",
                members[index].name,
                f"bytes {start}-{end} overlap {members[owner].name!r} "
                f"by {min(reach, end) - start} bytes",
            )
        if end > reach:
            reach, owner = end, index
        if end > size:
            findings.add(
                "truncated",
                members[index].name,
                f"entry data ends at byte {end}, past the end of the file ({size})",
            )
        elif min(end, records_end) - max(start, records_start) > slack:
            findings.add(
                "entry-overlaps-cd",
                members[index].name,
                f"bytes {start}-{end} overlap the central directory/end records "
                f"({records_start}-{records_end})",
            )


def check_end_records(audit: Audit) -> None:
    """A second plausible end record outside every member's data (inside one, it is just
    a stored nested archive): two directories, and tools may pick different ones."""
    spans = audit.spans  # sorted by check_overlaps
    starts = [s[0] for s in spans]
    reach = list(itertools.accumulate((s[1] for s in spans), max))
    others = []
    for offset in audit.cd.other_end_records:
        at = bisect.bisect_right(starts, offset) - 1
        if at < 0 or reach[at] <= offset:
            others.append(offset)
    if others:
        where = ", ".join(str(o) for o in sorted(others)[:5])
        audit.findings.add(
            "multiple-end-records",
            None,
            f"{len(others) + 1} end records; others at offset {where} (parsers may disagree)",
        )


def check_orphans(audit: Audit) -> None:
    """Local headers in the gaps between entries (or where the prefix starts) that no
    central record refers to: hidden entries a streaming extractor would still write."""
    buf, findings, cd = audit.buf, audit.findings, audit.cd
    if cd.partial:
        return  # the records not read point at the "gaps"
    gaps: list[tuple[int, int]] = []
    if audit.spans:
        pos = audit.spans[0][0]
        if pos > 0:
            gaps.append((0, 4))  # a prefix that itself starts like an entry
        for start, end, _index in audit.spans:
            if start > pos:
                gaps.append((pos, start))
            pos = max(pos, end)
        gaps.append((pos, cd.cd_start))
    elif cd.found_end:
        gaps.append((0, cd.cd_start))
    budget = ORPHAN_SCAN_BUDGET
    for start, stop in gaps:
        stop = min(stop, audit.size)
        if stop - start < 4 or budget <= 0:
            continue
        stop = min(stop, start + budget)
        budget -= stop - start
        hit = buf.find(LOCAL_SIG, start, stop)
        while hit >= 0:
            if hit + LOCAL.size <= audit.size:
                nlen = unpack_at(LOCAL, buf, hit)[10]
                raw = bytes(buf[hit + LOCAL.size : hit + LOCAL.size + nlen])
                findings.add(
                    "orphan-local-header",
                    raw.decode("utf-8", "replace") or None,
                    f"local header at offset {hit} is not in the central directory",
                )
            hit = buf.find(LOCAL_SIG, hit + 4, stop)


def check_names(audit: Audit) -> None:
    """Path traversal and names that extract somewhere unexpected."""
    findings = audit.findings
    for m in audit.cd.members:
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
    if not m.raw_name.isascii() and not m.flags & FLAG_UTF8 and name == m.raw_name.decode("cp437"):
        findings.add(
            "non-utf8-flagged-name",
            name,
            "non-ASCII name without the UTF-8 flag: decoded as cp437, other tools may differ",
        )


def check_duplicates(audit: Audit) -> None:
    """Exact duplicates (which one wins depends on the extractor) and case-only ones."""
    findings = audit.findings
    seen: set[str] = set()
    folded: dict[str, str] = {}
    for m in audit.cd.members:
        name = m.name
        if name in seen:
            findings.add("duplicate-name", name, "the name occurs more than once")
            continue
        seen.add(name)
        key = name.casefold()
        first = folded.setdefault(key, name)
        if first != name:
            findings.add(
                "duplicate-name-case", name, f"same as {first!r} on case-insensitive systems"
            )


def check_modes(audit: Audit) -> None:
    """Unix modes in the external attributes: symlinks, setuid/setgid, special files."""
    findings = audit.findings
    for m in audit.cd.members:
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


def check_ratios(audit: Audit) -> None:
    """Declared ratios: impossible for the method, stored but not 1:1, or merely high."""
    cfg, findings, aes = audit.cfg, audit.findings, audit.cd.aes_methods
    for index, m in enumerate(audit.cd.members):
        usize, csize = m.uncompressed_size, m.compressed_size
        if usize == 0:
            continue
        method = aes.get(index, m.method) if m.method == METHOD_AES else m.method
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
        ceiling = {METHOD_DEFLATE: cfg.deflate_max_ratio, METHOD_BZIP2: cfg.bzip2_max_ratio}
        limit = ceiling.get(method)
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


def check_encryption(audit: Audit) -> None:
    """Encrypted members (their content cannot be audited) and strong encryption."""
    findings, aes = audit.findings, audit.cd.aes_methods
    for index, m in enumerate(audit.cd.members):
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


def first_entry_offset(audit: Audit) -> int:
    """Where the first entry starts (the prefix length); the central directory's start
    when there is no entry."""
    starts = [s[0] for s in audit.spans[:1]]
    if not starts:
        offsets = [m.local_header_offset for m in audit.cd.members]
        starts = [min(offsets)] if offsets else []
    return min(starts) if starts else audit.cd.cd_start


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
