"""Property tests: random and mutated bytes never raise and stay within a memory bound."""

from __future__ import annotations

import functools
import io
import random
import tracemalloc
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.archives.config import ZipConfig
from scanner.archives.model import ArchiveReport, Severity
from scanner.archives.zip import inspect as inspect_module
from scanner.archives.zip import verify as verify_module
from scanner.archives.zip.endrecords import Buffer
from scanner.archives.zip.inspect import inspect_bytes, inspect_file, sniff_zip
from scanner.archives.zip.verify import verify_members
from scanner.labs.archives import (
    HOSTILE_CASES,
    RawEntry,
    build_zip,
    deflated,
    fifield_overlap_bomb,
    nested_zip,
    ordinary_zip,
    recursive_bomb,
    stored,
)

CFG = ZipConfig(verify=True, keep_members=True)
MEMORY_BOUND = 64 * 1024 * 1024


@functools.cache
def _seeds() -> list[bytes]:
    out = [ordinary_zip(1, 6), fifield_overlap_bomb(4, 5000), nested_zip(3)]
    for method in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        out.append(ordinary_zip(2, 4, method=method))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, zf.open("z.bin", "w", force_zip64=True) as fh:
        fh.write(b"zip64" * 100)
    out.append(buf.getvalue())
    out.extend(
        HOSTILE_CASES[n].build()
        for n in ("symlink-escape", "aes", "data-descriptor")
        if n in HOSTILE_CASES
    )
    return out


def _check(data: bytes) -> None:
    report = inspect_bytes(data, "p.zip", CFG)
    assert report.error is None
    assert report.member_count >= 0
    for _path, finding in report.iter_findings():
        assert finding.code
    tail = data[-(64 * 1024 + 22) :]
    sniff_zip(tail, len(data))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_random_bytes_never_raise(data: bytes) -> None:
    _check(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600), st.integers(0, 70000), st.integers(0, 70000))
def test_random_bytes_with_an_end_record_never_raise(body: bytes, a: int, b: int) -> None:
    eocd = b"PK\x05\x06" + bytes(4) + (a & 0xFFFF).to_bytes(2, "little") * 2
    eocd += (b * 7).to_bytes(4, "little") + (a * 3 & 0xFFFFFFFF).to_bytes(4, "little") + bytes(2)
    _check(body + eocd)
    _check(body + b"PK\x01\x02" + body + eocd)


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 1 << 20), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 1 << 20), st.just(0)),
    st.tuples(st.just("splice"), st.integers(0, 1 << 20), st.integers(0, 1 << 20)),
    st.tuples(st.just("insert"), st.integers(0, 1 << 20), st.integers(0, 255)),
)


def _mutate(data: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    buf = bytearray(data)
    for op, x, y in ops:
        if not buf:
            break
        i = x % len(buf)
        if op == "flip":
            buf[i] ^= y
        elif op == "truncate":
            del buf[i:]
        elif op == "splice":  # copy a slice elsewhere (duplicated headers, overlaps)
            j = y % len(buf)
            piece = bytes(buf[i : i + 64])
            buf[j : j + len(piece)] = piece
        else:
            buf[i:i] = bytes([y]) * 4
    return bytes(buf)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 100), st.lists(mutation, min_size=1, max_size=6))
def test_mutated_archives_never_raise(which: int, ops: list[tuple[str, int, int]]) -> None:
    seeds = _seeds()
    _check(_mutate(seeds[which % len(seeds)], ops))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 100), st.lists(mutation, min_size=1, max_size=4))
