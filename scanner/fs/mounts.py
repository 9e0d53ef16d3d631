"""The mount table, and which mounts a walk does not enter unasked (pseudo file systems).

As gdu and ncdu (``--exclude-kernfs``) do, a walk that starts above a pseudo file system
(``/proc``, ``/sys``, ``/dev``, ``/run`` from ``/``) does not enter it: those hold kernel
interfaces and runtime state, not data, and reading them costs errors (``/proc/*/fd``),
absurd sizes (``/proc/kcore``) or blocked reads. The choice is by file-system *type*, read
from ``/proc/self/mountinfo``: the kernel's pseudo types below, and ``tmpfs`` only when it
is mounted on ``/run`` or below it (``/tmp`` may be a tmpfs full of real files, so tmpfs
elsewhere is walked). A root that is itself such a mount is walked: only crossing into one
is avoided. Without a mount table (not Linux) nothing is skipped.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Final

#: Kernel pseudo file systems (ncdu's --exclude-kernfs list, plus proc-like ones).
PSEUDO_FSTYPES: Final = frozenset(
    {
        "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs",
        "debugfs", "tracefs", "pstore", "bpf", "configfs", "fusectl", "mqueue",
        "hugetlbfs", "binfmt_misc", "efivarfs", "selinuxfs", "rpc_pipefs", "nsfs",
    }
)  # fmt: skip

#: Where a tmpfs holds runtime state, not data.
RUNTIME_DIRS: Final = ("/run",)

#: The mount table of this process.
MOUNTINFO: Final = "/proc/self/mountinfo"

_ESCAPE: Final = re.compile(rb"\\([0-7]{3})")


@dataclass(frozen=True, slots=True)
class Mount:
    """One line of the mount table."""

    mountpoint: str
    fstype: str

    @property
    def pseudo(self) -> bool:
        """Whether a walk crossing into it skips it by default."""
        if self.fstype in PSEUDO_FSTYPES:
            return True
        return self.fstype == "tmpfs" and any(
            self.mountpoint == d or self.mountpoint.startswith(d + "/") for d in RUNTIME_DIRS
        )


def _unescape(field: bytes) -> str:
    # mountinfo escapes space, tab, newline and backslash as \ooo
    return os.fsdecode(_ESCAPE.sub(lambda m: bytes([int(m.group(1), 8)]), field))


def parse_mountinfo(data: bytes) -> list[Mount]:
    """The mounts of a ``/proc/PID/mountinfo`` text (malformed lines are left out)."""
    mounts = []
    for line in data.splitlines():
        fields = line.split(b" ")
        try:
            sep = fields.index(b"-", 6)
            mounts.append(Mount(_unescape(fields[4]), os.fsdecode(fields[sep + 1])))
        except (ValueError, IndexError):
            continue
    return mounts


def read_mounts(path: str = MOUNTINFO) -> list[Mount]:
    """The mount table at ``path``; [] when there is none (not Linux, no /proc)."""
    try:
        with open(path, "rb") as fh:
            return parse_mountinfo(fh.read())
    except OSError:
        return []


def pseudo_mounts_below(root: str, real_root: str, mounts: list[Mount]) -> dict[str, str]:
    """``{path as the walk spells it: fstype}`` of the pseudo mounts strictly below the
    directory ``real_root`` (the resolved ``root``)."""
    below = os.path.join(real_root, "")
    return {
        os.path.join(root, os.path.relpath(m.mountpoint, real_root)): m.fstype
        for m in mounts
        if m.pseudo and m.mountpoint.startswith(below) and m.mountpoint != real_root
    }
