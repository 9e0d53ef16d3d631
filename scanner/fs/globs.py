"""Glob patterns as regular expressions: ``find -name`` globs and git's wildmatch.

Two dialects, translated once into a Python regular expression that is then used with
``fullmatch``:

* :func:`name_glob_regex` is ``fnmatch(3)`` without flags, what ``find -name`` uses: ``*``
  and ``?`` match any character (a leading dot too: findutils >= 4.2.2), ``[...]`` a set,
  ``\\`` escapes the next character. An unclosed ``[`` is a literal ``[``; a pattern that
  ends in a lone ``\\`` matches nothing (glibc).
* :func:`wildmatch_regex` is git's ``wildmatch`` with ``WM_PATHNAME``, used for
  ``.gitignore`` patterns: ``*``, ``?`` and sets never match ``/``; ``**`` between slashes
  (or at either end) matches across directories (``**/a``, ``a/**/b``, ``a/**``), any other
  run of stars is one ``*``. An unclosed ``[`` or a trailing lone ``\\`` matches nothing.

Sets in both: ``[!...]`` and ``[^...]`` negate, a ``]`` first in the set is literal, ranges
(``a-z``, by code point), POSIX classes (``[:alpha:]`` ...), ``\\`` escapes inside.
"""

from __future__ import annotations

import re
from typing import Final

#: A regular expression that matches nothing (for patterns git or glibc never match).
NEVER: Final = r"(?!)"

_CLASSES: Final = {
    "alnum": r"a-zA-Z0-9",
    "alpha": r"a-zA-Z",
    "blank": r" \t",
    "cntrl": r"\x00-\x1f\x7f",
    "digit": r"0-9",
    "graph": r"\x21-\x7e",
    "lower": r"a-z",
    "print": r"\x20-\x7e",
    "punct": r"!-/:-@\[-`{-~",
    "space": r" \t\n\r\f\v",
    "upper": r"A-Z",
    "xdigit": r"0-9A-Fa-f",
}


class _Unclosed(Exception):
    """A ``[`` without its ``]``."""


def _bracket(pattern: str, i: int, *, pathname: bool) -> tuple[str, int]:
    """Translate the set that starts at ``pattern[i] == '['``; return (regex, next index)."""
    n = len(pattern)
    j = i + 1
    negate = j < n and pattern[j] in "!^"
    if negate:
        j += 1
    parts: list[str] = []
    first = True
    while True:
        if j >= n:
            raise _Unclosed
        c = pattern[j]
        if c == "]" and not first:
            j += 1
            break
        first = False
        if c == "[" and j + 1 < n and pattern[j + 1] in ":=.":
            kind = pattern[j + 1]
            end = pattern.find(kind + "]", j + 2)
            if end < 0:
                raise _Unclosed
            name = pattern[j + 2 : end]
            j = end + 2
            if kind == ":":
                if name not in _CLASSES:
                    raise _Unclosed  # an unknown class: glibc and git match nothing
                parts.append(_CLASSES[name])
            else:  # [=c=] and [.c.]: the character itself (no collation elements here)
                parts.append(re.escape(name))
            continue
        if c == "\\":
            j += 1
            if j >= n:
                raise _Unclosed
            c = pattern[j]
        lo = c
        j += 1
        if j + 1 < n and pattern[j] == "-" and pattern[j + 1] != "]":
            hi = pattern[j + 1]
            j += 2
            if hi == "\\":
                if j >= n:
                    raise _Unclosed
                hi = pattern[j]
                j += 1
            if hi < lo:
                continue  # an empty range matches nothing
            parts.append(f"{re.escape(lo)}-{re.escape(hi)}")
        else:
            parts.append(re.escape(lo))
    body = "".join(parts)
    if pathname:
        # a set never matches "/" in pathname mode, negated or not
        return (f"[^/{body}]" if negate else f"(?!/)[{body}]") if body else (
            "[^/]" if negate else NEVER
        ), j
    if not body:
        return ("." if negate else NEVER), j
    return (f"[^{body}]" if negate else f"[{body}]"), j


def name_glob_regex(pattern: str) -> str:
    """The regex (for ``fullmatch``, DOTALL) of a ``find -name`` glob."""
    return _translate(pattern, pathname=False)


def wildmatch_regex(pattern: str) -> str:
    """The regex (for ``fullmatch``, DOTALL) of a git wildmatch pattern in pathname mode."""
    return _translate(pattern, pathname=True)


def _stars(pattern: str, i: int) -> tuple[str, int]:
    """Wildmatch's run of stars at ``pattern[i]``: (regex, next index)."""
    n = len(pattern)
    j = i
    while j < n and pattern[j] == "*":
        j += 1
    if j - i >= 2 and (i == 0 or pattern[i - 1] == "/"):
        if j < n and pattern[j] == "/":
            return "(?:.*/)?", j + 1  # "**/": zero or more directories
        if j == n:
            return ".*", j  # a trailing "**" (or the whole pattern): anything
    return "[^/]*", j


def _translate(pattern: str, *, pathname: bool) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pathname:
                regex, i = _stars(pattern, i)
            else:
                regex, i = ".*", i + 1
            out.append(regex)
        elif c == "?":
            out.append("[^/]" if pathname else ".")
            i += 1
        elif c == "[":
            try:
                regex, i = _bracket(pattern, i, pathname=pathname)
            except _Unclosed:
                if pathname:
                    return NEVER  # git: an unclosed set aborts the match
                regex, i = re.escape("["), i + 1  # glibc: a literal "["
            out.append(regex)
        elif c == "\\":
            if i + 1 >= n:
                return NEVER
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def compile_name_glob(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """A compiled ``find -name`` (or ``-iname``) glob, to be used with ``fullmatch``."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(name_glob_regex(pattern), flags)
