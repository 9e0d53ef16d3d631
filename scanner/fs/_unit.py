"""The work unit: read a batch of directories depth-first, synchronously, in one thread.

``scan_batch`` is pure and scheduler-free: the anyio engine calls it through
``anyio.to_thread.run_sync``, the comparison module from a ``ThreadPoolExecutor`` or in a
plain loop, and all of them get identical results. It aggregates inside the thread (counts,
bytes per extension, a bounded heap of the largest files, errors, and entries only when a
listing is asked for) so that only one object per batch crosses the thread boundary. A
batch ends when its budget is spent, between directories or inside one (which the next batch
then resumes), so a batch holds at most about ``Budget.max_entries`` entries however large a
single directory is.

Cost model of the hot loop (warm cache): ``DirEntry.is_file/is_dir(follow_symlinks=False)``
use d_type and make no system call; regular files are ``lstat``-ed once (``DirEntry.stat``
caches it) only when sizes are needed; FIFOs, sockets and devices are only ``lstat``-ed, never
opened.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
import sys
from collections.abc import Callable, Sequence
from heapq import heappush, heapreplace
from time import perf_counter, thread_time
from typing import TYPE_CHECKING

from scanner.errors import ItemError
from scanner.extname import extension_of
from scanner.fs.batch import (
    BatchResult,
    Budget,
    DirTask,
    OpenDir,
    SharedState,
    close_dir,
    close_tasks,
)
from scanner.fs.config import WalkConfig, entry_filter
from scanner.fs.dirtotals import BYTES, COUNTS, DISK, FILES, OTHER
from scanner.fs.model import Entry, SkippedMount
from scanner.fs.mounts import pseudo_mounts_below
from scanner.fs.roots import reached_plainly, resolve_roots

if TYPE_CHECKING:
    from scanner.fs.filters import Excluder
    from scanner.fs.ignore import IgnoreStack

_KIND_OF_MODE = {
    stat.S_IFREG: "f",
    stat.S_IFDIR: "d",
    stat.S_IFLNK: "l",
    stat.S_IFIFO: "p",
    stat.S_IFSOCK: "s",
    stat.S_IFCHR: "c",
    stat.S_IFBLK: "b",
}

_NO_LIMIT = sys.maxsize
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)


def kind_of_mode(mode: int) -> str:
    """``Entry.type`` letter for an ``st_mode``."""
    return _KIND_OF_MODE.get(stat.S_IFMT(mode), "?")


@functools.lru_cache(maxsize=16)
def _excluder(globs: tuple[str, ...]) -> Excluder | None:
    if not globs:
        return None  # the filters module only for --exclude
    from scanner.fs.filters import compile_excludes

    return compile_excludes(globs)


def _slow_kind(entry: os.DirEntry[str], follow: bool) -> tuple[str, os.stat_result | None]:
    """Classify what d_type did not settle: a followed symlink, a FIFO, socket or device."""
    if follow and entry.is_symlink():
        try:
            st = entry.stat()
        except FileNotFoundError:
            return "l", None  # dangling: stays a symlink, as in ``find -L``
        return kind_of_mode(st.st_mode), st
    st = entry.stat(follow_symlinks=False)
    return kind_of_mode(st.st_mode), st


def _loop_error(path: str) -> ItemError:
    return ItemError(
        subject=path,
        phase="loop",
        message="filesystem loop: leads back to one of its ancestors",
        errno=errno.ELOOP,
    )


def scan_batch(
    tasks: Sequence[DirTask], cfg: WalkConfig, budget: Budget, shared: SharedState
) -> BatchResult:
    """Read directories depth-first from ``tasks`` until the budget is spent.

    Returns the counts, errors and (when ``cfg.listing``) entries of what was read, and the
    directories left unread as ``frontier``. The budget (and ``shared.stop``) is checked
    inside a directory too, every ``budget.check_every`` entries: a directory stopped
    part-way comes back on top of ``frontier`` as a ``DirTask`` whose ``open`` holds its
    scandir iterator and fd, and a later call (any thread, never two at once) continues it
    where it stopped, so a huge directory never sits whole in one batch. The caller owns
    the returned frontier (open directories last): pass its tasks to later calls (a
    ``Frontier`` hands them out first), or close them with ``close_tasks`` when the walk
    ends early. Never raises for a file-system failure: those
    are ``ItemError`` records.
    """
    shared.enter()
    try:
        return _scan(tasks, cfg, budget, shared)
    finally:
        shared.leave()


def _scan(
    tasks: Sequence[DirTask], cfg: WalkConfig, budget: Budget, shared: SharedState
) -> BatchResult:
    t0 = perf_counter()
    c0 = thread_time()
    res = BatchResult()
    stack = list(tasks)

    # Everything the loop touches per entry is a local: attribute lookups are what the
    # loop would otherwise spend its time on.
    exts = res.extensions
    heap = res.largest
    errors = res.errors
    entries = res.entries
    multi_links = res.links
    excl = _excluder(cfg.excludes)
    ex_name = excl.name if excl is not None else None
    ex_path = excl.path if excl is not None else None
    skip_hidden = not cfg.hidden
    compound = cfg.compound_extensions
    filt = entry_filter(cfg)
    gitignore = cfg.gitignore
    if gitignore:  # the ignore-file module only for --gitignore
        from scanner.fs.ignore import load_level
    du_depth = cfg.dir_totals
    du = du_depth is not None
    disk_usage = cfg.disk_usage
    # the time filters and disk usage need every entry's stat; sizes need files' (as du)
    stat_all = disk_usage or (filt is not None and filt.needs_stat)
    stat_files = cfg.stat_files or stat_all or du or (filt is not None and bool(filt.sizes))
    stat_listed = cfg.stat_listed
    follow = cfg.follow
    one_fs = cfg.one_file_system
    # a subdirectory is a bare DirTask unless an option needs _subdir's checks
    plain_dirs = not (one_fs or follow or gitignore or du or shared.skip_dirs)
    dir_counts = res.dir_counts
    ml_names = res.dir_links
    n_largest = cfg.largest
    listing = cfg.listing
    types = cfg.types
    list_f = listing and (not types or "f" in types)
    list_d = listing and (not types or "d" in types)
    list_l = listing and (not types or "l" in types)
    list_other = listing and not types
    list_exts = cfg.list_extensions
    max_depth = _NO_LIMIT if cfg.max_depth is None else cfg.max_depth
    max_entries = budget.max_entries
    check_every = max(1, budget.check_every)
    deadline = t0 + budget.max_seconds
    inside = deadline if budget.inside_seconds is None else t0 + budget.inside_seconds
    first_link = shared.first_link
    nofollow = _DIR_FLAGS | getattr(os, "O_NOFOLLOW", 0)

    files = dirs = links = other = nbytes = disk = ignored = 0
    # per-directory totals: bytes and blocks of multiply-linked inodes, which the roll-up
    # adds per record (``scanner.fs.dirtotals``) instead of the directory's own counts
    ml_bytes = ml_disk = 0
    before: tuple[int, ...] = ()
    seen = calls = dirs_read = 0
    ign: IgnoreStack | None = None

    # Directories an earlier batch left open come first: a batch finishes them before it
    # opens anything new, so open directories (two fds each) cannot pile up (``Frontier``).
    resumed = any(t.open is not None for t in stack)
    if resumed:
        stack = _open_last(stack)

    # the directory being read; owned here until it is exhausted, failed or handed on
    it: os._ScandirIterator[str] | None = None
    dir_fd = -1
    done: os._ScandirIterator[str] | None
    try:
        # the first task is read whatever the clock says (a cluster share finishes an open
        # directory with a spent budget: scanner.cluster.share), the next ones in time
        first = True
        while stack:
            if seen >= max_entries or shared.stop or (not first and perf_counter() >= deadline):
                break
            first = False
            task = stack.pop()
            owner = task.owner
            prefix = task.path if task.path.endswith("/") else task.path + "/"
            if du:
                before = (files, dirs, links, other, nbytes - ml_bytes, disk - ml_disk,
                          len(errors))  # fmt: skip
            names = task.open
            if isinstance(names, OpenDir):
                it, dir_fd = names.take()
                ign = task.ignore
            else:
                # Read through a directory fd: each entry's stat is then fstatat(fd, name),
                # which does not resolve the whole path again (on NFS/FUSE every path
                # component costs a round trip to revalidate; locally it saves the kernel's
                # path walk too).
                try:
                    # below a root, without --follow, a directory swapped for a symlink since
                    # it was listed must not be entered (ELOOP, recorded)
                    dir_fd = os.open(
                        task.path, _DIR_FLAGS if follow or not task.depth else nofollow
                    )
                    try:
                        # a directory listed by another process: its names, not read yet
                        it = os.scandir(dir_fd) if names is None else names.entries(dir_fd)
                    except OSError:
                        os.close(dir_fd)
                        dir_fd = -1
                        raise
                except OSError as exc:
                    errors.append(ItemError.from_os_error(task.path, "scandir", exc))
                    if du:
                        _credit(dir_counts, owner, before, (files, dirs, links, other,
                                nbytes - ml_bytes, disk - ml_disk, len(errors)))  # fmt: skip
                    continue
                calls += 1
                if names is not None:
                    # counted, and its ignore rules loaded, where its listing began
                    ign = task.ignore
                else:
                    dirs_read += 1
                    if disk_usage:
                        # the directory's own blocks, in its own total (as du counts them)
                        try:
                            disk += os.fstat(dir_fd).st_blocks * 512
                        except OSError as exc:
                            errors.append(ItemError.from_os_error(task.path, "stat", exc))
                        calls += 1
                    ign = load_level(task.ignore, dir_fd, prefix, errors) if gitignore else None
            depth = task.depth + 1
            descend = depth < max_depth
            rel_start = task.rel_start
            # the budget inside a directory: one int comparison per entry, the clock and the
            # stop flag only every check_every entries
            check_at = min(seen + check_every, max_entries)
            try:
                for entry in it:
                    try:
                        name = entry.name
                        if skip_hidden and name[0] == ".":
                            continue
                        if ex_name is not None and ex_name(name):
                            continue
                        if ex_path is not None and ex_path((prefix + name)[rel_start:]):
                            continue
                        if gitignore and (
                            name == ".git"
                            or (ign is not None and ign.ignored(
                                name, prefix, entry.is_dir(follow_symlinks=False)))
                        ):  # fmt: skip
                            ignored += 1
                            continue

                        st: os.stat_result | None = None
                        if entry.is_file(follow_symlinks=False):
                            kind = "f"
                            if stat_files:
                                st = entry.stat(follow_symlinks=False)
                                calls += 1
                        elif entry.is_dir(follow_symlinks=False):
                            kind = "d"
                            if stat_all:
                                st = entry.stat(follow_symlinks=False)
                                calls += 1
                        elif not follow and entry.is_symlink():
                            kind = "l"
                            if stat_all:
                                st = entry.stat(follow_symlinks=False)
                                calls += 1
                        else:
                            kind, st = _slow_kind(entry, follow)
                            calls += 1
                        seen += 1

                        if (
                            filt is not None
                            and kind != "d"
                            and not filt.keep(name, prefix, kind, st)
                        ):
                            pass  # neither counted nor listed
                        elif kind == "f":
                            files += 1
                            size = 0
                            counted = False
                            if st is not None:
                                size = st.st_size
                                if st.st_nlink > 1:
                                    if first_link(st.st_dev, st.st_ino):
                                        counted = True
                                        nbytes += size
                                        blocks = st.st_blocks * 512 if disk_usage else 0
                                        disk += blocks
                                        # for a merge across processes (scanner.cluster)
                                        path = prefix + name
                                        multi_links.append(
                                            (st.st_dev, st.st_ino, size, path, blocks)
                                        )
                                        if du:
                                            ml_bytes += size
                                            ml_disk += st.st_blocks * 512 if disk_usage else 0
                                    else:
                                        size = 0  # a further name of a file already counted
                                    if du:
                                        blocks = st.st_blocks * 512 if disk_usage else 0
                                        ml_names.append(
                                            (st.st_dev, st.st_ino, st.st_size, blocks, owner)
                                        )
                                else:
                                    counted = True
                                    nbytes += size
                                    if disk_usage:
                                        disk += st.st_blocks * 512
                            i = name.rfind(".")
                            if i > 0 and name[0] != "." and not compound:
                                ext = name[i + 1 :]
                            else:
                                ext = extension_of(name, compound)
                            slot = exts.get(ext)
                            if slot is None:
                                exts[ext] = [1, size]
                            else:
                                slot[0] += 1
                                slot[1] += size
                            if counted and n_largest:
                                if len(heap) < n_largest:
                                    heappush(heap, (size, prefix + name))
                                elif size > heap[0][0]:
                                    heapreplace(heap, (size, prefix + name))
                            if list_f and (list_exts is None or ext.lower() in list_exts):
                                if st is None:
                                    entries.append(Entry(prefix + name, name, "f", depth))
                                else:
                                    entries.append(
                                        Entry(
                                            prefix + name,
                                            name,
                                            "f",
                                            depth,
                                            st.st_size,
                                            st.st_mtime,
                                        )
                                    )
                        elif kind == "d":
                            # a directory the filters leave out is entered all the same
                            if filt is None or filt.keep(name, prefix, kind, st):
                                dirs += 1
                                if list_d:
                                    entries.append(_listed(entry, prefix, "d", depth, st,
                                                           want_stat=stat_listed))  # fmt: skip
                            if descend:
                                if plain_dirs:
                                    stack.append(DirTask(prefix + name, depth, rel_start))
                                else:
                                    sub = _subdir(entry, prefix + name, task, st, res,
                                                  cfg=cfg, shared=shared, ign=ign,
                                                  du_depth=du_depth, one_fs=one_fs)  # fmt: skip
                                    if sub is not None:
                                        stack.append(sub)
                        else:  # symlinks and the rest (rare: one branch for both)
                            if kind == "l":
                                links += 1
                                listed = list_l
                            else:
                                other += 1
                                listed = list_other
                            if disk_usage:
                                st, add, ml = _blocks(entry, st, first_link, res, owner)
                                disk += add
                                ml_disk += ml
                            if listed:
                                # a symlink is stat'ed for the listing only when asked
                                want = stat_listed or kind != "l"
                                entries.append(
                                    _listed(entry, prefix, kind, depth, st, want_stat=want)
                                )

                        if seen >= check_at:
                            if seen >= max_entries or shared.stop or perf_counter() >= inside:
                                break  # spent: the directory is handed on, open
                            check_at = min(seen + check_every, max_entries)
                    except OSError as exc:
                        errors.append(ItemError.from_os_error(prefix + entry.name, "stat", exc))
                else:
                    if du:
                        _credit(dir_counts, owner, before, (files, dirs, links, other,
                                nbytes - ml_bytes, disk - ml_disk, len(errors)))  # fmt: skip
                    # forgotten before closing: whatever close raises, never closed twice
                    done, done_fd, it, dir_fd = it, dir_fd, None, -1
                    close_dir(done, done_fd)
                    continue
            except OSError as exc:
                # readdir failed part-way: what was read so far stays counted
                errors.append(ItemError.from_os_error(task.path, "scandir", exc))
                if du:
                    _credit(dir_counts, owner, before, (files, dirs, links, other,
                            nbytes - ml_bytes, disk - ml_disk, len(errors)))  # fmt: skip
                done, done_fd, it, dir_fd = it, dir_fd, None, -1
                close_dir(done, done_fd)
                continue
            if du:
                _credit(dir_counts, owner, before, (files, dirs, links, other,
                        nbytes - ml_bytes, disk - ml_disk, len(errors)))  # fmt: skip
            # The budget ran out inside this directory: the next batch (maybe in another
            # thread) continues it from here. On top of the stack, so it is taken first.
            stack.append(
                DirTask(
                    task.path,
                    task.depth,
                    rel_start,
                    task.dev,
                    task.ancestors,
                    OpenDir(it, dir_fd),
                    owner,
                    ign,
                )
            )
            it, dir_fd = None, -1
            resumed = True
            break
    except BaseException:
        # not a file-system failure (those are records): a bug, or an interrupt in a plain
        # loop. Nothing opened here may leak; the caller never sees this stack again.
        close_dir(it, dir_fd)
        close_tasks(stack)
        raise

    # open directories last, on top: the next batch takes them first
    res.frontier = _open_last(stack) if resumed else stack
    t = res.totals
    t.files, t.dirs, t.symlinks, t.other, t.bytes = files, dirs, links, other, nbytes
    t.errors = len(errors)
    t.ignored = ignored
    t.disk_bytes = disk
    res.dirs_read = dirs_read
    res.calls = calls
    res.wall = perf_counter() - t0
    res.cpu = thread_time() - c0
    return res


def _open_last(tasks: list[DirTask]) -> list[DirTask]:
    return [t for t in tasks if t.open is None] + [t for t in tasks if t.open is not None]


def _credit(
    dir_counts: dict[str, list[int]],
    owner: str | None,
    before: tuple[int, ...],
    after: tuple[int, ...],
) -> None:
    """Add what a directory's reading changed in the running counts to its record."""
    if owner is None:
        return
    slot = dir_counts.get(owner)
    if slot is None:
        dir_counts[owner] = [a - b for a, b in zip(after, before, strict=True)]
    else:
        for i in range(len(COUNTS)):
            slot[i] += after[i] - before[i]


