"""What a tree walk is asked to do: one frozen config, built by the CLI or by library users.

In the manner of fd's ``config.rs``: the walker only ever sees this object, and each field
says what it controls and why its default is what it is.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner.errors import UsageProblem

if TYPE_CHECKING:
    from scanner.fs.filters import EntryFilter
    from scanner.fs.size_filter import SizeFilter

#: What ``--type`` may ask for (as fd: files, directories, symlinks).
LISTABLE_TYPES = frozenset("fdl")


@dataclass(frozen=True, slots=True)
class WalkConfig:
    """Everything the walk engine needs to know; immutable so workers can share it freely."""

    # Where to start. A root that is a symlink is followed (as fd and ``find -H`` do): naming
    # a link on the command line means "scan what it points to". A root that is a file is
    # reported as one entry of depth 0.
    roots: tuple[str, ...] = (".",)

    # Deepest level reported: 1 = direct children of a root only (fd's meaning); None = no
    # limit. Directories at the limit are reported but not read.
    max_depth: int | None = None

    # Include dot-names. On by default: a counting tool must not undercount by default
    # (du and find count them; fd's default suits interactive search, not inventories).
    hidden: bool = True

    # Glob patterns (fnmatch, case-sensitive) matched against each entry's name and its
    # root-relative path; an excluded directory is not read at all.
    excludes: tuple[str, ...] = ()

    # Which kinds to *list* ("f", "d", "l"); empty = all. Filters the listing only: traversal
    # and the totals are unchanged, as in fd where ``--type f`` still descends.
    types: frozenset[str] = frozenset()

    # Descend into symlinked directories and count symlinked files as their targets. Cycles
    # are found by the (st_dev, st_ino) of the ancestors and reported as "loop" errors.
    follow: bool = False

    # Do not descend into directories on another device than their root (``find -xdev``).
    one_file_system: bool = False

    # Collect an ``Entry`` per listed entry and hand them out in batches (``scanner walk``,
    # the zip engine's archive search). Off for pure counting: no per-entry objects at all.
    listing: bool = False

    # When set, list only the regular files whose extension (as counted: case-folded, no
    # dot) is in this set; directories and symlinks as ``types`` says; counting unchanged.
    # Lets a search for a few kinds of file (archives) skip an Entry per other file. A root
    # that is a file is listed whatever its name.
    list_extensions: frozenset[str] | None = None

    # lstat() every regular file for its size and mtime. Needed for byte totals, the
    # extension bytes, the largest files and listings with metadata; a plain name listing
    # turns it off and runs on d_type alone, as fd does.
    stat_files: bool = True

    # lstat() listed directories and symlinks too, so that listed entries carry size/mtime.
    stat_listed: bool = False

    # Count ``.tar.gz``-style compound suffixes as one extension.
    compound_extensions: bool = False

    # Keep the case of extensions (``.JPG`` and ``.jpg`` apart); folded by default.
    case_sensitive: bool = False

    # How many of the largest files to keep (a bounded heap per batch; 0 = none).
    largest: int = 10

    # How many error records the report keeps (all are counted, and all reach ``on_batch``).
    max_errors_kept: int = 1000

    # Concurrent directory scans. None = adaptive: one on a fast local disk (the per-entry
    # work holds the GIL, so more threads only add hand-offs), ramped up to ``max_workers``
    # when each metadata call waits on a slow file system (NFS, SMB, FUSE).
    workers: int | None = None

    # Ceiling for the adaptive concurrency.
    max_workers: int = 128

    # --- fd/find filters: which entries are counted AND listed ----------------------------
    # An entry that fails one is neither counted (files, bytes, extensions, largest, dirs,
    # per-directory totals) nor listed, as ``find`` prints and ``wc -l`` counts; directories
    # are entered whether they pass or not (these filters select, they never prune: that is
    # what ``excludes`` and ``gitignore`` do). With none set the work unit tests nothing.

    # ``-e``: names ending in ``.EXT`` with something other than dots before (the extension
    # table's rule: ``.bashrc`` has none, ``a.tar.gz`` has ``gz`` and ``tar.gz``); case
    # folded unless ``case_sensitive``. Stored without the leading dot.
    include_extensions: frozenset[str] = frozenset()

    # A glob on the name, as ``find -name`` (``*`` matches a leading dot too); with ``regex``
    # a Python regular expression searched in the name (fd's default). ``full_path``
    # matches the path as walked instead (``find -path`` / fd ``--full-path``).
    # ``patterns`` holds more of the same kind (repeated ``-g``/``--regex``): an entry
    # passes when any of them matches (``find \( -name A -o -name B \)``).
    pattern: str | None = None
    patterns: tuple[str, ...] = ()
    regex: bool = False
    ignore_case: bool = False
    full_path: bool = False

    # ``--size``: fd's constraints, all must hold; only regular files can pass.
    sizes: tuple[SizeFilter, ...] = ()

    # ``--changed-within`` / ``--changed-before`` as absolute times (seconds since the
    # epoch, parsed once by ``scanner.fs.time_filter``): modified strictly after / before.
    newer_than: float | None = None
    older_than: float | None = None

    # ``--gitignore``: skip what ``.gitignore``/``.ignore`` files ignore (``scanner.fs.ignore``)
    # and ``.git`` itself. Off by default: a counting tool must not skip files unasked; the
    # report counts what was ignored (``Totals.ignored``).
    gitignore: bool = False

    # --- per-directory totals (``scanner du``) --------------------------------------------
    # Keep files/bytes per directory down to this depth below each root (0 = the roots
    # only); everything deeper is added to its ancestor at that depth, so memory follows
    # the directories down to the limit. None = off. The walk itself is not limited by it.
    dir_totals: int | None = None

    # Count allocated blocks (``st_blocks * 512``) of every entry, directories included,
    # each inode once, as ``du -B1``: ``Totals.disk_bytes`` and per-directory ``disk_bytes``.
    # Costs a stat per directory and symlink.
    disk_usage: bool = False

    # Enter pseudo file systems (proc, sysfs, devtmpfs, cgroup... and the tmpfs on /run)
    # mounted below a root. Off by default, as gdu and ncdu: a walk of ``/`` does not read
    # /proc, /sys, /dev or /run (each is counted as a directory and noted in the report).
    pseudo_filesystems: bool = False

    # The mount table the pseudo file systems are found in (a seam for tests).
    mountinfo: str = "/proc/self/mountinfo"

    def __post_init__(self) -> None:
        if not self.roots:
            raise UsageProblem("at least one root is needed")
        if self.max_depth is not None and self.max_depth < 0:
            raise UsageProblem(f"--max-depth must be 0 or more, not {self.max_depth}")
        if self.workers is not None and self.workers < 1:
            raise UsageProblem(f"--workers must be 1 or more, not {self.workers}")
        if self.max_workers < 1:
            raise UsageProblem("max_workers must be 1 or more")
        if self.largest < 0:
            raise UsageProblem(f"--largest must be 0 or more, not {self.largest}")
        unknown = set(self.types) - LISTABLE_TYPES
        if unknown:
            raise UsageProblem(f"--type takes f, d or l, not {', '.join(sorted(unknown))}")
        if self.dir_totals is not None and self.dir_totals < 0:
            raise UsageProblem(f"--depth must be 0 or more, not {self.dir_totals}")
        for when in (self.newer_than, self.older_than):
            if when is not None and not math.isfinite(when):
                raise UsageProblem("--changed-within/--changed-before need a finite time")
        if self.sizes:  # the filter modules are imported only when a filter is asked for
            from scanner.fs.size_filter import SizeFilter

            if any(not isinstance(s, SizeFilter) for s in self.sizes):
                raise UsageProblem("sizes must be SizeFilter values (SizeFilter.parse('+1M'))")
        if self.include_extensions:
            from scanner.fs.filters import normalise_extension

            # "-e .py" and "-e py" are the same filter
            exts = frozenset(normalise_extension(e) for e in self.include_extensions)
            object.__setattr__(self, "include_extensions", exts)
        entry_filter(self)  # a bad --regex is a usage problem now, not in a worker

    @property
    def all_patterns(self) -> tuple[str, ...]:
        """``pattern`` and ``patterns`` together (any may match), in the order given."""
        return self.patterns if self.pattern is None else (self.pattern, *self.patterns)

    @property
    def filtered(self) -> bool:
        """Whether an fd/find filter selects what is counted and listed."""
        return entry_filter(self) is not None


@functools.lru_cache(maxsize=32)
def entry_filter(cfg: WalkConfig) -> EntryFilter | None:
    """The compiled fd/find filters of ``cfg`` (cached per config), None when it sets none."""
    if not (cfg.include_extensions or cfg.all_patterns or cfg.sizes) and (
        cfg.newer_than is None and cfg.older_than is None
    ):
        return None  # as compile_filter says, without importing the filters
    from scanner.fs.filters import compile_filter

    return compile_filter(
        extensions=cfg.include_extensions,
        case_sensitive=cfg.case_sensitive,
        patterns=cfg.all_patterns,
        regex=cfg.regex,
        ignore_case=cfg.ignore_case,
        full_path=cfg.full_path,
        sizes=cfg.sizes,
        newer_than=cfg.newer_than,
        older_than=cfg.older_than,
    )
