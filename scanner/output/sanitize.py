"""Make names safe to show, and exact where they must be exact.

File names are arbitrary bytes on POSIX. Python hands them to us as ``str`` with undecodable
bytes mapped to lone surrogates (``surrogateescape``). Three renderings follow from that:

* terminal: :func:`display_name` escapes control characters, bidi overrides and undecodable
  bytes so that a hostile name cannot move the cursor, recolour the terminal or reorder text
  (as fd's ``sanitize.rs`` does);
* exact text: :func:`exact_bytes` gives back the original bytes (for ``-0`` and plain output
  to a pipe);
* JSON: :func:`json_path_fields` gives a valid UTF-8 ``path`` plus, only when the name is not
  valid UTF-8, ``path_b64`` holding the exact bytes.
"""

from __future__ import annotations

import base64
import os
from typing import Final

_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e", "\\": "\\\\"}


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte under surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def display_name(name: str) -> str:
    """A name safe to print on a terminal: unsafe characters become visible escapes."""
    # str.isprintable is False for controls (Cc), format characters such as bidi overrides
    # (Cf), surrogates (undecodable bytes), separators other than space and unassigned code
    # points: everything that could move the cursor or reorder text.
    if name.isprintable() and "\\" not in name:
        return name
    return "".join(ch if ch.isprintable() and ch != "\\" else _escape(ch) for ch in name)


def exact_bytes(name: str) -> bytes:
    """The original bytes of a name that came from the OS."""
    return os.fsencode(name)


def is_exact_utf8(name: str) -> bool:
    """True when the name round-trips as UTF-8 (no undecodable bytes)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_text(name: str) -> str:
    """A valid-UTF-8 rendering of an OS name: undecodable bytes become U+FFFD."""
    if is_exact_utf8(name):
        return name
    return os.fsencode(name).decode("utf-8", "replace")


def json_path_fields(name: str, key: str = "path") -> dict[str, str]:
    """``{"path": text}`` plus ``{"path_b64": ...}`` when the text alone is not exact."""
    if is_exact_utf8(name):
        return {key: name}
    return {key: json_text(name), f"{key}_b64": base64.b64encode(os.fsencode(name)).decode()}