def _blocks(
    entry: os.DirEntry[str],
    st: os.stat_result | None,
    first_link: Callable[[int, int], bool],
    res: BatchResult,
    owner: str | None,
) -> tuple[os.stat_result, int, int]:
    """Disk usage of a symlink, FIFO, socket or device: (its stat, the bytes to count, the
    part of them that belongs to a multiply-linked inode)."""
    if st is None:
        st = entry.stat(follow_symlinks=False)
    blocks = st.st_blocks * 512
    if st.st_nlink < 2:
        return st, blocks, 0
    if owner is not None:
        res.dir_links.append((st.st_dev, st.st_ino, 0, blocks, owner))
    if first_link(st.st_dev, st.st_ino):
        res.links.append((st.st_dev, st.st_ino, 0, None, blocks))
        return st, blocks, blocks if owner is not None else 0
    return st, 0, 0


def _subdir(
    entry: os.DirEntry[str],
    path: str,
    parent: DirTask,
    st: os.stat_result | None,
    res: BatchResult,
    *,
    cfg: WalkConfig,
    shared: SharedState,
    ign: IgnoreStack | None,
    du_depth: int | None,
    one_fs: bool,
) -> DirTask | None:
    """A subdirectory to enter when an option needs more than its path: None for a pseudo
    file system or another device's mount point (counted, not entered), a loop back to an
    ancestor (recorded) or a directory already reached (--follow: a linked directory that
    the walk reaches without links is read there, whatever the order; otherwise the first
    name met reads it, and a cluster's client decides which that was)."""
    if shared.skip_dirs:
        fstype = shared.skip_dirs.get(path)
        if fstype is not None:
            res.skipped_mounts.append(SkippedMount(path, fstype))
            return None
    ancestors = parent.ancestors
    if one_fs or ancestors is not None:
        if st is None:
            st = entry.stat(follow_symlinks=False)  # a real directory
        if one_fs and st.st_dev != parent.dev:
            return None
        if ancestors is not None:
            key = (st.st_dev, st.st_ino)
            if key in ancestors:
                res.errors.append(_loop_error(path))
                return None
            if entry.is_symlink() and reached_plainly(cfg, shared.roots, shared.pseudo, path):
                res.reached_twice += 1
                return None
            first = shared.first_dir(*key)
            if first is None:
                task, record = _dir_task(path, parent, ancestors | {key}, ign, du_depth)
                res.deferred.append((key, task, record))
                return None
            if not first:
                res.reached_twice += 1
                return None
            ancestors = ancestors | {key}
    task, record = _dir_task(path, parent, ancestors, ign, du_depth)
    if record is not None:
        res.dir_new.append(record)
    return task


