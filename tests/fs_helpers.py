"""Independent reference counts for tree-walk tests: ``os.walk`` + ``lstat``, nothing shared
with the engine (not even its extension function)."""

from __future__ import annotations

import os
import stat
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


def make_files(root: Path, spec: dict[str, int | None]) -> None:
    """Create ``{relative path: size}`` (None = a directory) below ``root``."""
    for rel, size in spec.items():
        path = root / rel
        if size is None:
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            fh.truncate(size)
