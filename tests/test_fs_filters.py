"""The fd/find filters against ``find`` on a lab tree with odd names and spread mtimes: the
walk lists exactly what ``find`` prints and counts exactly that; the parsers of --size and
of points in time; sorted listings against ``LC_ALL=C sort``."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from scanner.errors import UsageProblem
from scanner.fs import WalkBatch, WalkConfig, WalkReport, walk
from scanner.fs.globs import compile_name_glob, wildmatch_regex
from scanner.fs.model import Entry
from scanner.fs.size_filter import SizeFilter
from scanner.fs.sorting import EntrySort, sort_entries
from scanner.fs.time_filter import parse_duration, parse_point_in_time
from scanner.labs.tree import ODD_NAMES, TreeManifest, TreeSpec, generate_tree
from tests.fs_helpers import find_paths

pytestmark = pytest.mark.anyio

SPEC = TreeSpec(files=3000, seed=11, hardlinks=20, symlinks=15, odd_names=60,
                mtime_spread_days=30)  # fmt: skip


@pytest.fixture(scope="module")
def odd_tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, TreeManifest]]:
    root = tmp_path_factory.mktemp("filters") / "tree"
    yield root, generate_tree(root, SPEC)


async def run(cfg: WalkConfig) -> tuple[list[Entry], WalkReport]:
    got: list[Entry] = []

    async def take(batch: WalkBatch) -> None:
        got.extend(batch.entries)

    report = await walk(replace(cfg, listing=True), on_batch=take)
    return got, report


def _mtimes(root: Path) -> list[int]:
    return sorted(
        os.lstat(os.path.join(top, n)).st_mtime_ns
        for top, dirs, files in os.walk(root)
        for n in dirs + files
    )


# (filter options, the find expression that selects the same entries)
CASES: list[tuple[dict[str, Any], list[str]]] = [
    ({"include_extensions": frozenset({"py"})}, ["-iname", "*[!.]*.py"]),
    ({"include_extensions": frozenset({".JSON", "tar.gz", "c"})},
     ["(", "-iname", "*[!.]*.json", "-o", "-iname", "*[!.]*.tar.gz", "-o", "-iname", "*[!.]*.c",
      ")"]),
    ({"include_extensions": frozenset({"PY"}), "case_sensitive": True}, ["-name", "*[!.]*.PY"]),
    ({"pattern": "*.py"}, ["-name", "*.py"]),
    ({"pattern": "main*"}, ["-name", "main*"]),
    ({"pattern": "*[0-9].t?t"}, ["-name", "*[0-9].t?t"]),
    ({"pattern": "[!a-m]*"}, ["-name", "[!a-m]*"]),
    ({"pattern": "*\\**"}, ["-name", "*\\**"]),
    ({"pattern": "*[[:upper:]]*"}, ["-name", "*[[:upper:]]*"]),
    ({"pattern": "*.jpg", "ignore_case": True}, ["-iname", "*.jpg"]),
    ({"pattern": "*[?]*"}, ["-name", "*[?]*"]),
    ({"pattern": "*/src*/*.c", "full_path": True}, ["-path", "*/src*/*.c"]),
    ({"pattern": r"^main\d+\.(py|c)$", "regex": True},
     ["-regextype", "posix-extended", "-regex", r".*/main[0-9]+\.(py|c)"]),
    ({"pattern": r"/(src|lib)\d+/[^/]*\.h$", "regex": True, "full_path": True},
     ["-regextype", "posix-extended", "-regex", r".*/(src|lib)[0-9]+/[^/]*\.h"]),
    ({"sizes": (SizeFilter.parse("+1M"),)}, ["-type", "f", "-size", "+999999c"]),
    ({"sizes": (SizeFilter.parse("-10ki"),)}, ["-type", "f", "-size", "-10241c"]),
    ({"sizes": (SizeFilter.parse("+1k"), SizeFilter.parse("-64KiB"))},
     ["-type", "f", "-size", "+999c", "-size", f"-{64 * 1024 + 1}c"]),
    ({"sizes": (SizeFilter.parse("0b"),)}, ["-type", "f", "-size", "0c"]),
    ({"include_extensions": frozenset({"py", "txt"}), "sizes": (SizeFilter.parse("+4k"),)},
     ["-type", "f", "(", "-iname", "*[!.]*.py", "-o", "-iname", "*[!.]*.txt", ")",
      "-size", "+3999c"]),
]  # fmt: skip


def _check(found: dict[bytes, tuple[str, int, int]], listed: list[Entry], report: WalkReport,
           root: Path) -> None:  # fmt: skip
    # listed: exactly find's paths (exact bytes, odd names and all)
    assert sorted(os.fsencode(e.path) for e in listed) == sorted(found)
    assert len(listed) == len(found), "an entry listed twice"
    # counted: exactly what was listed (types, and bytes with each inode once)
    kinds = [k for k, _, _ in found.values()]
    t = report.totals
    assert (t.files, t.dirs, t.symlinks) == (kinds.count("f"), kinds.count("d"), kinds.count("l"))
    inodes = {ino: size for k, ino, size in found.values() if k == "f"}
    assert t.bytes == sum(inodes.values())
    assert report.extensions.files == t.files
    assert t.errors == 0


@pytest.mark.parametrize(("options", "expr"), CASES, ids=[str(o) for o, _ in CASES])
async def test_filters_agree_with_find(
    odd_tree: tuple[Path, TreeManifest], options: dict[str, Any], expr: list[str]
) -> None:
    root, _ = odd_tree
    found = find_paths(root, *expr)
    assert found, "a case that selects nothing proves little"
    listed, report = await run(WalkConfig(roots=(str(root),), **options))
    _check(found, listed, report, root)


async def test_every_odd_name_is_in_the_tree(odd_tree: tuple[Path, TreeManifest]) -> None:
    root, manifest = odd_tree
    names = {os.fsencode(os.path.basename(p)) for p in find_paths(root, "-type", "f")}
    assert set(ODD_NAMES) <= names
    report = await walk(WalkConfig(roots=(str(root),)))
    assert (report.totals.files, report.totals.bytes) == (manifest.files, manifest.bytes)


async def test_time_filters_agree_with_find_newermt(odd_tree: tuple[Path, TreeManifest]) -> None:
    root, _ = odd_tree
    mtimes = _mtimes(root)
    # whole seconds between the mtimes (find parses @N exactly, and so does to_ns)
    lo = mtimes[len(mtimes) // 4] // 10**9 + 1
    hi = mtimes[3 * len(mtimes) // 4] // 10**9 + 1
    for options, expr in [
        ({"newer_than": float(hi)}, ["-newermt", f"@{hi}"]),
        ({"older_than": float(lo)}, ["!", "-newermt", f"@{lo}"]),
        ({"newer_than": float(lo), "older_than": float(hi)},
         ["-newermt", f"@{lo}", "!", "-newermt", f"@{hi}"]),
        ({"newer_than": float(lo), "include_extensions": frozenset({"py"}),
          "sizes": (SizeFilter.parse("-100k"),)},
         ["-type", "f", "-newermt", f"@{lo}", "-iname", "*[!.]*.py", "-size", "-100001c"]),
    ]:  # fmt: skip
        found = find_paths(root, *expr)
        assert found
        listed, report = await run(WalkConfig(roots=(str(root),), **options))  # type: ignore[arg-type]
        _check(found, listed, report, root)


async def test_durations_agree_with_find_relative_to_one_now(
    odd_tree: tuple[Path, TreeManifest],
) -> None:
    root, _ = odd_tree
    now = float(int(time.time()))
    for spec in ("10d", "2w", "1d 12h", "100h"):
        cutoff = parse_point_in_time(spec, now=now)
        assert cutoff == now - parse_duration(spec)  # type: ignore[operator]
        found = find_paths(root, "-newermt", f"@{int(cutoff)}")
        listed, report = await run(WalkConfig(roots=(str(root),), newer_than=cutoff))
        _check(found, listed, report, root)


async def test_filtered_directories_are_still_entered(tmp_path: Path) -> None:
    (tmp_path / "a.d" / "b").mkdir(parents=True)
    (tmp_path / "a.d" / "b" / "x.d").write_bytes(b"12")
    (tmp_path / "y.txt").write_bytes(b"1")
    cfg = WalkConfig(roots=(str(tmp_path),), include_extensions=frozenset({"d"}))
    listed, report = await run(cfg)
    assert sorted(os.path.relpath(e.path, tmp_path) for e in listed) == ["a.d", "a.d/b/x.d"]
    assert (report.totals.files, report.totals.dirs, report.totals.bytes) == (1, 1, 2)
    # --size passes regular files only; a file root passes or not like any file
    listed, report = await run(
        WalkConfig(roots=(str(tmp_path), str(tmp_path / "y.txt")), sizes=(SizeFilter.parse("2b"),))
    )
    assert [os.path.relpath(e.path, tmp_path) for e in listed] == ["a.d/b/x.d"]


# --- parsers --------------------------------------------------------------------------------


def test_size_syntax_is_fds() -> None:
    assert SizeFilter.parse("+1M") == SizeFilter("min", 1_000_000)
    assert SizeFilter.parse("-10k") == SizeFilter("max", 10_000)
    assert SizeFilter.parse("500") == SizeFilter("eq", 500)
    assert SizeFilter.parse("3b") == SizeFilter("eq", 3)
    units = [("kb", 10**3), ("Ki", 1024), ("MIB", 1 << 20), ("g", 10**9), ("gi", 1 << 30),
             ("t", 10**12), ("TiB", 1 << 40), ("mb", 10**6)]  # fmt: skip
    for unit, scale in units:
        assert SizeFilter.parse(f"+2{unit}").bytes == 2 * scale
    for bad in ("", "+", "1.5M", "1Q", "++1k", "k", "1 k"):
        with pytest.raises(UsageProblem):
            SizeFilter.parse(bad)
    assert SizeFilter.parse("+1k").accepts(1000) and not SizeFilter.parse("+1k").accepts(999)
    assert SizeFilter.parse("-1k").accepts(1000) and not SizeFilter.parse("-1k").accepts(1001)


def test_points_in_time() -> None:
    now = 1_700_000_000.0
    assert parse_point_in_time("2d", now=now) == now - 2 * 86400
    assert parse_point_in_time("10min", now=now) == now - 600
    assert parse_point_in_time("10m", now=now) == now - 600  # m is minutes
    assert parse_point_in_time("1M", now=now) == now - 2_630_016  # M is months
    assert parse_point_in_time("1h30m", now=now) == now - 5400
    assert parse_point_in_time("1h 30m", now=now) == now - 5400
    assert parse_point_in_time("2 days", now=now) == now - 2 * 86400
    assert parse_point_in_time("1.5h", now=now) == now - 5400
    assert parse_point_in_time("500ms", now=now) == now - 0.5
    assert parse_point_in_time("@1700000000.25") == 1_700_000_000.25
    assert parse_point_in_time("2023-11-14T22:13:20Z") == 1_700_000_000
    assert parse_point_in_time("2023-11-14T23:13:20+01:00") == 1_700_000_000
    # no zone: local time, as find -newermt reads it
    local = parse_point_in_time("2024-05-01")
    assert time.localtime(local)[:6] == (2024, 5, 1, 0, 0, 0)
    assert time.localtime(parse_point_in_time("2024-05-01 10:30"))[3:5] == (10, 30)
    for bad in ("", "yesterday", "2d ago", "10x", "2024-13-01", "@", "@x", "-2d"):
        with pytest.raises(UsageProblem):
            parse_point_in_time(bad, option="--changed-within")


def test_config_checks_the_filters() -> None:
    with pytest.raises(UsageProblem, match="--regex"):
        WalkConfig(pattern="(", regex=True)
    with pytest.raises(UsageProblem, match="--extension"):
        WalkConfig(include_extensions=frozenset({"."}))
    assert WalkConfig(include_extensions=frozenset({".py", "py"})).include_extensions == {"py"}
    assert not WalkConfig().filtered and WalkConfig(pattern="*").filtered


def test_name_globs_and_wildmatch_edges() -> None:
    g = compile_name_glob
    assert g("*").fullmatch(".hidden")  # find: * matches a leading dot
    assert g("[").fullmatch("[") and not g("[").fullmatch("x")  # unclosed: literal
    assert g("a\\").fullmatch("a\\") is None  # a trailing backslash matches nothing
    assert g("[]a]").fullmatch("]") and g("[!]a]").fullmatch("b")
    assert g("[a-]").fullmatch("-") and g("x\\*").fullmatch("x*") and not g("x\\*").fullmatch("xy")
    assert g("new*").fullmatch("new\nline")  # any character, a newline too
    w = wildmatch_regex
    assert w("a/**/b") == "a/(?:.*/)?b"
    assert w("**/x") == "(?:.*/)?x" and w("x/**") == "x/.*" and w("a**b") == "a[^/]*b"
    assert w("[") == "(?!)" and w("x\\") == "(?!)"


# --- sorted listings ------------------------------------------------------------------------


async def test_sorted_listings_are_reproducible(odd_tree: tuple[Path, TreeManifest]) -> None:
    root, _ = odd_tree
    listed, _ = await run(WalkConfig(roots=(str(root),), stat_listed=True))
    by_path = [os.fsencode(e.path) for e in sort_entries(listed, EntrySort.PATH)]
    out = subprocess.run(["find", str(root), "-mindepth", "1", "-print0"], capture_output=True,
                         check=True).stdout  # fmt: skip
    ref = subprocess.run(["sort", "-z"], input=out, capture_output=True, check=True,
                         env={"LC_ALL": "C"}).stdout  # fmt: skip
    assert by_path == [p for p in ref.split(b"\0") if p]
    assert [os.fsencode(e.path) for e in sort_entries(listed, EntrySort.PATH, reverse=True)] == (
        by_path[::-1]
    )
    by_size = sort_entries(listed, EntrySort.SIZE)
    sizes = [e.size for e in by_size]
    assert sizes == sorted(sizes, reverse=True)  # type: ignore[type-var]
    by_mtime = sort_entries(listed, EntrySort.MTIME)
    assert [e.mtime for e in by_mtime] == sorted((e.mtime for e in listed), reverse=True)  # type: ignore[type-var]
    # ties by path: entries of one size come in path order
    zero = [os.fsencode(e.path) for e in by_size if e.size == 0]
    assert zero == sorted(zero)
    # the order does not depend on the order the walk found things in
    again = sort_entries(list(reversed(listed)), EntrySort.SIZE)
    assert [e.path for e in again] == [e.path for e in by_size]
