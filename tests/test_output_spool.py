"""The spool behind ``zip --list --json``: lists kept on disk, and a document written in
pieces that is byte for byte ``json.dumps(doc, ensure_ascii=False, indent=2)``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scanner.output import spool as spool_module
from scanner.output.spool import Spool, SpooledList, iter_pretty

DOCS: list[Any] = [
    {},
    [],
    {"a": [], "b": {}, "c": [[]], "d": [{}]},
    {"schema": "scanner", "n": 1, "f": 0.1, "big": 10**20, "t": True, "none": None},
    {"caf\u00e9 \u2603": '\u00e9\n\t"\\', "nested": [{"x": [1, [2, {"y": "z"}]]}, 3.5, "s"]},
    [1, "two", None, [3, [4, []]], {"k": {"k": {"k": []}}}],
    "just a string",
    42,
]


@pytest.mark.parametrize("doc", DOCS)
def test_pretty_pieces_are_json_dumps(doc: Any) -> None:
    assert "".join(iter_pretty(doc)) == json.dumps(doc, ensure_ascii=False, indent=2)


def member(i: int) -> dict[str, Any]:
    return {"name": f"dir/f{i}\u00e9.txt", "size": i, "crc": f"{i:08x}", "flags": [i, {}]}


def test_a_spooled_list_is_written_as_its_items(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spool_module, "_READ", 64)  # runs read back across many blocks
    spool = Spool()
    first, second, empty = SpooledList(spool), SpooledList(spool), SpooledList(spool)
    # two lists filled in turns, as two reader threads do
    for i in range(0, 40, 4):
        first.add(spool.append([member(i), member(i + 1)]))
        second.add(spool.append([member(i + 2), member(i + 3)]))
    first.add(spool.append([]))
    doc = {"archives": [{"path": "a", "members": first, "nested": [{"members": second}]},
                        {"path": "b", "members": empty}], "summary": {"n": 40}}  # fmt: skip
    plain: dict[str, Any] = {
        "archives": [
            {"path": "a", "members": [member(i) for i in range(40) if i % 4 < 2],
             "nested": [{"members": [member(i) for i in range(40) if i % 4 >= 2]}]},
            {"path": "b", "members": []},
        ],
        "summary": {"n": 40},
    }  # fmt: skip
    assert len(first) == len(second) == 20 and len(empty) == 0
    assert "".join(iter_pretty(doc)) == json.dumps(plain, ensure_ascii=False, indent=2)
    # a list can be written twice (a document re-read for another writer)
    assert list(first) == plain["archives"][0]["members"]
    spool.close()


def test_flat_objects_take_the_fast_encoder_and_stay_identical() -> None:
    flat = {"name": "a,\n\"b\": c", "n": -1, "f": 1e300, "x": None, "ok": False, "u": "\u2603"}
    for level_doc in (flat, [flat], {"k": [flat, {"k": [flat]}]}):
        assert "".join(iter_pretty(level_doc)) == json.dumps(
            level_doc, ensure_ascii=False, indent=2
        )
