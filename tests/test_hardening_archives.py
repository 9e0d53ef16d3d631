"""Hardening: broken and hostile archives through ``scanner zip`` as a real process.

Already covered elsewhere, not repeated: every hostile case of the lab corpus with --verify
(tests/test_zip_cli.py), hypothesis over random and mutated bytes with a memory bound and the
42.zip-style bomb (tests/test_zip_properties.py), nothing written by a plain run and the atomic
--output (tests/test_zip_cli.py). Here: files that are barely archives at all (empty, cut at
every structural boundary, random, a maximal comment, a sparse multi-GiB file), audited with
--verify; the per-archive deadline actually firing; and the file system left untouched.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import pytest

from scanner import exit_codes
from scanner.labs.archives import fifield_overlap_bomb, ordinary_zip, recursive_bomb
from tests.cli_helpers import run_cli
from tests.hardening_helpers import peak_rss_kib


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every path below root with its size and mtime (ns)."""
    seen = {}
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            st = os.lstat(os.path.join(top, name))
            seen[os.path.join(top, name)] = (st.st_size, st.st_mtime_ns)
    return seen


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("broken")
    good = ordinary_zip(seed=7, members=20)
    (root / "empty.zip").write_bytes(b"")
    (root / "one-byte.zip").write_bytes(b"P")
    (root / "signature-only.zip").write_bytes(b"PK\x05\x06")
    # cut inside the data, inside the central directory, inside the end record
    for cut in (30, len(good) // 2, len(good) - 40, len(good) - 10, len(good) - 1):
        (root / f"cut-{cut}.zip").write_bytes(good[:cut])
    rng = random.Random(6)
    for i in range(5):
        (root / f"random-{i}.jar").write_bytes(rng.randbytes(rng.randrange(1, 70_000)))
    # a maximal (65,535-byte) comment full of fake end records
    comment = (b"PK\x05\x06" + rng.randbytes(18)) * (65_535 // 22)
    end = good[-22:]
    (root / "huge-comment.zip").write_bytes(
        good[:-22] + end[:20] + len(comment).to_bytes(2, "little") + comment
    )
    # 4 GiB of holes then an end record that points at them: nothing may read it all
    with open(root / "sparse.zip", "wb") as fh:
        fh.truncate(4 << 30)
        fh.seek(0, os.SEEK_END)
        fh.write(b"PK\x05\x06" + bytes(4) + (1).to_bytes(2, "little") * 2)
        fh.write((46).to_bytes(4, "little") + (1 << 31).to_bytes(4, "little") + bytes(2))
    (root / "overlap.zip").write_bytes(fifield_overlap_bomb())
    (root / "42.zip").write_bytes(recursive_bomb(levels=3, fanout=8))
    return root


def _records(out: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_broken_archives_are_findings_or_errors_and_nothing_is_written(broken: Path) -> None:
    before = _snapshot(broken)
    ran = run_cli("zip", "--verify", "--jsonl", str(broken), timeout=120)
    assert ran.code in (exit_codes.OK, exit_codes.PARTIAL), ran.err
    assert "Traceback" not in ran.err
    recs = _records(ran.out)
    assert recs[-1]["record"] == "summary"
    reported = {
        Path(r["path"]).name
        for r in recs
        if r["record"] in ("archive", "error") and "!" not in r["path"]
    }
    assert reported == {p.name for p in broken.iterdir()}  # every file: a result, none dropped
    by_name = {Path(r["path"]).name: r for r in recs if r["record"] == "archive"}
    assert by_name["empty.zip"]["findings"][0]["code"] == "empty-file"
    codes = {name: {f["code"] for f in r["findings"]} for name, r in by_name.items()}
    assert "overlapping-entries" in codes["overlap.zip"]
    assert "bad-central-header" in codes["sparse.zip"]  # the 4 GiB of holes were not read
    for name, found in codes.items():
        if name.startswith("cut-"):
            assert "truncated" in found, name
        if name.startswith(("random-", "one-byte", "signature-only")):
            assert found == {"not-a-zip"}, name
    assert _snapshot(broken) == before


def test_verify_of_bombs_and_lies_stays_under_a_memory_bound(broken: Path) -> None:
    # the 42.zip declares ~512 MiB and the sparse file is 4 GiB: verify must stream
    peak = peak_rss_kib(["zip", "--verify", "--jsonl", str(broken)])
    assert peak < 200 * 1024, f"peak RSS {peak} KiB"


def test_the_per_archive_deadline_abandons_a_slow_archive(tmp_path: Path) -> None:
    from scanner.labs.archives import write_bzip2_member

    write_bzip2_member(tmp_path / "slow.zip", 256 << 20)  # seconds of bzip2 to verify
    (tmp_path / "ok.zip").write_bytes(ordinary_zip(seed=1))
    ran = run_cli("zip", "--verify", "--deadline", "0.2", "--jsonl", str(tmp_path), timeout=60)
    assert ran.code == exit_codes.PARTIAL, ran.err
    recs = _records(ran.out)
    errors = [r for r in recs if r["record"] == "error"]
    assert [(Path(e["path"]).name, e["phase"]) for e in errors] == [("slow.zip", "deadline")]
    archives = [Path(r["path"]).name for r in recs if r["record"] == "archive"]
    assert archives == ["ok.zip"]  # the other archive is still reported
