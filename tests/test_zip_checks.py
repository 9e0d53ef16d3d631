"""Each audit check fires on its hostile case and stays silent on ordinary archives."""

from __future__ import annotations

import io
import random
import struct
import zipfile
from dataclasses import replace

import pytest

from scanner.archives.config import ZipConfig
from scanner.archives.model import ArchiveReport, Finding, Severity
from scanner.archives.zip.codes import CODES, FindingList
from scanner.archives.zip.inspect import inspect_bytes, sniff_zip
from scanner.labs.archives import (
    HOSTILE_CASES,
    Layout,
    RawEntry,
    build_zip,
    deflated,
    fifield_overlap_bomb,
    many_members_zip,
    nested_zip,
    ordinary_zip,
    stored,
    with_zip64_end,
)


@pytest.mark.parametrize("name", sorted(HOSTILE_CASES))
def test_hostile_case_raises_its_findings(name: str) -> None:
    case = HOSTILE_CASES[name]
    report = inspect_bytes(case.build(), f"{name}.zip", case.config)
    codes = {f.code for _path, f in report.iter_findings()}
    assert case.expect <= codes, f"{name}: missing {sorted(case.expect - codes)}"
    assert report.worst is not None
    assert report.error is None


def test_every_code_has_a_case_or_is_a_note() -> None:
    """No check without a corpus case (notes about the tool's own limits excepted)."""
    covered = set().union(*(c.expect for c in HOSTILE_CASES.values()))
    untested_by_design = {
        "findings-truncated",  # tested below with a cap of 1
        "verify-budget-exceeded",  # tested in test_zip_verify
        "nested-unreadable",  # tested below
        "entry-overlaps-cd",  # tested below
        "unicode-path-mismatch",  # tested in test_zip_reader
        "zip64-record-missing",  # tested below
        "zip64-missing",  # tested below
        "bad-extra-field",  # tested below
    }
    assert set(CODES) - covered - untested_by_design == set()


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(
    "method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]
)
def test_ordinary_archives_are_silent(seed: int, method: int) -> None:
    report = inspect_bytes(ordinary_zip(seed, 15, method=method), "o.zip", ZipConfig(verify=True))
    assert report.findings == []
    assert report.worst is None


def test_stored_nested_archive_is_not_a_second_end_record() -> None:
    inner = ordinary_zip(1, 3, method=zipfile.ZIP_STORED)
    outer = build_zip([stored("inner.zip", inner), stored("after.txt", b"x")])
    report = inspect_bytes(outer, "outer.zip", ZipConfig(verify=True))
    assert report.findings == []
    assert [n.path for n in report.nested] == ["outer.zip!inner.zip"]
    assert report.nested[0].findings == []


def test_nested_paths_depth_and_worst_bubbling() -> None:
    evil = build_zip([stored("../../evil.sh", b"x")])
    mid = build_zip([stored("evil.zip", evil)])
    outer = build_zip([deflated("mid.jar", mid)])
    report = inspect_bytes(outer, "outer.zip", ZipConfig())
    assert report.findings == []
    assert report.worst == Severity.HIGH
    [(where, finding)] = report.iter_findings()
    assert where == "outer.zip!mid.jar!evil.zip"
    assert finding.code == "path-traversal"
    deep = inspect_bytes(nested_zip(6), "n.zip", ZipConfig())
    depth_paths = [p for p, f in deep.iter_findings() if f.code == "nested-too-deep"]
    assert [p.count("!") for p in depth_paths] == [4, 5]


def test_nested_unreadable_member() -> None:
    bad = RawEntry(b"bad.zip", payload=b"\xff" * 20, plain=b"x" * 100, method=8)
    report = inspect_bytes(build_zip([bad]), "outer.zip", ZipConfig())
    [finding] = report.findings
    assert finding.code == "nested-unreadable"
    assert finding.member == "bad.zip"
    assert report.nested == []


def test_findings_are_capped_per_code() -> None:
    entries = [stored(f"../x{i}", b"") for i in range(10)]
    report = inspect_bytes(build_zip(entries), "c.zip", ZipConfig(max_findings_per_code=3))
    codes = [f.code for f in report.findings]
    assert codes.count("path-traversal") == 3
    [note] = [f for f in report.findings if f.code == "findings-truncated"]
    assert "7 more" in note.message
    assert "10 in all" in note.message


