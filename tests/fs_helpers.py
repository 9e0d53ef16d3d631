"""Independent reference counts for tree-walk tests: ``os.walk`` + ``lstat``, nothing shared
with the engine (not even its extension function)."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class RefCount:
    """What a correct walk must find."""

    files: int = 0
    dirs: int = 0
    symlinks: int = 0
    other: int = 0
    bytes: int = 0
    # extension without the dot, lower-cased -> (files, bytes)
    extensions: dict[str, tuple[int, int]] = field(default_factory=dict)
    paths: set[str] = field(default_factory=set)


def reference_count(root: str | Path, *, hidden: bool = True) -> RefCount:
    """Count below ``root`` with ``os.walk`` (symlinks not followed)."""
    ref = RefCount()
    seen: set[tuple[int, int]] = set()
    ext_files: dict[str, int] = {}
    ext_bytes: dict[str, int] = {}
    for top, dirnames, filenames in os.walk(root):
        if not hidden:
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            filenames = [f for f in filenames if not f.startswith(".")]
        for name in [*dirnames, *filenames]:
            path = os.path.join(top, name)
            ref.paths.add(path)
            st = os.lstat(path)
            if stat.S_ISDIR(st.st_mode):
                ref.dirs += 1
            elif stat.S_ISLNK(st.st_mode):
                ref.symlinks += 1
            elif stat.S_ISREG(st.st_mode):
                ref.files += 1
                size = st.st_size
                if st.st_nlink > 1:
                    key = (st.st_dev, st.st_ino)
                    size = 0 if key in seen else size
                    seen.add(key)
                ref.bytes += size
                ext = os.path.splitext(name)[1][1:].lower()
                ext_files[ext] = ext_files.get(ext, 0) + 1
                ext_bytes[ext] = ext_bytes.get(ext, 0) + size
            else:
                ref.other += 1
    ref.extensions = {k: (ext_files[k], ext_bytes[k]) for k in ext_files}
    return ref


def make_files(root: Path, spec: Mapping[str, int | str | None]) -> None:
    """Create ``{relative path: size}`` below ``root``: None makes a directory, a string a
    file with that text."""
    for rel, size in spec.items():
        path = root / rel
        if size is None:
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(size, str):
            path.write_bytes(size.encode())
            continue
        with open(path, "wb") as fh:
            fh.truncate(size)


def git_env(home: Path) -> dict[str, str]:
    """An environment in which git reads no user or system configuration (no global
    excludes file), so that only the repository's own ignore files count."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "LC_ALL": "C",
    }


def git_untracked(repo: Path, home: Path) -> set[bytes]:
    """What ``git ls-files --others --exclude-standard`` lists (paths relative to the
    repository, as bytes): the files and symlinks git does not ignore."""
    out = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "--others", "--exclude-standard", "-z"],
        capture_output=True,
        check=True,
        env=git_env(home),
    ).stdout
    return {p for p in out.split(b"\0") if p}


def find_paths(root: Path, *expr: str) -> dict[bytes, tuple[str, int, int]]:
    """``find ROOT -mindepth 1 EXPR``: {path bytes: (type letter, inode, size)}, NUL-safe,
    in the C.UTF-8 locale (``?`` is one character, as in Python)."""
    out = subprocess.run(
        ["find", str(root), "-mindepth", "1", *expr, "-printf", r"%y\0%i\0%s\0%p\0"],
        capture_output=True,
        check=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"},
    ).stdout
    fields = out.split(b"\0")[:-1]
    return {
        fields[i + 3]: (fields[i].decode(), int(fields[i + 1]), int(fields[i + 2]))
        for i in range(0, len(fields), 4)
    }


# --- du and find as references (scanner du) ----------------------------------------

#: A plain C locale for du and find (byte order, no translations).
C = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}


def du_disk(path: str) -> int:
    """``du -s -B1 PATH``: allocated bytes of everything below, each inode once."""
    out = subprocess.run(["du", "-s", "-B1", "-0", path], capture_output=True, check=True, env=C)
    return int(out.stdout.split(b"\t", 1)[0])


def du_files_apparent(path: str) -> int:
    """The regular files among ``du -a --apparent-size -B1 PATH``'s lines, added up: du
    decides which names of a hard-linked inode count (one), the test only keeps files."""
    out = subprocess.run(["du", "-a", "--apparent-size", "-B1", "-0", path],
                         capture_output=True, check=True, env=C).stdout  # fmt: skip
    total = 0
    for line in out.split(b"\0"):
        if line:
            size, name = line.split(b"\t", 1)
            if stat.S_ISREG(os.lstat(name).st_mode):
                total += int(size)
    return total


def count_types(path: str) -> tuple[int, int, int]:
    """Files, directories and symlinks below ``path`` (``find -mindepth 1``)."""
    out = subprocess.run(["find", path, "-mindepth", "1", "-printf", r"%y\0"],
                         capture_output=True, check=True, env=C).stdout.split(b"\0")  # fmt: skip
    return out.count(b"f"), out.count(b"d"), out.count(b"l")
