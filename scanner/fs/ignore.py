"""``.gitignore`` and ``.ignore`` rules, as git applies them (``--gitignore``; off by default).

What is read, per directory the walk enters: its ``.gitignore``, then its ``.ignore`` (the
file fd and ripgrep read; same syntax, read after, so it wins in that directory); for a
directory that holds a ``.git`` (a repository's top, or a repository nested in the tree),
also ``.git/info/exclude`` below everything else. Above a root, the ``.gitignore``/
``.ignore`` files of its ancestors up to the nearest repository top apply too (git reads
them; with no ``.git`` above, none are read). The user's global excludes
(``core.excludesFile``) are not read: what is skipped must follow from the tree itself.
``.git`` itself is always skipped with ``--gitignore`` (git's own data, never listed by
``git ls-files``). A repository nested in the tree starts afresh: the rules from above it
do not apply inside it.

Rules (gitignore(5)): blank lines and ``#`` lines are skipped; trailing spaces are cut
unless escaped (``\\ ``); a CR before the newline is dropped; ``!`` negates (``\\!``,
``\\#`` are literal); a trailing ``/`` matches directories only (a symlink is never one);
a pattern with a ``/`` at its start or middle is anchored to the directory of its file,
one without matches the name at any depth below it; ``*``, ``?``, ``[...]`` never match
``/``, ``**`` matches across directories (``scanner.fs.globs.wildmatch_regex``). The last
matching rule wins, deeper files win over shallower ones, and a directory that is ignored
is not entered, so nothing below it can be re-included (as in git).

Matching cost: per level, one regular expression (the alternation of its rules) is tried
on the name, and one on the path when the level has anchored rules; only when it matches
are the rules tried one by one, last first.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from scanner.errors import ItemError
from scanner.fs.globs import NEVER, wildmatch_regex

#: The per-directory files read, in this order (later files win).
IGNORE_FILES: Final = (".gitignore", ".ignore")

#: An ignore file larger than this is not read (an error record says so).
MAX_IGNORE_FILE: Final = 8 << 20

_READ_FLAGS: Final = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)

_Match = Callable[[str], "re.Match[str] | None"]


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    """One line of an ignore file."""

    # the line as written (after trimming), for messages and tests
    text: str
    # the regular expression (for fullmatch) and its compiled matcher
    regex: str
    match: _Match
    negate: bool
    dir_only: bool
    # True: matched against the entry's name; False: against its path relative to the
    # directory of the file (anchored)
    basename: bool


def _trim_trailing_spaces(line: str) -> str:
    """git's trim_trailing_spaces: cut unescaped trailing spaces (not tabs)."""
    last_space = -1
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c == " ":
            if last_space < 0:
                last_space = i
        elif c == "\\":
            i += 1
            if i >= n:
                return line
            last_space = -1
        else:
            last_space = -1
        i += 1
    return line[:last_space] if last_space >= 0 else line


def parse_rule(line: str) -> IgnoreRule | None:
    """One gitignore line as a rule, or None for a blank line, a comment or an empty
    pattern."""
    if not line or line[0] == "#":
        return None
    text = _trim_trailing_spaces(line)
    pattern = text
    negate = pattern.startswith("!")
    if negate:
        pattern = pattern[1:]
    dir_only = pattern.endswith("/")
    if dir_only:
        pattern = pattern[:-1]
    if not pattern:
        return None
    basename = "/" not in pattern
    if not basename and pattern.startswith("/"):
        pattern = pattern[1:]
    regex = wildmatch_regex(pattern)
    try:
        compiled = re.compile(regex, re.DOTALL)
    except re.error:  # not expected from wildmatch_regex; a rule that matches nothing
        regex = NEVER
        compiled = re.compile(regex)
    return IgnoreRule(text, regex, compiled.fullmatch, negate, dir_only, basename)


