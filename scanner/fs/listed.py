"""Directories listed in one process and read further in another (cluster walks).

A work unit that stops inside a directory hands on its open ``os.scandir`` iterator
(:class:`scanner.fs.batch.OpenDir`); in one process the next work unit continues it. An
open iterator cannot travel to another process, so a cluster share whose time runs out
inside a directory *drains* it instead: the names not read yet, with the type their
directory entry gave (d_type: no ``stat``), become a :class:`ListedDir`. That travels, and
it can be cut in pieces that several nodes read at once: on a network file system the cost
of a directory is the ``stat`` of each entry, not the listing, so one huge directory no
longer sets the walk's end on one node (mpifileutils' ``dwalk`` spreads entries, not
directories, for the same reason).

Reading a piece opens the directory again and goes through its names with
:class:`ListedEntry`, which answers what the work unit asks of an ``os.DirEntry``
(``name``, ``is_file``, ``is_dir``, ``is_symlink``, ``stat``) through the directory's fd
(``fstatat``, as ``os.scandir(fd)``'s entries do), with the same caching.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import replace
from typing import Final, NamedTuple, cast

from scanner.errors import ItemError
from scanner.fs.batch import DirTask, OpenDir, close_dir

#: d_type as one character: file, directory, symlink, anything else or not known (stat).
_FILE: Final = "f"
_DIR: Final = "d"
_LINK: Final = "l"
_OTHER: Final = "?"


class ListedEntry:
    """One name of a listed directory, read through the directory's fd: what the work
    unit uses of ``os.DirEntry``, with the type the listing gave and cached ``stat``s."""

    __slots__ = ("_fd", "_kind", "_lstat", "_stat", "name")

    def __init__(self, name: str, kind: str, fd: int) -> None:
        self.name = name
        self._kind = kind
        self._fd = fd
        self._lstat: os.stat_result | None = None
        self._stat: os.stat_result | None = None

    def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
        """``fstatat`` of the name in its directory (cached, as ``os.DirEntry.stat``)."""
        if follow_symlinks and self.is_symlink():
            if self._stat is None:
                self._stat = os.stat(self.name, dir_fd=self._fd)
            return self._stat
        if self._lstat is None:
            self._lstat = os.stat(self.name, dir_fd=self._fd, follow_symlinks=False)
        return self._lstat

    def _type(self) -> int:
        # what d_type did not say: the lstat says (as os.DirEntry does for DT_UNKNOWN; a
        # name gone since it was listed is of no type, as there)
        try:
            return stat.S_IFMT(self.stat(follow_symlinks=False).st_mode)
        except FileNotFoundError:
            return 0

    def is_symlink(self) -> bool:
        """Whether the entry is a symlink (from the listing when it said)."""
        if self._kind != _OTHER:
            return self._kind == _LINK
        return self._type() == stat.S_IFLNK

    def _is(self, kind: str, mode: int, follow_symlinks: bool) -> bool:
        if follow_symlinks and self.is_symlink():
            try:
                return stat.S_IFMT(self.stat().st_mode) == mode
            except FileNotFoundError:
                return False  # a dangling symlink, as os.DirEntry
        if self._kind != _OTHER:
            return self._kind == kind
        return self._type() == mode

    def is_file(self, *, follow_symlinks: bool = True) -> bool:
        """Whether the entry is a regular file (following a symlink unless told not to)."""
        return self._is(_FILE, stat.S_IFREG, follow_symlinks)

    def is_dir(self, *, follow_symlinks: bool = True) -> bool:
        """Whether the entry is a directory (following a symlink unless told not to)."""
        return self._is(_DIR, stat.S_IFDIR, follow_symlinks)


class _Entries:
    """An iterator over a listed directory's names, closed like an ``os.scandir`` one."""

    __slots__ = ("_fd", "_it")

    def __init__(self, listed: ListedDir, fd: int) -> None:
        self._fd = fd
        self._it: Iterator[tuple[str, str]] | None = zip(listed.names, listed.kinds, strict=True)

    def __iter__(self) -> _Entries:
        return self

    def __next__(self) -> ListedEntry:
        if self._it is None:
            raise StopIteration
        name, kind = next(self._it)
        return ListedEntry(name, kind, self._fd)

    def close(self) -> None:
        """Forget the rest (the fd is the work unit's to close)."""
        self._it = None


