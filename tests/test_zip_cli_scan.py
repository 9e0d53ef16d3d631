"""``scanner scan``'s archives section and ``--into-archives``, end to end."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

from scanner import exit_codes
from scanner.archives._unit import error_report
from scanner.errors import ItemError
from scanner.fs import WalkConfig
from scanner.scan import ArchiveSection
from tests.cli_helpers import run_cli
from tests.zip_corpus import Corpus, build_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return build_corpus(tmp_path_factory.mktemp("scancorpus"))


def _extensions(doc: dict[str, object]) -> dict[str, int]:
    rows = doc["extensions"]
    assert isinstance(rows, list)
    return {r["ext"]: r["files"] for r in rows}


def test_scan_json_has_the_archives_section(corpus: Corpus) -> None:
    ran = run_cli("scan", "--json", str(corpus.root))
    assert ran.code == exit_codes.OK, ran.err
    section = json.loads(ran.out)["archives"]
    assert section["archives"] == 6  # by extension: the .bin zip is not sniffed here
    assert section["members"] == 10 and section["errors"] == 0
    assert section["bytes"] == sum(p.stat().st_size for p in corpus.by_extension)
    assert section["findings"] == {"info": 0, "low": 0, "medium": 1, "high": 3, "critical": 0}
    assert section["worst"] == "high"
    assert "member_extensions" not in section


def test_into_archives_counts_members_in_the_extension_table(corpus: Corpus) -> None:
    plain = json.loads(run_cli("scan", "--json", "--top", "50", str(corpus.root)).out)
    into = json.loads(
        run_cli("scan", "--json", "--top", "50", "--into-archives", str(corpus.root)).out
    )
    before, after = _extensions(plain), _extensions(into)
    assert "class" not in before and after["class"] == 1  # from app.jar
    # README.txt, a.txt twice, ok.txt and ../escape.txt of the archive nested in nested.zip
    assert after["txt"] == before["txt"] + 5
    assert after["zip"] == before["zip"] + 1  # inner.zip, a member
    assert into["archives"]["member_extensions"]["mf"] == {"files": 1, "bytes": 25}
    # the file-system totals are not changed by what is inside archives
    assert into["summary"]["files"] == plain["summary"]["files"]


def test_scan_jsonl_and_csv_carry_the_section(corpus: Corpus) -> None:
    recs = [
        json.loads(line) for line in run_cli("scan", "--jsonl", str(corpus.root)).text.splitlines()
    ]
    (section,) = [r for r in recs if r["record"] == "archives"]
    assert section["archives"] == 6 and recs[-1]["record"] == "summary"
    rows = list(csv.reader(io.StringIO(run_cli("scan", "--csv", str(corpus.root)).text)))
    archive_rows = {r[1]: r for r in rows if r[0] == "archives"}
    assert archive_rows["archives"][3] == "6" and archive_rows["findings_high"][3] == "3"


def test_scan_table_shows_the_section(corpus: Corpus) -> None:
    ran = run_cli("scan", str(corpus.root))
    assert ran.code == exit_codes.OK
    assert "zip archives" in ran.text and "3 high" in ran.text


def test_scan_without_archives_reports_zero(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    section = json.loads(run_cli("scan", "--json", str(tmp_path)).out)["archives"]
    assert (section["archives"], section["members"], section["worst"]) == (0, 0, None)


def test_an_empty_archive_counts_and_unreadable_ones_raise_the_exit_code(tmp_path: Path) -> None:
    (tmp_path / "empty.zip").write_bytes(b"PK\x05\x06" + bytes(18))  # a valid, empty zip
    ran = run_cli("scan", "--json", str(tmp_path))
    section = json.loads(ran.out)["archives"]
    assert ran.code == exit_codes.OK and (section["archives"], section["members"]) == (1, 0)
    # root reads every file, so the unreadable case is checked on the section itself
    archives = ArchiveSection()
    archives.summary.add(error_report(ItemError("/x.zip", "open", "Permission denied", 13)))
    assert archives.exit_code(exit_codes.OK) == exit_codes.PARTIAL
    assert archives.exit_code(exit_codes.INTERRUPTED) == exit_codes.INTERRUPTED
    assert ArchiveSection().exit_code(exit_codes.OK) == exit_codes.OK


def test_scan_lists_only_files_named_like_archives() -> None:
    cfg = ArchiveSection(into_archives=False).walk_config(WalkConfig(roots=(".",)))
    # only archive-named files become entries: a huge directory of other files costs none
    assert cfg.list_extensions is not None and {"zip", "jar", "docx"} <= cfg.list_extensions


def test_scan_counts_upper_case_and_compound_named_archives(tmp_path: Path) -> None:
    for name in ("A.ZIP", "lib.Jar", "notes.tar.gz", "b.zip"):
        with zipfile.ZipFile(tmp_path / name, "w") as zf:
            zf.writestr("x.txt", "x")
    ran = run_cli("scan", "--json", "--compound", str(tmp_path))
    assert ran.code == exit_codes.OK, ran.err
    # notes.tar.gz holds a zip but is not named like one: scan picks by name
    assert json.loads(ran.out)["archives"]["archives"] == 3


def test_totals_leave_out_declared_sizes_that_are_lies(tmp_path: Path) -> None:
    """Issue 12: ``scan /`` added up what hostile archives declare ("compressed
    18,579,038,539,646,757,420"). An archive whose sizes the audit finds impossible is
    counted apart: an overlap bomb, and one whose ZIP64 extra declares 2**60 bytes."""
    import struct
    from dataclasses import replace

    from scanner.labs.archives import build_zip, extra_field, fifield_overlap_bomb, stored

    plain = build_zip([stored("a.txt", b"a" * 100)])
    (tmp_path / "plain.zip").write_bytes(plain)
    (tmp_path / "bomb.zip").write_bytes(fifield_overlap_bomb(files=4, kernel_size=100_000))
    huge = replace(
        stored("lie.bin", b"x"),
        csize=0xFFFFFFFF,
        usize=0xFFFFFFFF,
        extra=extra_field(0x0001, struct.pack("<QQ", 1 << 60, 1 << 60)),
    )
    (tmp_path / "lie.zip").write_bytes(build_zip([huge]))
    ran = run_cli("scan", "--json", str(tmp_path))
    section = json.loads(ran.out)["archives"]
    assert section["archives"] == 3
    assert (section["compressed"], section["uncompressed"]) == (100, 100)  # plain.zip only
    assert section["implausible"] == 2
    assert section["implausible_uncompressed"] >= 1 << 60
    rows = list(csv.reader(io.StringIO(run_cli("scan", "--csv", str(tmp_path)).text)))
    (row,) = [r for r in rows if r[:2] == ["archives", "implausible"]]
    assert row[3] == "2" and "not in the totals" in row[5]
    assert "implausible sizes" in run_cli("scan", str(tmp_path)).text
