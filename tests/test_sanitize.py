"""Names are escaped for terminals and exact in machine output."""

from __future__ import annotations

import base64
import os

from hypothesis import given
from hypothesis import strategies as st

from scanner.output.sanitize import display_name, exact_bytes, json_path_fields


def test_control_and_bidi_characters_are_escaped() -> None:
    assert display_name("a\nb") == "a\\nb"
    assert display_name("\x1b[31mred") == "\\e[31mred"
    assert display_name("evil\u202etxt.exe") == "evil\\u202etxt.exe"
    assert display_name("tab\there") == "tab\\there"
    assert display_name("plain-ñame.txt") == "plain-ñame.txt"


def test_undecodable_bytes_are_shown_as_hex_and_kept_exact() -> None:
    name = os.fsdecode(b"bad\xff\xfe.bin")
    assert display_name(name) == "bad\\xff\\xfe.bin"
    assert exact_bytes(name) == b"bad\xff\xfe.bin"
    fields = json_path_fields(name)
    assert base64.b64decode(fields["path_b64"]) == b"bad\xff\xfe.bin"
    fields["path"].encode("utf-8")  # valid UTF-8


@given(st.binary(min_size=1, max_size=40))
def test_display_name_is_always_printable(raw: bytes) -> None:
    shown = display_name(os.fsdecode(raw))
    assert all(ch.isprintable() for ch in shown)
    shown.encode("utf-8")