class ListedDir:
    """The names of a directory not read yet, with their d_type, and no open file: this
    travels between processes (a ``DirTask.open`` of its own kind; see the module
    docstring)."""

    __slots__ = ("kinds", "names")

    def __init__(self, names: tuple[str, ...], kinds: str) -> None:
        if len(names) != len(kinds):
            raise ValueError(f"{len(names)} names but {len(kinds)} types")
        self.names = names
        #: one character per name: f, d, l or ? (not known: ``stat`` tells)
        self.kinds = kinds

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        return f"ListedDir({len(self.names)} names)"

    def entries(self, fd: int) -> os._ScandirIterator[str]:
        """The names as directory entries that ``stat`` through ``fd`` (the directory,
        opened again by the work unit reading this). Typed as what it stands in for: the
        work unit's loop reads both alike."""
        return cast("os._ScandirIterator[str]", _Entries(self, fd))

    def close(self) -> None:
        """Nothing to close (``close_tasks`` calls it on every open kind)."""


def _kind(entry: os.DirEntry[str] | ListedEntry) -> str:
    if isinstance(entry, ListedEntry):
        return entry._kind
    # from d_type, no system call; when the file system gave none, this lstat is one
    if entry.is_symlink():
        return _LINK
    if entry.is_dir(follow_symlinks=False):
        return _DIR
    if entry.is_file(follow_symlinks=False):
        return _FILE
    return _OTHER


class Drained(NamedTuple):
    """What :func:`drain` made of an open directory."""

    #: the names listed, as a task that can travel (None: no name was left)
    listed: DirTask | None
    #: the directory still open past ``most`` names (None: the listing ended)
    rest: DirTask | None
    #: the error that ended the listing part-way (what was listed still goes on)
    error: ItemError | None


def drain(task: DirTask, most: int = sys.maxsize) -> Drained:
    """List up to ``most`` of the names ``task``'s open directory has left into a
    :class:`ListedDir`; the directory is closed when its listing ended, else handed back
    open (whoever drained it reads the rest: ``most`` bounds what a result holds)."""
    opened = task.open
    assert isinstance(opened, OpenDir), "only an open directory is drained"
    it, fd = opened.take()
    names: list[str] = []
    kinds: list[str] = []
    error = None
    ended = True
    try:
        for entry in it:
            try:
                kind = _kind(entry)
            except OSError:  # a name whose lstat failed: its reader stats it again
                kind = _OTHER
            names.append(entry.name)
            kinds.append(kind)
            if len(names) >= most:
                ended = False
                break
    except OSError as exc:
        error = ItemError.from_os_error(task.path, "scandir", exc)
    except BaseException:
        close_dir(it, fd)
        raise
    rest = None
    if ended:
        close_dir(it, fd)
    else:
        rest = replace(task, open=OpenDir(it, fd))
    listed = replace(task, open=ListedDir(tuple(names), "".join(kinds))) if names else None
    return Drained(listed, rest, error)


def split(task: DirTask, parts: int, least: int, most: int) -> list[DirTask]:
    """``task``'s listed names cut into about ``parts`` pieces of at least ``least`` and
    at most ``most`` names each (in order; one piece when it is too small to share)."""
    listed = task.open
    assert isinstance(listed, ListedDir), "only a listed directory is split"
    n = len(listed)
    size = min(most, -(-n // max(1, min(parts, n // least))))
    if size >= n:
        return [task]
    return [
        replace(task, open=ListedDir(listed.names[i : i + size], listed.kinds[i : i + size]))
        for i in range(0, n, size)
    ]
