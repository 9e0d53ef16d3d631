"""The roots of a walk: resolved, overlaps counted once, pseudo file systems below found.

Overlapping roots (``scanner ext /usr/include /usr/include/linux``) are counted once, as
``du -c`` counts them: a root is compared with the others by its resolved path (the walk
follows a root that is a symlink), and

* a root that is the same directory as another (same st_dev and st_ino), or the same file
  by resolved path, is walked once, under the first one given;
* a root that lies inside another root is not walked on its own when the walk of that other
  root reaches all of it: no ``max_depth`` (depths count from each root, so with a depth
  limit every root is walked to its own depth, and an overlap counts twice), and no
  hidden, excluded, ``--gitignore``d, other-device (``one_file_system``) or pseudo file
  system directory on the way. Its entries are then counted and listed once, with the
  outer root's paths.

Both are noted in the report (``WalkReport.merged_roots``).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner.errors import ItemError
from scanner.fs.model import MergedRoot
from scanner.fs.mounts import Mount, read_mounts

if TYPE_CHECKING:
    from scanner.fs.config import WalkConfig


@dataclass(frozen=True, slots=True)
class Root:
    """A root that exists: as given, resolved, and its stat (symlinks followed)."""

    path: str
    real: str
    st: os.stat_result

    @property
    def is_dir(self) -> bool:
        """Whether the root is a directory (a walk starts there)."""
        return stat.S_ISDIR(self.st.st_mode)


def _inside(inner: str, outer: str) -> bool:
    return inner != outer and inner.startswith(os.path.join(outer, ""))


def merge_overlaps(
    cfg: WalkConfig, roots: list[Root], pseudo: list[Mount]
) -> tuple[list[Root], list[tuple[Root, MergedRoot]]]:
    """The roots to walk, in the order given, and those merged into another one."""
    # shortest resolved path first: an outer root is settled before the roots inside it
    order = sorted(range(len(roots)), key=lambda i: (len(roots[i].real), i))
    seen: dict[object, Root] = {}
    outer: list[Root] = []
    into: dict[int, str] = {}
    for i in order:
        r = roots[i]
        key: object = (r.st.st_dev, r.st.st_ino) if r.is_dir else r.real
        same = seen.get(key)
        if same is not None:
            into[i] = same.path
            continue
        host = next((a for a in outer if _inside(r.real, a.real) and _covers(cfg, a, r, pseudo)),
                    None)  # fmt: skip
        if host is not None:
            into[i] = host.path
            continue
        seen[key] = r
        if r.is_dir:
            outer.append(r)
    kept = [r for i, r in enumerate(roots) if i not in into]
    return kept, [(roots[i], MergedRoot(roots[i].path, into[i])) for i in sorted(into)]


def _covers(cfg: WalkConfig, outer: Root, inner: Root, pseudo: list[Mount]) -> bool:
    """Whether the walk of ``outer`` reaches all of ``inner`` (which lies inside it)."""
    if cfg.max_depth is not None:
        return False
    # overlapping roots only: the filters and ignore files are imported when they meet
    from scanner.fs.filters import compile_excludes
    from scanner.fs.ignore import load_level_at, stack_above

    parts = os.path.relpath(inner.real, outer.real).split("/")
    excl = compile_excludes(cfg.excludes)
    skipped = {m.mountpoint for m in pseudo}
    # read errors of ignore files are the walk's to report: here they only mean "no rules"
    dropped: list[ItemError] = []
    ign = None
    if cfg.gitignore:
        ign = stack_above(outer.real, len(os.path.join(outer.real, "")), dropped)
        ign = load_level_at(ign, outer.real, dropped)
    here = outer.real
    rel = ""
    for i, name in enumerate(parts):
        rel = f"{rel}/{name}" if rel else name
        if not cfg.hidden and name.startswith("."):
            return False
        if excl is not None and excl.excludes(name, rel):
            return False
        path = os.path.join(here, name)
        try:
            st = os.lstat(path)
        except OSError:
            return False
        is_dir = stat.S_ISDIR(st.st_mode)
        if cfg.gitignore and (
            name == ".git"
            or (ign is not None and ign.ignored(name, os.path.join(here, ""), is_dir))
        ):
            return False
        if is_dir:
            if cfg.one_file_system and st.st_dev != outer.st.st_dev:
                return False
            if path in skipped:
                return False
            if cfg.gitignore and i < len(parts) - 1:
                ign = load_level_at(ign, path, dropped)
        here = path
    return True


def reached_plainly(cfg: WalkConfig, roots: list[Root], pseudo: list[Mount], path: str) -> bool:
    """Whether the directory a followed symlink at ``path`` leads to is one the walk reaches
    without following any link: one of the ``roots`` (as walked), or inside one whose walk
    covers it (as for overlapping roots). ``--follow`` then reads it there, under its own
    path, and never through a link: which name a directory is read under does not depend
    on the order the walk meets its names in (nor on how a cluster's workers are
    scheduled)."""
    real = os.path.realpath(path)
    for root in roots:
        if not root.is_dir:
            continue
        if real == root.real:
            return True
        if _inside(real, root.real) and _covers(cfg, root, Root(path, real, root.st), pseudo):
            return True
    return False


def resolve_roots(
    cfg: WalkConfig, errors: list[ItemError]
) -> tuple[list[Root], list[tuple[Root, MergedRoot]], list[Mount]]:
    """Stat and resolve the roots (a missing one is a "root" error record), merge the
    overlapping ones, and return the pseudo mounts to avoid (none when they are wanted)."""
    roots = []
    for path in cfg.roots:
        try:
            st = os.stat(path)  # a root symlink is followed, as fd does
        except OSError as exc:
            errors.append(ItemError.from_os_error(path, "root", exc))
            continue
        roots.append(Root(path, os.path.realpath(path), st))
    pseudo = [] if cfg.pseudo_filesystems else [m for m in read_mounts(cfg.mountinfo) if m.pseudo]
    kept, merged = merge_overlaps(cfg, roots, pseudo)
    return kept, merged, pseudo
