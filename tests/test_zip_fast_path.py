"""``scanner zip --names/--list``: the plain readers, the start-up fast path, the typer path.

The fast path (``scanner.entry``) must print exactly what the typer app prints for the same
command line, and answer only for archives the full path finds nothing wrong with.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner import exit_codes
from scanner.archives.config import ZipConfig
from scanner.archives.views import listing_text
from scanner.archives.zip.inspect import inspect_bytes
from scanner.archives.zip.plain import (
    listing_foot,
    listing_head,
    read_plain_listing,
    read_plain_names,
)
from scanner.labs.archives import (
    HOSTILE_CASES,
    Layout,
    build_zip,
    extra_field,
    ordinary_zip,
    stored,
)
from tests.cli_helpers import REPO, Ran, run_cli

#: What ``--names`` asks of the full reader: members, no audit, no nested archives.
NAMES_CFG = replace(ZipConfig(), keep_members=True, audit=False, recurse=False)
#: ... and what ``--list`` asks: nested archives opened.
LIST_CFG = replace(ZipConfig(), keep_members=True, audit=False)


def _zip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n in names:
            zf.writestr(n, n.encode() * 3)
    return buf.getvalue()


def _zip64() -> bytes:
    # the central record's size is the ZIP64 sentinel, the real one in an 0x0001 field
    extra = b"\x01\x00\x08\x00" + (1).to_bytes(8, "little")
    return build_zip([stored("z", b"z", extra=extra, usize=0xFFFFFFFF)])


def _full_names(data: bytes, sep: str = "\n") -> tuple[bytes, int]:
    report = inspect_bytes(data, "x.zip", NAMES_CFG)
    assert report.members is not None
    return "".join(m.name + sep for m in report.members).encode(), len(report.findings)


def _full_listing(data: bytes) -> tuple[bytes, int]:
    report = inspect_bytes(data, "x.zip", LIST_CFG)
    findings = len(report.findings) + sum(len(n.findings) + 1 for n in report.nested)
    return listing_text(report, str).encode(), findings


def _plain_listing(data: bytes) -> bytes | None:
    found = read_plain_listing(data, len(data))
    if found is None:
        return None
    lines, count, total = found
    return listing_head("x.zip").encode() + lines + listing_foot(total, count).encode()


def _typer_path(*args: str) -> Ran:
    """The same command line through the typer app, bypassing the fast path."""
    code = "import sys; from scanner.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, cwd=REPO, check=False
    )
    return Ran(proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace"))


# --- the reader --------------------------------------------------------------------------


def test_plain_names_match_the_full_reader_in_order() -> None:
    names = [f"dir{i % 7}/file{i:05d}.{('c', 'h', 'py')[i % 3]}" for i in range(500)]
    data = _zip(names)
    found = read_plain_names(data, len(data), b"\n")
    assert found == ("".join(n + "\n" for n in names).encode(), 500)
    assert found[0] == _full_names(data)[0]


def test_nul_separator_and_an_empty_archive() -> None:
    data = _zip(["a", "b/c"])
    assert read_plain_names(data, len(data), b"\0") == (b"a\0b/c\0", 2)
    empty = _zip([])
    assert read_plain_names(empty, len(empty), b"\n") == (b"", 0)


def test_plain_listing_matches_the_full_listing() -> None:
    names = [f"dir{i % 7}/file{i:05d}.{('c', 'h', 'py')[i % 3]}" for i in range(500)]
    for data in (_zip(names), _zip(["one"]), _zip([])):
        assert _plain_listing(data) == _full_listing(data)[0]


def test_extra_fields_that_change_nothing_are_read_past() -> None:
    # Info-ZIP's unix ids (0x7875) and a Java jar marker (0xCAFE), as `zip` and `jar` write
    extra = b"ux\x0b\x00\x01\x04\xe8\x03\x00\x00\x04\xe8\x03\x00\x00" + b"\xfe\xca\x00\x00"
    data = build_zip([stored("a.txt", b"hi", extra=extra), stored("b.txt", b"yo", extra=extra)])
    assert read_plain_names(data, len(data), b"\n") == (b"a.txt\nb.txt\n", 2)
    assert _plain_listing(data) == _full_listing(data)[0]


def _timestamped() -> bytes:
    # an 0x5455 extended timestamp replaces the DOS date in the full listing
    return build_zip([stored("a.txt", b"hi", extra=b"UT\x05\x00\x01\x00\x00\x00\x00")])


def _old_unix_times() -> list[bytes]:
    # Info-ZIP's old Unix field (0x5855) and PKWARE's (0x000d): atime, mtime (unzip -l
    # shows the mtime, 2020-09-13 12:26 here)
    times = struct.pack("<LL", 1_700_000_000, 1_600_000_000)
    return [
        build_zip([stored("a.txt", b"hi", extra=extra_field(kind, body))])
        for kind, body in ((0x5855, times), (0x000D, times + bytes(4)))
    ]


def _commented() -> bytes:
    # unzip -l prints the archive comment and entry comments; --list prints neither (a
    # comment could forge listing lines), on both paths
    entry = replace(stored("a.txt", b"hi"), comment=b"entry comment")
    return build_zip([entry], Layout(comment=b"   999  2024-01-01 00:00   forged.exe\n"))


def _with_nested() -> bytes:
    return build_zip([stored("a.txt", b"hi"), stored("lib/inner.JAR", _zip(["x.class"]))])


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("extended timestamp", _timestamped()),
        ("old Info-ZIP Unix time", _old_unix_times()[0]),
        ("PKWARE Unix time", _old_unix_times()[1]),
        ("nested archive", _with_nested()),
    ],
)
def test_the_listing_leaves_dates_and_nested_archives_to_the_full_path(
    label: str, data: bytes
) -> None:
    assert read_plain_names(data, len(data), b"\n") is not None, label
    assert read_plain_listing(data, len(data)) is None, label


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("utf-8 name", _zip(["caf\u00e9.txt"])),
        ("zip64", _zip64()),
        ("prefix (sfx stub)", b"MZ" + b"\0" * 62 + _zip(["a"])),
        ("trailing data", _zip(["a"]) + b"junk"),
        ("not a zip", b"hello world, no end record here"),
        ("truncated", _zip(["a", "b"])[:-30]),
    ],
)
def test_anything_unusual_goes_to_the_full_reader(label: str, data: bytes) -> None:
    assert read_plain_names(data, len(data), b"\n") is None, label
    assert read_plain_listing(data, len(data)) is None, label


def test_unicode_path_field_goes_to_the_full_reader() -> None:
    import zlib

    raw = b"caf?.txt"
    field = b"\x01" + zlib.crc32(raw).to_bytes(4, "little") + "caf\u00e9.txt".encode()
    extra = b"up" + len(field).to_bytes(2, "little") + field
    data = build_zip([stored(raw, b"x", extra=extra)])
    assert read_plain_names(data, len(data), b"\n") is None
    assert _full_names(data)[0] == "caf\u00e9.txt\n".encode()


def test_extra_length_past_the_directory_is_declined_not_raised() -> None:
    # found by benchmarks/fuzz_zip.py: the last central record's extra-field length (28)
    # runs past the directory's end; the fast readers raised struct.error (a traceback from
    # `scanner zip --names`) where they must decline and let the full reader explain it
    data = bytearray(build_zip([stored("pipe", b"")]))
    central = data.find(b"PK\x01\x02")
    data[central + 30 : central + 32] = (28).to_bytes(2, "little")
    broken = bytes(data)
    assert read_plain_names(broken, len(broken), b"\n") is None
    assert read_plain_listing(broken, len(broken)) is None
    assert _full_names(broken)[1] > 0


@pytest.mark.parametrize("name", sorted(HOSTILE_CASES))
def test_an_accepted_hostile_case_is_one_the_full_reader_finds_clean(name: str) -> None:
    data = HOSTILE_CASES[name].build()
    found = read_plain_names(data, len(data), b"\n")
    if found is not None:  # else declined: the full reader explains it
        assert (found[0], 0) == _full_names(data)
    listing = _plain_listing(data)
    if listing is not None:
        assert (listing, 0) == _full_listing(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 50),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4),
    cut=st.integers(0, 64),
)
def test_mutated_archives_are_declined_or_read_exactly(
    seed: int, flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(ordinary_zip(seed, 5))
    for pos, value in flips:
        data[pos % len(data)] = value
    mutated = bytes(data[: len(data) - cut])
    found = read_plain_names(mutated, len(mutated), b"\n")
    if found is not None:
        assert (found[0], 0) == _full_names(mutated)
    listing = _plain_listing(mutated)
    if listing is not None:
        assert (listing, 0) == _full_listing(mutated)


# --- the command: fast path and typer path print the same ----------------------------------


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("names")
    made = {
        "plain": _zip([f"d/{i}.txt" for i in range(300)]),
        "utf8": _zip(["caf\u00e9.txt", "na\u00efve/x"]),
        "trailing": _zip(["a"]) + b"junk",
        "empty": _zip([]),
        "nested": _with_nested(),
        "timestamped": _timestamped(),
        "commented": _commented(),
    }
    out = {}
    for key, data in made.items():
        path = root / f"{key}.zip"
        path.write_bytes(data)
        out[key] = path
    (root / "dir").mkdir()
    (root / "dir" / "in.zip").write_bytes(made["plain"])
    out["dir"] = root / "dir"
    return out


CASES = ["plain", "utf8", "trailing", "empty", "nested", "timestamped", "commented", "dir"]


@pytest.mark.parametrize(
    "args",
    [
        *(("--names", case) for case in CASES),
        *(("--list", case) for case in CASES),
        ("--names", "plain", "-0"),
        ("--names", "-q", "plain"),
        ("-l", "plain", "-q"),
        ("--list", "--", "plain"),
        ("--names", "plain", "utf8"),
    ],
)
def test_fast_and_typer_paths_print_the_same(
    archives: dict[str, Path], args: tuple[str, ...]
) -> None:
    argv = ["zip", *(a if a.startswith("-") else str(archives[a]) for a in args)]
    fast, slow = run_cli(*argv), _typer_path(*argv)
    if args == ("--names", "plain", "utf8"):
        # several archives are written as each completes: compare the lines, not their order
        assert sorted(fast.out.splitlines()) == sorted(slow.out.splitlines())
    else:
        assert fast.out == slow.out
    assert (fast.code, fast.err) == (slow.code, slow.err)
    assert fast.code == exit_codes.OK


def test_names_output_is_exact_and_prefixed_for_several_archives(
    archives: dict[str, Path],
) -> None:
    one = run_cli("zip", "--names", str(archives["utf8"]))
    assert one.out == "caf\u00e9.txt\nna\u00efve/x\n".encode()
    assert one.err == "scanner zip: 1 archive, 2 members, 0 findings\n"
    several = run_cli("zip", "--names", "-q", str(archives["dir"]))
    lines = several.out.decode().splitlines()
    assert len(lines) == 300 and lines[0] == f"{archives['dir'] / 'in.zip'}!d/0.txt"
    assert several.err == ""


@pytest.mark.parametrize(("view", "second_line"), [("--names", "d/1.txt"), ("--list", "  Length")])
def test_the_fast_path_serves_a_clean_archive(
    archives: dict[str, Path], view: str, second_line: str
) -> None:
    # run in a child with typer made unimportable: only the fast path can answer
    code = (
        "import sys; sys.modules['typer'] = None; from scanner.entry import run; "
        "sys.argv = ['scanner', 'zip', sys.argv[1], sys.argv[2]]; run()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, view, str(archives["plain"])],
        capture_output=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().splitlines()[1].startswith(second_line)


@pytest.mark.parametrize("view", ["--names", "--list"])
def test_a_fifo_is_never_opened(tmp_path: Path, view: str) -> None:
    fifo = tmp_path / "pipe.zip"
    os.mkfifo(fifo)
    fast, slow = run_cli("zip", view, str(fifo), timeout=20), _typer_path("zip", view, str(fifo))
    assert (fast.code, fast.out, fast.err) == (slow.code, slow.out, slow.err)
    assert fast.code == exit_codes.PARTIAL and "FIFO" in fast.err.upper()


def test_names_usage_errors_and_machine_formats(archives: dict[str, Path]) -> None:
    plain = str(archives["plain"])
    assert run_cli("zip", "--names", "--list", plain).code == exit_codes.USAGE
    assert run_cli("zip", "-0", plain).code == exit_codes.USAGE
    assert run_cli("zip", "--list", "-0", plain).code == exit_codes.USAGE
    jsonl = run_cli("zip", "--names", "--jsonl", plain)
    kinds = {line.split(b'"record":"')[1].split(b'"')[0] for line in jsonl.out.splitlines()}
    assert kinds == {b"member", b"archive", b"summary"}


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    big = tmp_path_factory.mktemp("big") / "big.zip"
    big.write_bytes(_zip([f"some/longer/directory/name/file{i:06d}.txt" for i in range(20000)]))
    return big


@pytest.mark.parametrize(
    "view",
    [("--names",), ("--list",), ("--list", "--jsonl"), ("--list", "--csv"), ("--names", "-0")],
)
def test_a_closed_pipe_ends_the_listing_quietly(big_archive: Path, view: tuple[str, ...]) -> None:
    # ~900 KiB of output: far more than a pipe holds, so a write meets EPIPE (the fast path
    # for --names/--list, the typer path for the rest: click alone would exit 1)
    args = " ".join(view)
    script = (
        f'"{sys.executable}" -m scanner zip {args} "{big_archive}" | head -c 8; '
        'echo; echo "${PIPESTATUS[0]}"'
    )
    proc = subprocess.run(
        ["bash", "-c", script], capture_output=True, cwd=REPO, check=False, timeout=60
    )
    assert proc.stdout.decode().splitlines()[-1] == "0", proc.stderr
    assert b"Traceback" not in proc.stderr


def test_comments_are_not_listed_on_either_path(archives: dict[str, Path]) -> None:
    """Decided for issue 13: ``unzip -l`` prints the archive comment and entry comments;
    ``--list`` does not (a comment is free text: this one forges a listing line), so every
    line of the listing comes from a member record. JSON carries the archive ``comment``."""
    data = archives["commented"].read_bytes()
    assert _plain_listing(data) is not None  # the fast path answers for it
    for ran in (run_cli("zip", "--list", str(archives["commented"])), _typer_path(
        "zip", "--list", str(archives["commented"])
    )):  # fmt: skip
        assert b"a.txt" in ran.out
        assert b"forged.exe" not in ran.out
        assert b"entry comment" not in ran.out
    report = inspect_bytes(data, "c.zip", LIST_CFG)
    assert report.as_dict()["comment"].startswith("   999")


@pytest.mark.parametrize("window", [300, 4096])
def test_large_directories_get_the_same_answer_in_two_passes(
    monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    """A directory over ``plain.SINGLE_PASS`` is read twice through small windows (decide,
    then print), so a 1,000,000-member listing costs a window, not ~250 MB: every answer,
    decline included, is the one-pass answer."""
    from scanner.archives.zip import plain

    inputs = [ordinary_zip(seed, 40) for seed in range(4)]
    inputs += [_zip([f"d/{i}.txt" for i in range(300)]), _zip([]), _commented()]
    inputs += [case.build() for case in HOSTILE_CASES.values()]
    one_pass = [(read_plain_names(d, len(d), b"\n"), read_plain_listing(d, len(d))) for d in inputs]
    monkeypatch.setattr(plain, "SINGLE_PASS", 0)
    monkeypatch.setattr(plain, "_WINDOW", window)
    two_passes = [
        (read_plain_names(d, len(d), b"\n"), read_plain_listing(d, len(d))) for d in inputs
    ]
    assert two_passes == one_pass
    assert sum(names is not None for names, _listing in one_pass) >= 8


def test_a_file_that_changes_between_the_passes_stops_the_listing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from scanner.archives.source import FileView
    from scanner.archives.zip import plain

    # windows larger than the FileView's cached blocks are read with pread: both passes
    # read the file (the real windows are 2 MiB)
    monkeypatch.setattr(plain, "SINGLE_PASS", 0)
    monkeypatch.setattr(plain, "_WINDOW", 80_000)
    path = tmp_path / "a.zip"
    path.write_bytes(_zip([f"d/{i}.txt{'.' * 60}" for i in range(4000)]))
    with path.open("r+b") as fh:
        size = path.stat().st_size
        found = plain.plain_names(FileView(fh.fileno(), size), size, b"\n")
        assert found is not None  # decided on the first pass
        pieces = iter(found[0])
        first = next(pieces)
        assert first.startswith(b"d/0.txt...")
        data = path.read_bytes()
        later = data.find(b"PK\x01\x02", data.find(b"PK\x01\x02") + 200_000)
        fh.seek(later)
        fh.write(b"XX")  # a central record of a later window loses its signature
        fh.flush()
        with pytest.raises(plain.FileChanged):
            list(pieces)
