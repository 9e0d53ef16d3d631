"""Small system utilities the tool grew from: platform/interpreter info and file checks."""

from __future__ import annotations

import locale
import os
import platform
import stat
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from scanner.oslimits import open_file_limit, usable_cpus


@dataclass(frozen=True, slots=True)
class PlatformInfo:
    """What ``scanner info`` reports."""

    system: str
    release: str
    version: str
    machine: str
    platform: str
    python_implementation: str
    python_version: str
    python_build: str
    python_compiler: str
    executable: str
    script: str
    argv: list[str]
    filesystem_encoding: str
    filesystem_errors: str
    default_encoding: str
    preferred_encoding: str
    stdout_encoding: str | None
    cpu_count: int | None
    usable_cpus: int | None
    open_file_limit: int | None
    packages: dict[str, str | None]
    sys_path: list[str]
    ping_argv: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output."""
        return asdict(self)


def _version_of(dist: str) -> str | None:
    # importlib.metadata costs ~10 ms to import: only `scanner info` pays it, not `check`
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def platform_info(ping_argv: list[str] | None = None) -> PlatformInfo:
    """Collect platform, interpreter and encoding facts about this process."""
    build_no, build_date = platform.python_build()
    return PlatformInfo(
        system=platform.system(),
        release=platform.release(),
        version=platform.version(),
        machine=platform.machine(),
        platform=platform.platform(),
        python_implementation=platform.python_implementation(),
        python_version=platform.python_version(),
        python_build=f"{build_no} ({build_date})",
        python_compiler=platform.python_compiler(),
        executable=sys.executable,
        script=sys.argv[0] if sys.argv else "",
        argv=list(sys.argv),
        filesystem_encoding=sys.getfilesystemencoding(),
        filesystem_errors=sys.getfilesystemencodeerrors(),
        default_encoding=sys.getdefaultencoding(),
        preferred_encoding=locale.getpreferredencoding(False),
        stdout_encoding=getattr(sys.stdout, "encoding", None),
        cpu_count=os.cpu_count(),
        usable_cpus=usable_cpus(),
        open_file_limit=open_file_limit(),
        packages={
            name: _version_of(name) for name in ("anyio", "aiofiles", "typer", "rich", "trio")
        },
        sys_path=list(sys.path),
        ping_argv=list(ping_argv or []),
    )


@dataclass(frozen=True, slots=True)
class FileCheck:
    """``scanner check``: does the file exist, what is it, may I read/write it."""

    path: str
    exists: bool
    type: str | None  # file, dir, symlink, fifo, socket, char-device, block-device, other
    target_type: str | None  # for symlinks: the type of what it points to (None if dangling)
    readable: bool
    writable: bool
    size: int | None
    error: str | None = None


_TYPES = (
    (stat.S_ISREG, "file"),
    (stat.S_ISDIR, "dir"),
    (stat.S_ISLNK, "symlink"),
    (stat.S_ISFIFO, "fifo"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "char-device"),
    (stat.S_ISBLK, "block-device"),
)


def type_name(mode: int) -> str:
    """Human name of a file type from ``st_mode``."""
    for test, name in _TYPES:
        if test(mode):
            return name
    return "other"


def _access(path: str, mode: int) -> bool:
    # effective ids: what this process may do (matters under setuid/sudo)
    if os.access in os.supports_effective_ids:
        return os.access(path, mode, effective_ids=True)
    return os.access(path, mode)


def check_file(path: str) -> FileCheck:
    """Inspect one path without opening it (FIFOs and devices are never opened)."""
    try:
        lst = os.lstat(path)
    except OSError as exc:
        missing = isinstance(exc, FileNotFoundError | NotADirectoryError)
        return FileCheck(
            path=path,
            exists=False,
            type=None,
            target_type=None,
            readable=False,
            writable=False,
            size=None,
            error=None if missing else f"{exc.strerror or exc}",
        )
    kind = type_name(lst.st_mode)
    target_type: str | None = None
    effective = lst
    if kind == "symlink":
        try:
            effective = os.stat(path)
            target_type = type_name(effective.st_mode)
        except OSError:
            effective = lst
    eff_kind = type_name(effective.st_mode)
    # a directory is "readable" when it can be listed, which needs search permission too
    read_mode = os.R_OK | os.X_OK if eff_kind == "dir" else os.R_OK
    dangling = kind == "symlink" and target_type is None
    return FileCheck(
        path=path,
        exists=True,
        type=kind,
        target_type=target_type,
        readable=not dangling and _access(path, read_mode),
        writable=not dangling and _access(path, os.W_OK),
        size=effective.st_size if eff_kind == "file" else None,
        error="dangling symlink" if dangling else None,
    )
