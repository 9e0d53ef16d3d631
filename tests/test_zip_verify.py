"""--verify: streaming, bounded decompression with CRC and size checks."""

from __future__ import annotations

import io
import lzma
import struct
import tracemalloc
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from scanner.archives.config import ZipConfig
from scanner.archives.zip.inspect import inspect_bytes, inspect_file
from scanner.archives.zip.verify import CorruptData, iter_member_data
from scanner.labs.archives import build_zip, deflated, write_bzip2_member


def _one_member(method: int, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        zf.writestr("m.bin", data)
    return buf.getvalue()


@pytest.mark.parametrize(
    "method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]
)
def test_pieces_never_exceed_the_chunk(method: int) -> None:
    plain = bytes(range(256)) * 4000 + b"\x00" * 500_000
    data = _one_member(method, plain)
    header = data.find(b"m.bin") + 5
    pieces = list(
        iter_member_data(
            data,
            header,
            csize=len(data),
            method=method,
            limit=len(plain),
            chunk=4096,
            usize=len(plain),
        )
    )
    assert max(len(p) for p in pieces) <= 4096
    assert b"".join(pieces) == plain


def test_limit_stops_decompression_early() -> None:
    data = _one_member(zipfile.ZIP_DEFLATED, b"\x00" * 1_000_000)
    start = data.find(b"m.bin") + 5
    got = b"".join(iter_member_data(data, start, csize=len(data), method=8, limit=1000, chunk=300))
    assert len(got) == 1000


def test_truncated_stream_is_corrupt_not_an_exception() -> None:
    entry = deflated("t.txt", bytes(range(256)) * 100)
    with pytest.raises(CorruptData, match="ends early"):
        list(iter_member_data(entry.payload[:50], 0, csize=50, method=8, limit=25600, chunk=1000))


def test_unsupported_method_raises_value_error() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        list(iter_member_data(b"abc", 0, csize=3, method=93, limit=3, chunk=3))


def test_verify_budget_stops_with_a_note() -> None:
    data = _one_member(zipfile.ZIP_DEFLATED, bytes(range(256)) * 1200)
    report = inspect_bytes(data, "b.zip", ZipConfig(verify=True, verify_byte_budget=100_000))
    codes = [f.code for f in report.findings if f.code != "high-ratio"]
    assert codes == ["verify-budget-exceeded"]


def test_forged_lzma_dictionary_size_is_capped() -> None:
    """A member declaring a 4 GiB dictionary must not make verification reserve it."""
    data = bytearray(_one_member(zipfile.ZIP_LZMA, b"lzma data " * 1000))
    props = data.find(b"m.bin") + 5 + 4  # after the 4-byte LZMA header: lc/lp/pb byte
    struct.pack_into("<L", data, props + 1, 0xFFFFFFFF)
    tracemalloc.start()
    try:
        report = inspect_bytes(bytes(data), "l.zip", ZipConfig(verify=True))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.findings == []
    assert peak < 16 * 1024 * 1024


def test_lzma_bad_properties_are_corrupt_data() -> None:
    data = bytearray(_one_member(zipfile.ZIP_LZMA, b"x" * 100))
    props = data.find(b"m.bin") + 5 + 4
    data[props] = 250  # lc/lp/pb out of range
    report = inspect_bytes(bytes(data), "l.zip", ZipConfig(verify=True))
    assert [f.code for f in report.findings] == ["corrupt-data"]
    assert lzma.FILTER_LZMA1  # the raw LZMA1 filter exists in this Python


def test_bzip2_member_verifies_in_bounded_memory(tmp_path: Path) -> None:
    """The benchmark runs 200 MiB in a fresh process (RSS); here 48 MiB under tracemalloc:
    Python-side allocations stay at a few chunks whatever the member size."""
    path = tmp_path / "bz.zip"
    size = 48 * 1024 * 1024
    write_bzip2_member(path, size)
    tracemalloc.start()
    try:
        report = inspect_file(str(path), ZipConfig(verify=True, verify_chunk=256 * 1024))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.error is None
    assert {f.code for f in report.findings} <= {"high-ratio"}
    assert report.total_uncompressed == size
    assert peak < 8 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"


def test_size_lie_detected_one_byte_past_declared() -> None:
    entry = deflated("x.txt", b"abc" * 1000)
    data = build_zip([replace(entry, usize=2999)])
    report = inspect_bytes(data, "s.zip", ZipConfig(verify=True))
    [finding] = report.findings
    assert finding.code == "size-mismatch"
    assert "more than the declared 2999" in finding.message
