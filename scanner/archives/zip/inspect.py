"""The work unit every scheduler shares: inspect one archive, return one report.

Synchronous and self-contained (no scheduling, no output), so the anyio engine, the
thread-pool and the sequential variants call exactly this and get identical reports.
A broken or hostile archive yields findings, an unreadable file an ``error``; neither
raises. Nothing is written to disk: nested archives are decompressed into memory within
``cfg.nested_byte_budget``.
"""

from __future__ import annotations

import contextlib
import gc
import os
import stat
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner.archives.config import ZipConfig
from scanner.archives.kinds import ARCHIVE_EXTENSIONS, extension_of, is_archive_name
from scanner.archives.model import ArchiveReport, Member, method_name
from scanner.archives.source import BLOCK, FileView
from scanner.archives.stop import check
from scanner.archives.zip.central import iter_chunks
from scanner.archives.zip.checks import Audit, describe_prefix
from scanner.archives.zip.codes import FindingList
from scanner.archives.zip.endrecords import (
    CENTRAL,
    CENTRAL_SIG,
    EOCD,
    EOCD_SIG,
    ZIP64_EOCD,
    ZIP64_EOCD_SIG,
    ZIP64_LOCATOR,
    ZIP64_LOCATOR_SIG,
    Buffer,
    read_end_records,
)
from scanner.archives.zip.verify import CorruptData, member_data
from scanner.archives.zip.verify import verify_members as _verify_members
from scanner.errors import ItemError

if TYPE_CHECKING:
    from scanner.archives.reader import MemberSink

#: Files up to this size are read whole with one ``read`` (cheaper than several preads).
WHOLE_READ_LIMIT = 256 * 1024
#: Larger files are read whole (once the directory is known) only when their members
#: average less than a block, i.e. when auditing would read every block anyway.
DENSE_READ_LIMIT = 32 * 1024 * 1024
#: Longest symlink target read to check where it points (PATH_MAX).
SYMLINK_TARGET_MAX = 4096
#: Most compressed bytes such a target takes (stored or deflated: a few bytes more than the
#: target; bzip2's worst case is 1% + 600). More is padding, e.g. deflate's empty blocks,
#: which decompress to nothing: read through many records pointing at the same data, it
#: would cost records x size. Such a target is not read and counts as hiding where it points.
SYMLINK_COMPRESSED_MAX = 2 * SYMLINK_TARGET_MAX


@dataclass(slots=True)
class _Budget:
    """What one inspected file may still cost, shared by its whole nesting tree: bytes
    decompressed for nested archives, nested archives opened, central records read, bytes
    ``--verify`` decompresses (were that per archive, 1,000 nested archives would each
    decompress the whole budget)."""

    remaining: int
    archives: int
    records: int
    verify: int

    @classmethod
    def of(cls, cfg: ZipConfig) -> _Budget:
        return cls(
            cfg.nested_byte_budget,
            cfg.max_nested_archives,
            cfg.member_hard_limit,
            cfg.verify_byte_budget,
        )


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC: an inspection allocates a tuple per member (and spans, sets)
    but builds no reference cycles, and with the GC on every 700 allocations rescan the
    growing lists (~20% of a 100k-member parse). Thread-safe enough: at worst another
    thread's collection is postponed until the last inspection ends."""
    global _paused_depth
    with _gc_lock:
        if _paused_depth == 0:
            _gc_was_enabled[0] = gc.isenabled()
            gc.disable()
        _paused_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _paused_depth -= 1
            if _paused_depth == 0 and _gc_was_enabled[0]:
                gc.enable()


_gc_lock = threading.Lock()
_paused_depth = 0
_gc_was_enabled = [True]


