"""The atheris harness's per-input check, run without atheris over its seed corpus.

CI does not fuzz (``benchmarks/fuzz_zip.py`` needs the ``fuzz`` extra and minutes of CPU);
this keeps the harness honest: its seeds pass, mutated seeds pass, and its differential
check does catch a fast path that prints something else.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from benchmarks import fuzz_zip
from benchmarks.fuzz_zip import Mismatch, check_one, seed_corpus
from scanner.archives.zip import plain
from scanner.archives.zip.plain import read_plain_listing, read_plain_names
from scanner.labs.archives import HOSTILE_CASES


@pytest.fixture(scope="module")
def seeds() -> dict[str, bytes]:
    return seed_corpus()


def test_the_seed_corpus_covers_methods_hostile_cases_and_nesting(seeds: dict[str, bytes]) -> None:
    for method in ("stored", "deflated", "bzip2", "lzma"):
        assert f"ordinary-{method}.zip" in seeds
    kept = [case for name, case in HOSTILE_CASES.items() if name not in fuzz_zip.SLOW_CASES]
    assert len(kept) == len(HOSTILE_CASES) - len(fuzz_zip.SLOW_CASES)
    assert all(case.build() in seeds.values() for case in kept)
    assert "many-members-200.zip" in seeds
    assert len(set(seeds.values())) == len(seeds)  # no input twice under two names


def test_every_seed_passes_the_check(seeds: dict[str, bytes]) -> None:
    for name, data in seeds.items():
        try:
            check_one(data)
        except Exception as exc:  # name the seed in the failure
            raise AssertionError(f"{name}: {exc!r}") from exc


def test_mutated_seeds_pass_the_check(seeds: dict[str, bytes]) -> None:
    rng = random.Random(6)
    small = sorted(name for name, data in seeds.items() if 0 < len(data) < 4096)
    for name in small[::3]:
        data = bytearray(seeds[name])
        for _ in range(3):
            data[rng.randrange(len(data))] = rng.randrange(256)
        check_one(bytes(data))
        check_one(bytes(data[: rng.randrange(len(data))]))


def test_the_differential_check_compares_something(seeds: dict[str, bytes]) -> None:
    clean = seeds["many-members-200.zip"]
    assert read_plain_names(clean, len(clean), b"\n") is not None
    assert read_plain_listing(clean, len(clean)) is not None


def test_a_fast_path_that_lies_is_a_mismatch(
    seeds: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = seeds["ordinary-stored.zip"]

    def wrong_names(buf: bytes, size: int, sep: bytes) -> tuple[bytes, int]:
        return b"evil.exe\n", 1

    monkeypatch.setattr(plain, "read_plain_names", wrong_names)
    with pytest.raises(Mismatch, match="read_plain_names"):
        check_one(clean)
    monkeypatch.undo()

    def wrong_listing(buf: bytes, size: int) -> tuple[bytes, int, int] | None:
        found = read_plain_listing(buf, size)
        assert found is not None
        return found[0], found[1], found[2] + 1  # a total one byte off

    monkeypatch.setattr(plain, "read_plain_listing", wrong_listing)
    with pytest.raises(Mismatch, match="read_plain_listing"):
        check_one(clean)
    monkeypatch.undo()

    def declines_files(buf: bytes, size: int, sep: bytes) -> tuple[bytes, int] | None:
        # right from bytes, but declines what the command reads through a FileView
        return read_plain_names(buf, size, sep) if isinstance(buf, bytes) else None

    monkeypatch.setattr(plain, "read_plain_names", declines_files)
    with pytest.raises(Mismatch, match="through a FileView"):
        check_one(clean)


def test_seed_corpus_option_writes_the_files(tmp_path: Path, seeds: dict[str, bytes]) -> None:
    assert fuzz_zip.main(["fuzz_zip.py", "--seed-corpus", str(tmp_path / "corpus")]) == 0
    written = {p.name: p.read_bytes() for p in (tmp_path / "corpus").iterdir()}
    assert written == seeds


def test_real_archives_are_optional_and_bounded(tmp_path: Path) -> None:
    (tmp_path / "a.whl").write_bytes(b"small")
    (tmp_path / "b.whl").write_bytes(b"x" * (fuzz_zip.REAL_SEED_MAX + 1))
    (tmp_path / "c.whl").write_bytes(b"small")  # same bytes as a.whl: taken once
    places = (("*.whl", tmp_path), ("*.jar", tmp_path / "missing"))
    assert list(fuzz_zip.real_archives(places, each=5).values()) == [b"small"]


def test_the_dictionary_is_libfuzzer_syntax(tmp_path: Path) -> None:
    lines = fuzz_zip.write_dictionary(tmp_path).read_text().splitlines()
    assert len(lines) == len(fuzz_zip.ZIP_TOKENS)
    decoded = [bytes.fromhex(line.strip('"').replace("\\x", "")) for line in lines]
    assert decoded == list(fuzz_zip.ZIP_TOKENS)


def test_replay_checks_files_and_directories_and_names_a_failure(
    tmp_path: Path, seeds: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a").write_bytes(seeds["ordinary-stored.zip"])
    (corpus / "b").write_bytes(b"not a zip")
    single = tmp_path / "crash-1"
    single.write_bytes(seeds["hostile-truncated.zip"])
    assert fuzz_zip.replay([corpus, single])[0] == 3
    assert fuzz_zip.main(["fuzz_zip.py", "--replay", str(single)]) == 0

    def fails_on_b(data: bytes) -> None:
        if data == b"not a zip":
            raise Mismatch("planted")

    monkeypatch.setattr(fuzz_zip, "check_one", fails_on_b)
    with pytest.raises(AssertionError, match=r"corpus/b: Mismatch\('planted'\)"):
        fuzz_zip.replay([corpus])
