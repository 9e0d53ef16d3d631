"""Entry filters: exclusion globs compiled once into one regular expression each.

``--exclude`` patterns are fnmatch globs, case-sensitive on every OS (as fd's globs), matched
against the entry's name and against its path relative to its root (``src/gen``). The path
match is only attempted when some pattern contains a ``/``, so the common case (``*.o``,
``node_modules``) costs one regex match on the name per entry.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Matcher = Callable[[str], "re.Match[str] | None"]


@dataclass(frozen=True, slots=True)
class Excluder:
    """Compiled ``--exclude`` patterns."""

    name: Matcher | None
    path: Matcher | None

    def excludes(self, name: str, rel_path: str) -> bool:
        """True when the entry must be skipped (and, for a directory, not descended)."""
        if self.name is not None and self.name(name):
            return True
        return self.path is not None and self.path(rel_path) is not None


def _compile(globs: Sequence[str]) -> Matcher | None:
    if not globs:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs)).match


def compile_excludes(globs: Sequence[str]) -> Excluder | None:
    """An :class:`Excluder` for the patterns, or None when there are none."""
    if not globs:
        return None
    stripped = [g.strip("/") or g for g in globs]
    # Every pattern is tried on the name; patterns naming a path ("a/b") can only match the
    # root-relative path, and ``*`` in fnmatch crosses "/" so "*.log" matches there too.
    return Excluder(
        name=_compile([g for g in stripped if "/" not in g]),
        path=_compile([g for g in stripped if "/" in g]),
    )