def inspect_bytes(
    data: bytes | memoryview,
    path: str,
    cfg: ZipConfig,
    depth: int = 0,
    sink: MemberSink | None = None,
) -> ArchiveReport:
    """Inspect an archive held in memory; ``depth`` is its nesting level (0 = a file).
    ``sink``: see :func:`inspect_file`."""
    buf = data if isinstance(data, bytes) else bytes(data)
    return _inspect(buf, path, cfg, depth, _Budget.of(cfg), sink)


def inspect_file(path: str, cfg: ZipConfig, sink: MemberSink | None = None) -> ArchiveReport:
    """Inspect the archive at ``path``; reads the tail, the central directory and the local
    headers (plus member data only for ``verify`` and nested archives). Never raises for
    a bad archive or an unreadable file: see ``report.error`` and ``report.findings``.

    The central directory is read in chunks: memory is bounded by a chunk, the findings
    kept and the audit's indexes (~44 bytes per member), not by the member count. Members
    are kept in ``report.members`` only with ``cfg.keep_members``; a ``sink`` receives
    them chunk by chunk as they are read instead (see
    :class:`~scanner.archives.reader.MemberSink`), nested archives' after their outer
    archive's."""
    try:
        # O_NONBLOCK: a FIFO named like an archive must not hang the scan.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        return ArchiveReport(path=path, error=ItemError.from_os_error(path, "open", exc))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return ArchiveReport(
                path=path, error=ItemError(path, "open", "not a regular file", None)
            )
        size = st.st_size
        buf: Buffer
        if size <= WHOLE_READ_LIMIT:
            buf = os.pread(fd, size, 0)
        else:
            buf = FileView(fd, size)
        try:
            return _inspect(buf, path, cfg, 0, _Budget.of(cfg), sink)
        except struct.error:
            # Only reachable when the file shrank between fstat and a read.
            return ArchiveReport(
                path=path, size=size, error=ItemError(path, "read", "file changed while read")
            )
    except OSError as exc:
        return ArchiveReport(path=path, error=ItemError.from_os_error(path, "read", exc))
    finally:
        os.close(fd)


def sniff_zip(tail: bytes, file_size: int) -> bool:
    """Whether a file looks like a zip archive from its last bytes alone.

    ``tail`` holds the last ``min(file_size, 64 KiB + 22)`` bytes. True when an end record
    (or ZIP64 end records) declares a central directory lying inside the file and, when
    that start is within ``tail``, it begins with a central header signature (what
    ``zipfile.is_zipfile`` does not check). An empty archive (no members) counts.
    """
    base = file_size - len(tail)
    pos = len(tail) - EOCD.size
    while pos >= 0:
        pos = tail.rfind(EOCD_SIG, 0, pos + 4)
        if pos < 0:
            return False
        if _sniff_candidate(tail, base, pos):
            return True
        pos -= 1
    return False


def _sniff_candidate(tail: bytes, base: int, pos: int) -> bool:
    _sig, disk, cd_disk, _n, count, cd_size, _off, clen = EOCD.unpack_from(tail, pos)
    if pos + EOCD.size + clen > len(tail):
        return False
    records = pos
    loc = pos - ZIP64_LOCATOR.size
    rec = loc - ZIP64_EOCD.size
    if (
        loc >= 0
        and tail[loc : loc + 4] == ZIP64_LOCATOR_SIG
        and rec >= 0
        and (tail[rec : rec + 4] == ZIP64_EOCD_SIG)
    ):
        fields = ZIP64_EOCD.unpack_from(tail, rec)
        # 3MF writers put 0xFFFF in every classic field, disks included
        disk = fields[4] if disk == 0xFFFF else disk
        cd_disk = fields[5] if cd_disk == 0xFFFF else cd_disk
        count, cd_size = fields[7], fields[8]
        records = rec
    if disk != 0 or cd_disk != 0:
        return False
    if count == 0:
        return bool(cd_size == 0)
    if count * CENTRAL.size > cd_size:
        return False
    start = records - cd_size  # where the directory must start, relative to tail
    if base + start < 0:
        return False
    if start >= 0:
        return tail[start : start + 4] == CENTRAL_SIG
    return True  # starts before the tail: inside the file, cannot check more from here