def test_min_severity_drops_lower_findings() -> None:
    data = build_zip([stored("README", b"1"), stored("readme", b"2"), stored("../x", b"")])
    report = inspect_bytes(data, "m.zip", ZipConfig(min_severity=Severity.MEDIUM))
    assert [f.code for f in report.findings] == ["path-traversal"]


def test_entry_overlapping_the_central_directory() -> None:
    data = build_zip([stored("a.txt", b"abc", csize=40, usize=40, local_csize=40, local_usize=40)])
    report = inspect_bytes(data, "o.zip", ZipConfig())
    assert "entry-overlaps-cd" in {f.code for f in report.findings}


def test_zip64_locator_without_record_and_sentinels_without_zip64() -> None:
    base = build_zip([stored("a", b"a")])
    eocd = base.rfind(b"PK\x05\x06")
    locator = (
        b"PK\x06\x07"
        + (0).to_bytes(4, "little")
        + (3).to_bytes(8, "little")
        + (1).to_bytes(4, "little")
    )
    report = inspect_bytes(base[:eocd] + locator + base[eocd:], "z.zip", ZipConfig())
    assert "zip64-record-missing" in {f.code for f in report.findings}
    sentinel = build_zip([stored("a", b"a")], Layout(cd_offset=0xFFFFFFFF))
    report = inspect_bytes(sentinel, "s.zip", ZipConfig())
    assert "zip64-missing" in {f.code for f in report.findings}


def test_malformed_extra_field() -> None:
    data = build_zip([stored("a", b"a", extra=b"\x01\x00\xff\x00abc")])
    report = inspect_bytes(data, "x.zip", ZipConfig())
    assert "bad-extra-field" in {f.code for f in report.findings}


def test_fifield_bomb_is_valid_zip_data_yet_flagged() -> None:
    data = fifield_overlap_bomb(files=6, kernel_size=10_000)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
    assert len(infos) == 6
    report = inspect_bytes(data, "bomb.zip", ZipConfig(verify=True))
    codes = [f.code for f in report.findings]
    assert codes.count("overlapping-entries") == 5
    # the entries decompress fine: overlap is the only problem, verify finds nothing
    assert set(codes) == {"overlapping-entries"}
    assert report.worst == Severity.CRITICAL


def test_overlap_slack_allows_two_bytes() -> None:
    first = deflated("a", b"0123456789" * 10)
    for extra, flagged in ((2, False), (3, True)):
        # a's declared compressed size reaches ``extra`` bytes into b's local header
        size = len(first.payload) + extra
        data = build_zip([replace(first, csize=size, local_csize=size), stored("b", b"x")])
        report = inspect_bytes(data, "s.zip", ZipConfig())
        assert ("overlapping-entries" in {f.code for f in report.findings}) is flagged


def test_severity_parse_and_order() -> None:
    assert Severity.parse("high") is Severity.HIGH
    assert Severity.parse(" CRITICAL ") is Severity.CRITICAL
    assert Severity.parse("2") is Severity.MEDIUM
    with pytest.raises(ValueError, match="unknown severity"):
        Severity.parse("severe")
    assert max(Severity.LOW, Severity.HIGH) is Severity.HIGH
    assert Severity.INFO.label == "info"


def test_report_as_dict_round_trip() -> None:
    report = ArchiveReport(path="a.zip", findings=[Finding("symlink", Severity.MEDIUM, "l", "m")])
    report.nested.append(
        ArchiveReport(path="a.zip!b.zip", findings=[Finding("setuid", Severity.HIGH, "t", "m")])
    )
    data = report.as_dict()
    assert data["worst"] == "high"
    assert data["nested"][0]["findings"][0]["code"] == "setuid"
    assert "members" not in data


def test_finding_list_counts_beyond_cap() -> None:
    fl = FindingList(cap=2)
    for _ in range(5):
        fl.add("symlink", "x", "m")
    assert fl.count("symlink") == 5
    assert len(fl.finish()) == 3


# ----------------------------------------------------------------------- sniff
def _tail(data: bytes) -> bytes:
    return data[-(64 * 1024 + 22) :]