def _dir_task(
    path: str,
    parent: DirTask,
    ancestors: frozenset[tuple[int, int]] | None,
    ign: IgnoreStack | None,
    du_depth: int | None,
) -> tuple[DirTask, tuple[str, str | None, int] | None]:
    """The task of a subdirectory, and its per-directory totals record (path, parent
    record, depth) when it gets one."""
    depth = parent.depth + 1
    owner = parent.owner
    record = None
    if du_depth is not None and depth <= du_depth:
        record = (path, owner, depth)
        owner = path
    task = DirTask(path, depth, parent.rel_start, parent.dev, ancestors, None, owner, ign)
    return task, record


def _listed(
    entry: os.DirEntry[str],
    prefix: str,
    kind: str,
    depth: int,
    st: os.stat_result | None,
    *,
    want_stat: bool,
) -> Entry:
    if st is None and want_stat:
        st = entry.stat(follow_symlinks=False)
    if st is None:
        return Entry(prefix + entry.name, entry.name, kind, depth)
    return Entry(prefix + entry.name, entry.name, kind, depth, st.st_size, st.st_mtime)


def root_tasks(cfg: WalkConfig, shared: SharedState) -> BatchResult:
    """Stat the roots: directories become the first frontier, a file root is counted and
    listed as an entry of depth 0, a missing root is a "root" error. Overlapping roots are
    merged (``scanner.fs.roots``) and the pseudo file systems below the roots noted in
    ``shared.skip_dirs``."""
    t0 = perf_counter()
    c0 = thread_time()
    res = BatchResult()
    roots, merged, pseudo = resolve_roots(cfg, res.errors)
    res.calls += len(roots) + len(merged)
    for root, note in merged:
        res.merged_roots.append(note)
        if cfg.listing and cfg.list_extensions is not None and not root.is_dir:
            # a file named as a root is listed whatever its name (an archive search
            # inspects it); counted once, by the walk it lies in, which lists it only
            # when its name is one of list_extensions
            name = os.path.basename(root.path.rstrip("/")) or root.path
            ext = extension_of(name, cfg.compound_extensions).lower()
            if ext not in cfg.list_extensions:
                _file_root(cfg, shared, res, root.path, root.st, count=False)
    du = cfg.dir_totals is not None
    skip: dict[str, str] = {}
    for root in roots:
        st = root.st
        if root.is_dir:
            skip.update(pseudo_mounts_below(root.path, root.real, pseudo))
            if cfg.max_depth == 0:
                continue
            rel_start = len(os.path.join(root.path, ""))
            key = (st.st_dev, st.st_ino)
            if cfg.follow:
                shared.first_dir(*key)
            if du:
                res.dir_new.append((root.path, None, 0))
            res.frontier.append(
                DirTask(
                    path=root.path,
                    depth=0,
                    rel_start=rel_start,
                    dev=st.st_dev if cfg.one_file_system else None,
                    ancestors=frozenset({key}) if cfg.follow else None,
                    owner=root.path if du else None,
                    ignore=(
                        _ignore_above(root.real, rel_start, res.errors) if cfg.gitignore else None
                    ),
                )
            )
            continue
        _file_root(cfg, shared, res, root.path, st)
    shared.skip_dirs = skip
    shared.roots = roots
    shared.pseudo = pseudo
    res.totals.errors = len(res.errors)
    res.wall = perf_counter() - t0
    res.cpu = thread_time() - c0
    return res


