"""The frozen configuration of an archive inspection.

Built by the CLI (``scanner zip``, ``scanner scan --into-archives``) or by library users,
and passed unchanged to every work unit. Each threshold says where its default comes from.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from scanner.archives.model import Severity
from scanner.archives.zip.endrecords import MAX_RECORDS

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


@dataclass(frozen=True)
class ZipConfig:
    """What to inspect and which thresholds the audit applies."""

    #: Keep every :class:`~scanner.archives.model.Member` in the report (``--list``, JSON).
    #: Off by default so a tree of large archives costs only counters and findings; a
    #: :class:`~scanner.archives.reader.MemberSink` passed to ``inspect_file`` gets the
    #: members chunk by chunk instead, whatever this says.
    keep_members: bool = False
    #: Run the audit (local headers, overlaps, names, modes, ratios...). Off, only the
    #: central directory is read: a plain listing, like ``zipinfo -1``.
    audit: bool = True
    #: Decompress every member to nowhere and check CRC32 and sizes (``--verify``).
    verify: bool = False
    #: Inspect members that are archives themselves (kinds.ARCHIVE_EXTENSIONS), from memory.
    recurse: bool = True
    #: Nesting deeper than this is a high-severity finding (issue 3: "high above 3").
    max_nested_depth: int = 3
    #: Never recurse deeper than this, whatever the archive says (issue 3: "hard stop at 16").
    nested_hard_limit: int = 16
    #: Bytes that may be decompressed into memory for nested archives, over the whole
    #: outer archive (one member larger than this is not opened). Bounds memory.
    nested_byte_budget: int = 64 * MIB
    #: Nested archives opened at most per outer archive (42.zip-style trees of archives
    #: would otherwise cost one report each, 16**depth of them).
    max_nested_archives: int = 1000
    #: Bytes ``--verify`` may decompress per inspected file, its nested archives included
    #: (each with its own budget, an archive of 1,000 nested overlap bombs would cost hours),
    #: before it stops with a finding; generous because verification streams (memory stays
    #: at one buffer).
    verify_byte_budget: int = 4 * GIB
    #: Size of one decompression step for ``--verify`` (the ``max_length`` passed to the
    #: decompressors); memory per archive stays a small multiple of this.
    verify_chunk: int = 256 * KIB
    #: Declared ratio above which a member is a "high ratio" finding (issue 3: > 100) ...
    ratio_high: float = 100.0
    #: ... when its declared uncompressed size is above this, so that data files of zeros do
    #: not count. Calibrated (issue 12) on the 2,497 jars, wheels, jmods and zips of a Debian
    #: + Python + JDK machine: 100 KiB (issue 3) flagged 40 ordinary members (scipy and onnx
    #: test data, up to 1016:1 at 2.5 MB); none is above 16 MiB. A bomb worth the name
    #: declares gigabytes (and a 1,000:1 member of 16 MiB is still flagged).
    ratio_min_size: int = 16 * MIB
    #: DEFLATE cannot expand more than ~1032:1 (zlib technical details, Mark Adler: one
    #: 258-byte match per 2 bits of output at best); a higher declared ratio is impossible.
    deflate_max_ratio: float = 1032.0
    #: BZIP2's best case is about 1.4e6:1 (run-length stage then BWT; "bzip2 --best" on
    #: zeros); higher is impossible.
    bzip2_max_ratio: float = 1_500_000.0
    #: Total declared uncompressed size over this is a finding. Issue 3 said 1 GiB; issue
    #: 12's calibration found ordinary wheels above it (tensorflow-cpu 1.27 GB, torch
    #: 1.14 GB declared; CUDA builds reach several GB), so 8 GiB: bombs declare terabytes
    #: to petabytes (42.zip: 4.5 PB), and overlap bombs are flagged whatever they declare.
    max_total_uncompressed: int = 8 * GIB
    #: More members than this is a finding. Issue 3 said 10,000; issue 12's calibration
    #: found 15 ordinary archives above it (the JDK's src.zip and ct.sym, vendor jars,
    #: wheels; the largest 33,472 members, a Google Cloud SDK jar), so 100,000: hostile
    #: ones count millions (the reader stops at ``member_hard_limit``).
    max_members: int = 100_000
    #: Central records read at most per inspected file, nested archives included (the
    #: rest is a ``members-not-read`` finding). The directory is streamed: each record
    #: costs ~44 bytes of the audit's indexes (a 1,000,000-member archive: 70 MiB peak RSS
    #: for the audit, 22 MiB for a listing through a member sink), or ~450 bytes when
    #: members are kept (``keep_members``). Real archives stay far below (the largest jars
    #: hold ~100k).
    member_hard_limit: int = MAX_RECORDS
    #: Local-entry spans may overlap by this many bytes before it is a finding, as ClamAV's
    #: overlapping-files heuristic allows (libclamav/unzip.c, zip bomb detection).
    overlap_slack: int = 2
    #: At most this many findings of one code per archive are kept; the rest are counted in
    #: one summary finding, so a hostile 1M-member archive cannot exhaust memory.
    max_findings_per_code: int = 100
    #: Findings below this severity are not kept in reports (``--min-severity``); the
    #: default keeps everything, informational notes included.
    min_severity: Severity = Severity.INFO

    def __post_init__(self) -> None:
        if self.max_nested_depth < 0 or self.nested_hard_limit < 0:
            raise ValueError("nesting limits must be >= 0")
        if self.verify_chunk < 1:
            raise ValueError("verify_chunk must be >= 1")
        if self.max_findings_per_code < 1:
            raise ValueError("max_findings_per_code must be >= 1")


class ProcessPolicy(enum.Enum):
    """Where the parse runs."""

    NEVER = "never"  # worker threads only
    AUTO = "auto"  # processes for big archives when the report is cheap to send back
    ALWAYS = "always"  # every archive in a worker process (for measurement)


@dataclass(frozen=True)
class EngineConfig:
    """How archives are scheduled (not what is checked: that is :class:`ZipConfig`)."""

    #: Archives inspected at once (worker threads; ``-j/--workers``). Parsing holds the GIL,
    #: so more than a few threads only helps while they wait for the disk.
    workers: int = 4
    #: Seconds one archive may take before it is abandoned and reported as an error
    #: (``--deadline``); None for no limit.
    deadline: float | None = 60.0
    #: Threads or processes; see ``benchmarks/bench_zip.py`` ("processes") for the figures.
    processes: ProcessPolicy = ProcessPolicy.AUTO
    #: With AUTO, an archive at least this big goes to a worker process when another big one
    #: is already being parsed (so a lone archive never pays for spawning a process) and
    #: members are not kept (pickling 100k members back costs more than parsing them).
    process_min_size: int = 8 * MIB
    #: Worker processes at once (each parses one archive); default: the CPU count.
    process_workers: int | None = None
    #: Threads past their deadline that may still be running before new work waits for
    #: them (a thread cannot be killed; this bounds how many can linger).
    max_abandoned: int = 8
    #: A batch of small archives sent to one thread hop holds at most this many files ...
    batch_max_files: int = 32
    #: ... and this many bytes of archive files; bigger archives go alone.
    batch_max_bytes: int = 4 * MIB

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError("workers must be >= 1")
        if self.deadline is not None and not self.deadline > 0:
            raise ValueError("deadline must be > 0")
        if self.batch_max_files < 1 or self.batch_max_bytes < 0:
            raise ValueError("batch limits must be positive")