def _inspect(  # noqa: PLR0917
    buf: Buffer,
    path: str,
    cfg: ZipConfig,
    depth: int,
    budget: _Budget,
    sink: MemberSink | None = None,
) -> ArchiveReport:
    size = len(buf)
    findings = FindingList(cfg.max_findings_per_code, cfg.min_severity)
    if depth > cfg.max_nested_depth:
        findings.add(
            "nested-too-deep",
            None,
            f"nested {depth} levels deep (limit {cfg.max_nested_depth})",
        )
    report = ArchiveReport(path=path, size=size)
    nested: list[Member] = []
    with _gc_paused():
        cd = read_end_records(buf, size, findings)
        if (
            isinstance(buf, FileView)
            and cfg.audit
            and size <= DENSE_READ_LIMIT
            and min(cd.declared_count, budget.records) * BLOCK >= size
        ):
            # Members average under one block: the local-header pass would read every
            # block anyway, so read the file once instead of block by block.
            buf = buf[0:size]
        stats = _Statistics(cd.zip64)
        audit = Audit(buf, size, cd, cfg, findings) if cfg.audit and cd.found_end else None
        kept: list[Member] | None = [] if cfg.keep_members else None
        verifying = cfg.verify
        if sink is not None:
            sink.begin(path)
        if cd.found_end:
            for chunk in iter_chunks(buf, cd, findings, budget.records):
                # abandoned by the engine (Ctrl-C, deadline): a 1M-member directory takes
                # seconds, a chunk milliseconds
                check()
                members = chunk.members
                stats.add(members)
                if audit is not None:
                    audit.add(chunk)
                    _check_symlink_targets(buf, members, cfg, findings)
                if verifying:
                    verifying = _verify_chunk(buf, members, cfg, findings, budget)
                if cfg.recurse and stats.may_hold_archives:
                    _nested_candidates(members, nested, cfg, depth, budget, findings)
                if kept is not None:
                    kept.extend(members)
                if sink is not None:
                    sink.members(path, members)
            budget.records -= cd.read_count
            if audit is not None:
                audit.finish()
        if sink is not None:
            sink.end(path)
        stats.fill(report)
        report.comment = _decode_comment(cd.comment)
    if cd.found_end:
        first = audit.first_entry if audit is not None else None
        prefix = first if first is not None else stats.first_local(cd.cd_start)
        report.prefix_bytes = prefix
        report.trailing_bytes = size - cd.end_of_records
        if prefix > 0:
            findings.add(
                "prefix-data",
                None,
                f"{prefix} bytes before the first entry: {describe_prefix(bytes(buf[0:4]))}",
            )
        if nested:
            _inspect_nested(buf, report, nested, cfg, depth, budget, findings, sink)
            if depth == 0 and report.nested:
                _check_expanded_size(report, cfg, findings)
    report.findings = findings.finish()
    report.members = kept
    return report