def _ignore_above(real: str, rel_start: int, errors: list[ItemError]) -> IgnoreStack | None:
    from scanner.fs.ignore import stack_above

    return stack_above(real, rel_start, errors)


def _file_root(
    cfg: WalkConfig,
    shared: SharedState,
    res: BatchResult,
    root: str,
    st: os.stat_result,
    *,
    count: bool = True,
) -> None:
    """Count and list a root that is not a directory (only list it: ``count=False``)."""
    kind = kind_of_mode(st.st_mode)
    name = os.path.basename(root.rstrip("/")) or root
    filt = entry_filter(cfg)
    if filt is not None and not filt.keep(name, root[: len(root) - len(name)], kind, st):
        return
    if cfg.listing and (not cfg.types or kind in cfg.types):
        res.entries.append(Entry(root, name, kind, 0, st.st_size, st.st_mtime))
    if not count:
        return
    if cfg.dir_totals is not None:
        # a record of its own, as du prints a line for a file named on its command line
        counts = [0] * len(COUNTS)
        counts[FILES if kind == "f" else OTHER] = 1
        counts[BYTES] = st.st_size if kind == "f" else 0
        counts[DISK] = st.st_blocks * 512 if cfg.disk_usage else 0
        res.dir_new.append((root, None, 0))
        res.dir_counts[root] = counts
    first = st.st_nlink < 2 or shared.first_link(st.st_dev, st.st_ino)
    blocks = st.st_blocks * 512 if cfg.disk_usage else 0
    if first and st.st_nlink > 1:
        path = root if kind == "f" else None
        res.links.append((st.st_dev, st.st_ino, st.st_size if path else 0, path, blocks))
    if first:
        res.totals.disk_bytes += blocks
    if kind != "f":
        res.totals.other += 1
        return
    res.totals.files += 1
    size = st.st_size if first else 0
    res.totals.bytes += size
    slot = res.extensions.setdefault(extension_of(name, cfg.compound_extensions), [0, 0])
    slot[0] += 1
    slot[1] += size
    if cfg.largest and size:
        heappush(res.largest, (size, root))
