"""Entry filters: exclusion globs (which prune) and fd/find filters (which select).

``--exclude`` patterns are fnmatch globs, case-sensitive on every OS (as fd's globs), matched
against the entry's name and against its path relative to its root (``src/gen``). The path
match is only attempted when some pattern contains a ``/``, so the common case (``*.o``,
``node_modules``) costs one regex match on the name per entry.

The fd/find filters (``-e``, a glob or ``--regex``, ``--size``, ``--changed-within``/
``--changed-before``) compile into one :class:`EntryFilter`; with none set the work unit
gets None and tests nothing per entry.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from scanner.errors import UsageProblem
from scanner.fs.globs import name_glob_regex
from scanner.fs.size_filter import SizeFilter
from scanner.fs.time_filter import to_ns

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


# --- what is listed and counted: fd/find filters -------------------------------------------


@dataclass(frozen=True, slots=True)
class EntryFilter:
    """The fd/find filters of a walk, compiled once: an entry is counted and listed only
    when it passes all of them (directories that do not pass are still entered).

    ``ext`` and ``name`` take the name (``name`` takes the walked path instead when
    ``full_path``); ``sizes`` hold for regular files only; ``newer_ns``/``older_ns``
    compare the modification time (lstat, or stat under ``--follow``).
    """

    ext: Matcher | None
    name: Matcher | None
    full_path: bool
    sizes: tuple[SizeFilter, ...]
    newer_ns: int | None
    older_ns: int | None

    @property
    def needs_stat(self) -> bool:
        """Whether every entry must be stat()ed (the time filters); sizes need only files'."""
        return self.newer_ns is not None or self.older_ns is not None

    def keep(self, name: str, prefix: str, kind: str, st: os.stat_result | None) -> bool:
        """Whether the entry ``prefix + name`` passes (``st`` is needed for the size and
        time filters)."""
        if self.ext is not None and self.ext(name) is None:
            return False
        if self.name is not None and self.name(prefix + name if self.full_path else name) is None:
            return False
        if self.sizes:
            if kind != "f" or st is None:
                return False
            size = st.st_size
            for s in self.sizes:
                if not s.accepts(size):
                    return False
        if self.newer_ns is not None or self.older_ns is not None:
            if st is None:
                return False
            mtime = st.st_mtime_ns
            if self.newer_ns is not None and mtime <= self.newer_ns:
                return False
            if self.older_ns is not None and mtime >= self.older_ns:
                return False
        return True


def extension_regex(extensions: Iterable[str]) -> str:
    """The regex (``fullmatch``) of names with one of ``extensions`` (no dot): the name ends
    in ``.EXT`` and something other than dots comes before, the rule of the extension
    table (``.bashrc`` has none; ``a.tar.gz`` matches ``gz`` and ``tar.gz``)."""
    alts = "|".join(re.escape(e) for e in sorted(extensions, key=lambda e: (-len(e), e)))
    return rf"\.*[^.].*\.(?:{alts})"


def normalise_extension(ext: str) -> str:
    """``-e`` value as stored: without a leading dot; refuses empty and ``/``."""
    value = ext[1:] if ext.startswith(".") else ext
    if not value or "/" in value or "\0" in value:
        raise UsageProblem(f"--extension takes an extension such as py or tar.gz, not {ext!r}")
    return value


def compile_filter(
    *,
    extensions: frozenset[str],
    case_sensitive: bool,
    patterns: tuple[str, ...],
    regex: bool,
    ignore_case: bool,
    full_path: bool,
    sizes: tuple[SizeFilter, ...],
    newer_than: float | None,
    older_than: float | None,
) -> EntryFilter | None:
    """The filter for a config's fields, or None when none is set (the hot loop then
    tests nothing). Any of ``patterns`` may match."""
    if not (extensions or patterns or sizes) and newer_than is None and older_than is None:
        return None
    ext = None
    if extensions:
        flags = re.DOTALL | (0 if case_sensitive else re.IGNORECASE)
        ext = re.compile(extension_regex(extensions), flags).fullmatch
    name = None
    if patterns:
        flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
        name = _name_matcher(patterns, regex=regex, flags=flags)
    return EntryFilter(
        ext=ext,
        name=name,
        full_path=full_path,
        sizes=sizes,
        newer_ns=None if newer_than is None else to_ns(newer_than),
        older_ns=None if older_than is None else to_ns(older_than),
    )


def _name_matcher(patterns: tuple[str, ...], *, regex: bool, flags: int) -> Matcher:
    """One matcher for globs (``fullmatch``) or regular expressions (``search``): one
    alternation, or one pattern after another when they cannot be joined (a regex with
    its own global flags, such as ``(?i)``, must come first in a pattern)."""
    if not regex:
        joined = "|".join(f"(?:{name_glob_regex(p)})" for p in patterns)
        return re.compile(joined, flags).fullmatch
    compiled = []
    for p in patterns:
        try:
            compiled.append(re.compile(p, flags))
        except re.error as exc:
            raise UsageProblem(f"--regex {p!r}: {exc}") from None
    if len(compiled) == 1:
        return compiled[0].search
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns), flags).search
    except re.error:
        searches = [c.search for c in compiled]
        return lambda text: next((m for s in searches if (m := s(text)) is not None), None)