class _Statistics:
    """The report's counters, added up chunk by chunk."""

    __slots__ = (
        "count",
        "encrypted",
        "first",
        "lowered",
        "methods",
        "sizes",
        "total_c",
        "total_u",
        "zip64",
    )

    def __init__(self, zip64: bool) -> None:
        self.count = self.total_c = self.total_u = self.encrypted = 0
        self.methods: dict[int, int] = {}
        self.sizes: dict[str, list[int]] = {}
        self.lowered: dict[str, str] = {}
        self.zip64 = zip64
        #: the lowest local header offset (the prefix when no entry has a local header)
        self.first: int | None = None

    @property
    def may_hold_archives(self) -> bool:
        """Whether a member so far has an archive's extension (``sizes`` counts every
        non-directory member by the rule ``is_archive_name`` applies): without one, 100k
        members need not be tested one by one."""
        return not ARCHIVE_EXTENSIONS.isdisjoint(self.sizes)

    def add(self, members: list[Member]) -> None:
        """Count one chunk of members."""
        self.count += len(members)
        methods, sizes, lowered = self.methods, self.sizes, self.lowered
        total_c = total_u = encrypted = 0
        zip64 = self.zip64
        first = self.first
        for m in members:
            total_c += m.compressed_size
            usize = m.uncompressed_size
            total_u += usize
            method = m.method
            methods[method] = methods.get(method, 0) + 1
            if first is None or m.local_header_offset < first:
                first = m.local_header_offset
            if m.encrypted:
                encrypted += 1
            if m.zip64:
                zip64 = True
            if m.is_dir:
                continue
            # extension_of(), inlined for the common case (one hot loop per member)
            name = m.name
            dot = name.rfind(".")
            if dot <= 0:
                ext = ""
            else:
                slash = name.rfind("/")
                if dot <= slash + 1 or "\\" in name or name[slash + 1] == ".":
                    ext = extension_of(name)
                else:
                    raw_ext = name[dot + 1 :]
                    ext = lowered.get(raw_ext) or lowered.setdefault(raw_ext, raw_ext.lower())
            entry = sizes.get(ext)
            if entry is None:
                sizes[ext] = [1, usize]
            else:
                entry[0] += 1
                entry[1] += usize
        self.total_c += total_c
        self.total_u += total_u
        self.encrypted += encrypted
        self.zip64 = zip64
        self.first = first

    def first_local(self, default: int) -> int:
        """The lowest local header offset, or ``default`` without members."""
        return default if self.first is None else self.first

    def fill(self, report: ArchiveReport) -> None:
        """Copy the counters into ``report``."""
        report.member_count = self.count
        report.total_compressed = self.total_c
        report.total_uncompressed = self.total_u
        report.ratio = self.total_u / self.total_c if self.total_c else 0.0
        report.methods = {method_name(k): v for k, v in self.methods.items()}
        report.encrypted_count = self.encrypted
        report.zip64 = self.zip64
        report.extensions = {k: (v[0], v[1]) for k, v in self.sizes.items()}


def _verify_chunk(
    buf: Buffer, members: list[Member], cfg: ZipConfig, findings: FindingList, budget: _Budget
) -> bool:
    """``--verify`` over one chunk; False once the budget is spent (and said so)."""
    before = findings.count("verify-budget-exceeded")
    budget.verify -= _verify_members(buf, members, cfg, findings, budget.verify)
    return findings.count("verify-budget-exceeded") == before


