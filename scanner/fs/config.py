"""What a tree walk is asked to do: one frozen config, built by the CLI or by library users.

In the manner of fd's ``config.rs``: the walker only ever sees this object, and each field
says what it controls and why its default is what it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.errors import UsageProblem

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