def parse_ignore_file(data: bytes) -> list[IgnoreRule]:
    """The rules of an ignore file's bytes (names are matched as the walk decodes them:
    UTF-8 with undecodable bytes as surrogates)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    rules: list[IgnoreRule] = []
    for raw in data.split(b"\n"):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        rule = parse_rule(raw.decode("utf-8", "surrogateescape"))
        if rule is not None:
            rules.append(rule)
    return rules


def _alternation(rules: list[IgnoreRule], *, basename: bool) -> _Match | None:
    patterns = [r.regex for r in rules if r.basename is basename]
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.DOTALL).fullmatch


@dataclass(frozen=True, slots=True)
class IgnoreLevel:
    """The rules of one directory (its files, in order) and where its paths start."""

    rules: tuple[IgnoreRule, ...]
    # An entry's path relative to this level's directory is ``lead + path[offset:]``: for a
    # directory at or below a root, ``lead`` is "" and ``offset`` the length of its path
    # and a "/"; above a root, ``lead`` is the root relative to it and ``offset`` the
    # root's ``rel_start``.
    lead: str
    offset: int
    any_name: _Match | None
    any_path: _Match | None

    @classmethod
    def of(cls, rules: list[IgnoreRule], *, lead: str, offset: int) -> IgnoreLevel:
        """A level over ``rules`` with its two pre-filters compiled."""
        return cls(
            tuple(rules),
            lead,
            offset,
            _alternation(rules, basename=True),
            _alternation(rules, basename=False),
        )


@dataclass(frozen=True, slots=True)
class IgnoreStack:
    """The levels in effect in a directory, deepest first (a persistent linked list:
    sibling directories share their parents' levels)."""

    level: IgnoreLevel
    parent: IgnoreStack | None = None

    def ignored(self, name: str, prefix: str, is_dir: bool) -> bool:
        """Whether the entry ``name`` in the directory whose entries' paths start with
        ``prefix`` (as the walk spells them) is ignored."""
        stack: IgnoreStack | None = self
        while stack is not None:
            lv = stack.level
            rel = None
            hit = lv.any_name is not None and lv.any_name(name) is not None
            if not hit and lv.any_path is not None:
                rel = lv.lead + prefix[lv.offset :] + name
                hit = lv.any_path(rel) is not None
            if hit:
                for rule in reversed(lv.rules):
                    if rule.dir_only and not is_dir:
                        continue
                    if rule.basename:
                        target = name
                    else:
                        if rel is None:
                            rel = lv.lead + prefix[lv.offset :] + name
                        target = rel
                    if rule.match(target) is not None:
                        return not rule.negate
            stack = stack.parent
        return False


def push(stack: IgnoreStack | None, level: IgnoreLevel | None) -> IgnoreStack | None:
    """``stack`` with ``level`` on top (unchanged when ``level`` is None)."""
    if level is None:
        return stack
    return IgnoreStack(level, stack)


def _read_rules(
    name: str, dir_fd: int | None, shown: str, errors: list[ItemError]
) -> list[IgnoreRule]:
    """The rules of the ignore file ``name`` (relative to ``dir_fd``); [] when it does not
    exist or is not a regular file (FIFOs and devices are never opened); a failure to read
    one that exists is an error record."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return []  # absent (or unreachable: the directory's own error says so)
    if not stat.S_ISREG(st.st_mode):
        return []  # git does not follow a symlinked .gitignore either
    try:
        if st.st_size > MAX_IGNORE_FILE:
            raise OSError(0, f"ignore file larger than {MAX_IGNORE_FILE} bytes: not read")
        fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
        try:
            chunks = []
            left = MAX_IGNORE_FILE + 1
            while left > 0:
                chunk = os.read(fd, min(left, 1 << 16))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
        finally:
            os.close(fd)
        if left <= 0:
            raise OSError(0, f"ignore file larger than {MAX_IGNORE_FILE} bytes: not read")
    except OSError as exc:
        errors.append(
            ItemError(shown, "gitignore", exc.strerror or str(exc), exc.errno or None)
        )
        return []
    return parse_ignore_file(b"".join(chunks))


def _is_repo_top(dir_fd: int | None, path: str) -> bool:
    try:
        os.stat(os.path.join(path, ".git") if dir_fd is None else ".git",
                dir_fd=dir_fd, follow_symlinks=False)  # fmt: skip
    except OSError:
        return False
    return True


def load_level(
    stack: IgnoreStack | None,
    dir_fd: int,
    prefix: str,
    errors: list[ItemError],
) -> IgnoreStack | None:
    """The stack in effect inside the directory open as ``dir_fd`` whose entries' paths
    start with ``prefix`` (its path and a "/"), given the ``stack`` of its parent."""
    return _enter(stack, dir_fd, prefix, lead="", offset=len(prefix), errors=errors)


def load_level_at(
    stack: IgnoreStack | None, dir_path: str, errors: list[ItemError]
) -> IgnoreStack | None:
    """``load_level`` by path: the stack inside ``dir_path``, whose entries' paths are
    ``dir_path`` + "/" + name."""
    prefix = os.path.join(dir_path, "")
    return _enter(stack, None, prefix, lead="", offset=len(prefix), errors=errors)


def _enter(
    stack: IgnoreStack | None,
    dir_fd: int | None,
    prefix: str,
    *,
    lead: str,
    offset: int,
    errors: list[ItemError],
) -> IgnoreStack | None:
    where = None if dir_fd is not None else prefix
    if _is_repo_top(dir_fd, prefix):
        # a repository's top: the rules from above stop here; its info/exclude comes first
        stack = None
        exclude = _read_rules(
            _in(where, ".git/info/exclude"), dir_fd, prefix + ".git/info/exclude", errors
        )
        if exclude:
            stack = push(stack, IgnoreLevel.of(exclude, lead=lead, offset=offset))
    rules: list[IgnoreRule] = []
    for name in IGNORE_FILES:
        rules += _read_rules(_in(where, name), dir_fd, prefix + name, errors)
    if rules:
        stack = push(stack, IgnoreLevel.of(rules, lead=lead, offset=offset))
    return stack


def _in(where: str | None, name: str) -> str:
    return name if where is None else where + name


def stack_above(root_real: str, rel_start: int, errors: list[ItemError]) -> IgnoreStack | None:
    """The levels that apply to a root from its ancestors: those of every directory from
    the nearest one holding a ``.git`` (inclusive) down to the root's parent; None when no
    ancestor holds one (a root that holds one starts afresh when it is entered)."""
    ancestors: list[str] = []
    here = root_real
    while True:
        parent = os.path.dirname(here)
        if parent == here:
            return None  # no repository above
        here = parent
        ancestors.append(here)
        if _is_repo_top(None, os.path.join(here, "")):
            break
    stack: IgnoreStack | None = None
    for top in reversed(ancestors):
        rel = os.path.relpath(root_real, top)
        prefix = os.path.join(top, "")
        stack = _enter(stack, None, prefix, lead=rel + "/", offset=rel_start, errors=errors)
    return stack