def test_mutated_archives_stay_under_a_memory_bound(
    which: int, ops: list[tuple[str, int, int]]
) -> None:
    seeds = _seeds()
    data = _mutate(seeds[which % len(seeds)], ops)
    tracemalloc.start()
    try:
        _check(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND


def test_recursive_bomb_is_bounded_in_reports_and_memory() -> None:
    """42.zip-style: 16**4 leaves of 1 MiB (64 GiB) in 17 KB. The nested budget caps the
    work at max_nested_archives reports; the tree's declared size is still reported."""
    data = recursive_bomb(levels=4, fanout=16)
    assert len(data) < 64 * 1024
    tracemalloc.start()
    try:
        report = inspect_bytes(data, "42.zip", ZipConfig())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    def count(r: ArchiveReport) -> int:
        return 1 + sum(count(n) for n in r.nested)

    assert count(report) == 1 + ZipConfig().max_nested_archives
    codes = {f.code for f in report.findings}
    assert {"total-size-over-limit", "nested-budget-exceeded"} <= codes
    assert report.worst is not None
    assert report.worst >= Severity.HIGH
    assert peak < MEMORY_BOUND


def _pointing_at_the_first(entry: RawEntry, count: int, suffix: str) -> list[RawEntry]:
    """``entry`` and ``count - 1`` central records that reuse its local header and data."""
    return [entry] + [
        replace(entry, name=f"{i}{suffix}".encode(), offset=0, write_local=False)
        for i in range(1, count)
    ]


def test_the_verify_budget_is_shared_by_nested_archives(monkeypatch: pytest.MonkeyPatch) -> None:
    """Found while fuzzing: each nested archive had a verify budget of its own, so 1,000
    records pointing at one stored overlap bomb made a 59 KB file decompress 1,000 x 4 GiB
    with --verify (hours; the CLI deadline abandoned the thread, which ran on)."""
    kernel = deflated("k0", bytes(200_000))  # ~200 bytes that inflate to 200 KB
    inner = build_zip(_pointing_at_the_first(kernel, 10, ""))
    outer = build_zip(_pointing_at_the_first(stored("n0.zip", inner), 20, ".zip"))
    verified: list[int] = []

    def counting(*args: Any) -> int:
        produced: int = verify_members(*args)
        verified.append(produced)
        return produced

    monkeypatch.setattr(inspect_module, "_verify_members", counting)
    budget = 1_000_000
    report = inspect_bytes(outer, "o.zip", ZipConfig(verify=True, verify_byte_budget=budget))
    assert len(report.nested) == 20  # every nested archive was opened and verified ...
    assert sum(verified) <= budget  # ... within one budget (20 x 1 MB before)
    codes = {f.code for n in report.nested for f in n.findings}
    assert "verify-budget-exceeded" in codes


#: Deflate's empty stored blocks: 5 bytes each, decompressing to nothing.
EMPTY_BLOCK = b"\x00\x00\x00\xff\xff"


def _stored_block(data: bytes) -> bytes:
    """A final stored deflate block holding ``data``."""
    size = len(data).to_bytes(2, "little")
    return b"\x01" + size + bytes(b ^ 0xFF for b in size) + data


@pytest.mark.parametrize("kind", ["symlink", "nested", "verify"])
def test_padding_read_through_many_records_is_charged(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found after fuzzing: 200 records pointing at 4 MB of empty deflate blocks (no output,
    so no budget charged) cost 1 s, and a 50 MB file of 500k records hours, in the default
    configuration (symlink targets, nested archives) and with --verify. Each read now costs
    its compressed bytes at least, and a padded symlink target is not read."""
    padding = EMPTY_BLOCK * 10_000  # 50 KB
    target = b"../../../etc/passwd"
    first = {
        "symlink": RawEntry(
            b"l0",
            payload=padding + _stored_block(target),
            plain=target,
            method=8,
            external_attr=0o120777 << 16,
        ),
        "nested": RawEntry(b"n0.zip", payload=padding + b"\xff\xff", method=8, usize=1000),
        "verify": RawEntry(b"v0", payload=padding + b"\x03\x00", method=8, usize=0, crc=0),
    }[kind]
    suffix = ".zip" if kind == "nested" else ""
    data = build_zip(_pointing_at_the_first(first, 100, suffix))
    read: list[int] = []
    real = verify_module.iter_member_data

    def counting(buf: Buffer, start: int, **kw: Any) -> Iterator[bytes]:
        read.append(min(kw["csize"], len(buf) - start))
        return real(buf, start, **kw)

    monkeypatch.setattr(verify_module, "iter_member_data", counting)
    budget = 1_000_000  # 100 records x 50 KB is 5 MB
    cfg = ZipConfig(verify=kind == "verify", nested_byte_budget=budget, verify_byte_budget=budget)
    report = inspect_bytes(data, "p.zip", cfg)
    assert sum(read) <= budget + len(padding)  # one read may overshoot what is left
    if kind == "symlink":
        assert "symlink-escape" in {f.code for f in report.findings}


@functools.cache
def _sparse_seed() -> bytes:
    """Big stored members (more blocks than members): inspect_file audits it through the
    FileView block cache rather than one read."""
    rng = random.Random(7)
    entries = [stored(f"blob{i}.bin", rng.randbytes(90_000 + i)) for i in range(4)]
    return build_zip([*entries, deflated("small.txt", b"text " * 100)])


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(mutation, min_size=1, max_size=4))
def test_file_reads_agree_with_memory_reads(
    tmp_path: Path, ops: list[tuple[str, int, int]]
) -> None:
    data = _mutate(_sparse_seed(), ops)
    path = tmp_path / "m.zip"
    path.write_bytes(data)
    from_file = inspect_file(str(path), CFG)
    assert from_file.error is None
    assert from_file.as_dict() == inspect_bytes(data, str(path), CFG).as_dict()