def _decode_comment(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp437")


def _read_member(buf: Buffer, m: Member, limit: int, cfg: ZipConfig) -> bytes | None:
    """Up to ``limit`` decompressed bytes of a member, or None when it has no data."""
    pieces = member_data(buf, m, limit=limit, chunk=cfg.verify_chunk)
    return None if pieces is None else b"".join(pieces)


def _check_symlink_targets(
    buf: Buffer, members: list[Member], cfg: ZipConfig, findings: FindingList
) -> None:
    """A symlink's data is its target: absolute or climbing out of the tree, it lets a
    later member be written anywhere on extraction."""
    for m in members:
        if not m.is_symlink or m.encrypted or m.uncompressed_size > SYMLINK_TARGET_MAX:
            continue
        if m.compressed_size > SYMLINK_COMPRESSED_MAX:
            findings.add(
                "symlink-escape",
                m.name,
                f"target not read: {m.compressed_size} compressed bytes for at most "
                f"{SYMLINK_TARGET_MAX} (padded to hide it?)",
            )
            continue
        try:
            raw = _read_member(buf, m, SYMLINK_TARGET_MAX, cfg)
        except (CorruptData, ValueError):
            continue
        if raw is None:
            continue
        target = raw.decode("utf-8", "replace")
        if target.startswith(("/", "\\")) or (len(target) > 1 and target[1] == ":"):
            findings.add("symlink-escape", m.name, f"points to absolute path {target!r}")
            continue
        depth = m.name.rstrip("/").count("/")  # directories above the link
        for part in target.replace("\\", "/").split("/"):
            if part == "..":
                depth -= 1
                if depth < 0:
                    findings.add("symlink-escape", m.name, f"points outside: {target!r}")
                    break
            elif part not in ("", "."):
                depth += 1


def _expanded_size(report: ArchiveReport) -> int:
    return report.total_uncompressed + sum(_expanded_size(n) for n in report.nested)


def _check_expanded_size(report: ArchiveReport, cfg: ZipConfig, findings: FindingList) -> None:
    """42.zip: every level declares little, the tree declares petabytes. Counts only the
    nested archives that were opened, so the real total is at least this."""
    if report.total_uncompressed > cfg.max_total_uncompressed:
        return  # already reported for the archive itself
    expanded = _expanded_size(report)
    if expanded > cfg.max_total_uncompressed:
        findings.add(
            "total-size-over-limit",
            None,
            f"with its nested archives declares at least {expanded} bytes uncompressed "
            f"(limit {cfg.max_total_uncompressed})",
        )


def _nested_candidates(  # noqa: PLR0917
    members: list[Member],
    out: list[Member],
    cfg: ZipConfig,
    depth: int,
    budget: _Budget,
    findings: FindingList,
) -> None:
    """Keep the members that may be opened as nested archives once the directory is read.

    Bounded: past the nesting hard limit none is kept, and past what the archive budget
    could still open (plus as many again for ones that fail to open) the rest are
    reported at once instead of kept."""
    for m in members:
        if m.is_dir or m.encrypted or not is_archive_name(m.name):
            continue
        if depth + 1 > cfg.nested_hard_limit:
            findings.add(
                "nested-limit",
                m.name,
                f"not opened: nesting stops at {cfg.nested_hard_limit} levels",
            )
        elif len(out) >= 2 * max(budget.archives, 0):
            findings.add(
                "nested-budget-exceeded",
                m.name,
                f"not opened: more nested archives than the {cfg.max_nested_archives} "
                "that may be inspected",
            )
        else:
            out.append(m)


def _inspect_nested(  # noqa: PLR0917
    buf: Buffer,
    report: ArchiveReport,
    members: list[Member],
    cfg: ZipConfig,
    depth: int,
    budget: _Budget,
    findings: FindingList,
    sink: MemberSink | None,
) -> None:
    """Inspect members that are archives, from memory, within the shared byte budget."""
    for m in members:
        check()  # abandoned by the engine (Ctrl-C, deadline): stop here
        child_path = f"{report.path}!{m.name}"
        if budget.archives <= 0:
            findings.add(
                "nested-budget-exceeded",
                m.name,
                f"not opened: {cfg.max_nested_archives} nested archives already inspected",
            )
            continue
        # reading costs the compressed bytes too: deflate's empty blocks decompress to
        # nothing, and records pointing at the same data would read them again for free
        compressed = min(m.compressed_size, len(buf))
        cost = max(m.uncompressed_size, compressed)
        if cost > budget.remaining:
            findings.add(
                "nested-budget-exceeded",
                m.name,
                f"not opened: {cost} bytes, {budget.remaining} left of the "
                f"nested budget ({cfg.nested_byte_budget})",
            )
            continue
        try:
            data = _read_member(buf, m, m.uncompressed_size, cfg)
        except CorruptData as exc:
            budget.remaining -= compressed
            findings.add("nested-unreadable", m.name, f"cannot decompress: {exc}")
            continue
        except ValueError as exc:
            findings.add("nested-unreadable", m.name, f"cannot decompress: {exc}")
            continue
        if data is None:
            continue
        budget.remaining -= max(len(data), compressed)
        budget.archives -= 1
        report.nested.append(_inspect(data, child_path, cfg, depth + 1, budget, sink))
