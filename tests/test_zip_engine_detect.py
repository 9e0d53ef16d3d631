"""Recognising archives: by name, and by content (``--sniff``) on asyncio and trio."""

from __future__ import annotations

import os
import struct
import zipfile
from pathlib import Path

import pytest

from scanner.archives.detect import SNIFF_TAIL, is_archive_name, read_tail, sniff_files, sniff_path
from scanner.archives.model import Candidate
from scanner.errors import ItemError
from tests.zip_corpus import Corpus, build_corpus


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    return build_corpus(tmp_path / "tree")


def test_names_are_recognised_case_insensitively() -> None:
    assert is_archive_name("a/b/Report.DOCX") and is_archive_name("lib.jar")
    assert (
        not is_archive_name(".zip") and not is_archive_name("zip") and not is_archive_name("a.txt")
    )


@pytest.mark.anyio
async def test_sniff_path_tells_zips_from_lookalikes(corpus: Corpus, tmp_path: Path) -> None:
    assert await sniff_path(str(corpus.hidden)) is True  # a zip named .bin
    assert await sniff_path(str(corpus.fake)) is False  # text named .zip
    # the four bytes of an end record alone are not enough (zipfile.is_zipfile says yes)
    decoy = tmp_path / "decoy.dat"
    # one entry, a 46-byte central directory at offset 0: where "xxxx" is, not PK\1\2
    eocd = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 1, 1, 46, 0, 0)
    decoy.write_bytes(b"x" * 100 + eocd)
    assert zipfile.is_zipfile(decoy)
    assert await sniff_path(str(decoy)) is False
    missing = await sniff_path(str(tmp_path / "missing"))
    assert (
        isinstance(missing, ItemError)
        and missing.phase == "sniff"
        and missing.errno_name == "ENOENT"
    )


@pytest.mark.anyio
async def test_read_tail_reads_at_most_the_end_record_window(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"a" * 200_000 + b"END")
    tail, size = await read_tail(str(big))
    assert size == 200_003 and len(tail) == SNIFF_TAIL and tail.endswith(b"END")
    small = tmp_path / "small.bin"
    small.write_bytes(b"abc")
    assert await read_tail(str(small)) == (b"abc", 3)


def test_sniff_files_never_opens_a_fifo_blocking(corpus: Corpus, tmp_path: Path) -> None:
    fifo = tmp_path / "swapped.bin"
    os.mkfifo(fifo)  # a blocking open would hang this test (no writer)
    items = [
        Candidate(str(corpus.hidden)),
        Candidate(str(corpus.fake)),
        Candidate(str(corpus.text)),
        Candidate(str(fifo)),
        Candidate(str(tmp_path / "gone.bin")),
    ]
    verdicts = sniff_files(items)
    assert verdicts[:4] == [True, False, False, False]
    assert isinstance(verdicts[4], ItemError) and verdicts[4].errno_name == "ENOENT"