def test_sniff_accepts_zips_and_rejects_lookalikes() -> None:
    good = ordinary_zip(3)
    assert sniff_zip(_tail(good), len(good))
    empty = build_zip([])
    assert sniff_zip(empty, len(empty))
    sfx = b"MZ" + bytes(100) + good
    assert sniff_zip(_tail(sfx), len(sfx))
    big = ordinary_zip(4, 400) + b""
    assert sniff_zip(_tail(big), len(big))
    # An end-record signature in random data (what fools is_zipfile) is not enough.
    fake = bytearray(random.Random(1).randbytes(5000))
    fake[-22:] = (
        b"PK\x05\x06"
        + bytes(4)
        + (1).to_bytes(2, "little") * 2
        + (46).to_bytes(4, "little")
        + (100).to_bytes(4, "little")
        + bytes(2)
    )
    assert not sniff_zip(bytes(fake), len(fake))
    assert not sniff_zip(b"", 0)
    assert not sniff_zip(b"PK\x05\x06", 4)
    text = b"just text " * 100
    assert not sniff_zip(text, len(text))


def test_sniff_directory_starting_before_the_tail_and_zip64() -> None:
    big = many_members_zip(5000)  # a central directory of ~350 KB
    tail = _tail(big)
    assert len(tail) < len(big)
    assert sniff_zip(tail, len(big))
    # ...but not when the directory would start before the file does
    assert not sniff_zip(tail, len(tail))
    zip64 = io.BytesIO()
    with zipfile.ZipFile(zip64, "w") as zf:
        for i in range(3):
            zf.writestr(f"m{i}", b"x")
    data = _with_zip64(zip64.getvalue())
    assert sniff_zip(_tail(data), len(data))
    report = inspect_bytes(data, "z64.zip", ZipConfig())
    assert report.zip64
    assert report.findings == []


def _with_zip64(data: bytes) -> bytes:
    """Insert consistent ZIP64 end records (zipfile writes them only when needed), the
    classic record's counts, size and offset at their sentinels (its disk numbers 0)."""
    out = bytearray(with_zip64_end(data))
    eocd = out.rfind(b"PK\x05\x06")
    struct.pack_into("<HHLL", out, eocd + 8, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
    return bytes(out)


def test_record_limit_is_shared_with_nested_archives() -> None:
    inner = many_members_zip(30)
    outer = build_zip([stored(f"m{i}.txt", b"x") for i in range(5)] + [stored("in.zip", inner)])
    report = inspect_bytes(outer, "o.zip", ZipConfig(member_hard_limit=20))
    assert report.member_count == 6
    assert [n.member_count for n in report.nested] == [14]
    assert [f.code for f in report.nested[0].findings] == ["members-not-read"]


def test_sizes_near_2_to_the_64_are_findings_not_a_crash() -> None:
    """The audit keeps entry spans in 64-bit arrays; a ZIP64 size of 2**64 - 1 put the
    entry's end past 2**64 (found on review of the streaming audit)."""
    huge = struct.pack("<QQ", 2**64 - 1, 2**64 - 1)
    entry = replace(
        stored("x", b"x"), csize=0xFFFFFFFF, usize=0xFFFFFFFF, extra=b"\x01\x00\x10\x00" + huge
    )
    report = inspect_bytes(build_zip([entry, stored("y", b"y")]), "h.zip", ZipConfig(verify=True))
    assert report.error is None
    assert {"truncated", "total-size-over-limit"} <= {f.code for f in report.findings}


def test_sniff_accepts_3mf_end_records_and_locator_bytes_in_a_name() -> None:
    """Issue 13's valid archives are zips to ``--sniff`` too: every classic end-record
    field 0xFFFF beside a ZIP64 record (3MF), and a ZIP64 locator signature that is only
    the end of the last name (zip2's zip64_magic_in_filename)."""
    ok = deflated("ok.txt", b"x" * 100)
    three_mf = with_zip64_end(build_zip([ok, stored("3D/3dmodel.model", b"<m/>")]), sentinels=True)
    in_name = build_zip([stored(b"x/PK\x06\x070123456789abcdef", b"data")])
    for data in (three_mf, in_name):
        assert sniff_zip(_tail(data), len(data))
