"""The fd/find filters, --sort, --gitignore and --pseudo-fs through the real CLI: what
``scanner walk`` lists is exactly what ``find`` prints (odd names included, exact bytes),
and what it counts is exactly that (each inode once); --gitignore keeps exactly what git
does not ignore; bad values are one line and a hint, exit 3."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner import exit_codes
from scanner.labs.tree import ODD_NAMES, TreeManifest, TreeSpec, generate_tree
from tests.cli_helpers import Ran, run_cli
from tests.fs_helpers import find_paths, git_env, git_untracked

SPEC = TreeSpec(files=1500, seed=17, hardlinks=20, symlinks=12, odd_names=40,
                mtime_spread_days=30)  # fmt: skip


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("cli-filters") / "tree"
    manifest: TreeManifest = generate_tree(root, SPEC)
    assert manifest.files
    yield root


def walk_jsonl(root: Path, *args: str) -> tuple[dict[bytes, dict[str, Any]], dict[str, Any], Ran]:
    """``scanner walk ROOT ARGS --jsonl``: {path bytes: entry record}, the summary."""
    ran = run_cli("walk", str(root), *args, "--jsonl")
    assert ran.code == exit_codes.OK, ran.err
    records = [json.loads(line) for line in ran.out.splitlines()]
    entries = {}
    for r in records[:-1]:
        assert r["record"] == "entry", r
        path = base64.b64decode(r["path_b64"]) if "path_b64" in r else r["path"].encode()
        assert path not in entries, "an entry listed twice"
        entries[path] = r
    assert records[-1]["record"] == "summary"
    return entries, records[-1], ran


def check(root: Path, args: list[str], expr: list[str]) -> dict[str, Any]:
    """The walk with ``args`` lists and counts exactly what ``find ROOT EXPR`` prints."""
    found = find_paths(root, *expr)
    assert found, "a case that selects nothing proves little"
    entries, summary, _ = walk_jsonl(root, *args)
    assert sorted(entries) == sorted(found)
    kinds = [k for k, _, _ in found.values()]
    counted = (summary["files"], summary["dirs"], summary["symlinks"])
    assert counted == (kinds.count("f"), kinds.count("d"), kinds.count("l"))
    inodes = {ino: size for k, ino, size in found.values() if k == "f"}
    assert summary["bytes"] == sum(inodes.values())
    assert summary["errors"] == 0 and summary["filters"]
    return summary


# (scanner walk options, the find expression that selects the same entries)
CASES: list[tuple[list[str], list[str]]] = [
    (["-e", "py"], ["-iname", "*[!.]*.py"]),
    (["-e", ".JSON", "--extension", "tar.gz", "-e", "c"],
     ["(", "-iname", "*[!.]*.json", "-o", "-iname", "*[!.]*.tar.gz", "-o", "-iname", "*[!.]*.c",
      ")"]),
    (["-g", "*.py"], ["-name", "*.py"]),
    (["-g", "main*", "--glob", "*[0-9].t?t"], ["(", "-name", "main*", "-o", "-name", "*[0-9].t?t",
                                                ")"]),
    (["-g", "*\\**"], ["-name", "*\\**"]),
    (["-g", "*[[:upper:]]*"], ["-name", "*[[:upper:]]*"]),
    (["-g", "[!a-m]*"], ["-name", "[!a-m]*"]),
    (["-g", "*.JPG", "--ignore-case"], ["-iname", "*.JPG"]),
    (["--full-path", "-g", "*/src*/*.c"], ["-path", "*/src*/*.c"]),
    (["--regex", r"^main\d+\.(py|c)$"],
     ["-regextype", "posix-extended", "-regex", r".*/main[0-9]+\.(py|c)"]),
    (["--regex", r"\.h$", "--regex", "^-"],
     ["-regextype", "posix-extended", "-regex", r".*/([^/]*\.h|-[^/]*)"]),
    (["--size", "+1M"], ["-type", "f", "-size", "+999999c"]),
    (["-S", "-10k"], ["-type", "f", "-size", "-10001c"]),
    (["-S", "+1k", "-S", "-64Ki"], ["-type", "f", "-size", "+999c", "-size", f"-{64 * 1024 + 1}c"]),
    (["-S", "0b"], ["-type", "f", "-size", "0c"]),
    (["-e", "py", "-e", "txt", "-S", "+4k"],
     ["-type", "f", "(", "-iname", "*[!.]*.py", "-o", "-iname", "*[!.]*.txt", ")",
      "-size", "+3999c"]),
]  # fmt: skip


@pytest.mark.parametrize(("args", "expr"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_filters_agree_with_find(tree: Path, args: list[str], expr: list[str]) -> None:
    check(tree, args, expr)


def test_odd_names_pass_exactly_on_a_pipe(tree: Path) -> None:
    ran = run_cli("walk", str(tree), "-t", "f", "-g", "*", "-0")
    assert ran.code == exit_codes.OK
    listed = set(ran.out.split(b"\0")[:-1])
    assert listed == set(find_paths(tree, "-type", "f"))
    assert set(ODD_NAMES) <= {os.path.basename(p) for p in listed}


def _mtimes(root: Path) -> list[int]:
    return sorted(
        os.lstat(os.path.join(top, n)).st_mtime_ns
        for top, dirs, files in os.walk(root)
        for n in dirs + files
    )


def _local(seconds: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


def test_dates_agree_with_find_newermt(tree: Path) -> None:
    mtimes = _mtimes(tree)
    lo = mtimes[len(mtimes) // 4] // 10**9 + 1
    hi = mtimes[3 * len(mtimes) // 4] // 10**9 + 1
    # at a whole-second cutoff, newer (find) and not older (scanner) differ only on a tie
    assert not {lo * 10**9, hi * 10**9} & set(mtimes)
    day = time.strftime("%Y-%m-%d", time.localtime(mtimes[len(mtimes) // 2] // 10**9))
    check(tree, ["--changed-within", _local(hi)], ["-newermt", _local(hi)])
    check(tree, ["--changed-before", _local(lo)], ["!", "-newermt", _local(lo)])
    check(tree, ["--changed-within", day], ["-newermt", day])
    check(tree, ["--changed-within", _local(lo), "--changed-before", _local(hi), "-e", "py"],
          ["-newermt", _local(lo), "!", "-newermt", _local(hi), "-iname", "*[!.]*.py"])  # fmt: skip


def test_durations_agree_with_find_around_the_run(tree: Path) -> None:
    for spec, seconds in (("10d", 10 * 86400), ("1w 3d", 10 * 86400), ("100h", 100 * 3600)):
        before = int(time.time())
        entries, _, _ = walk_jsonl(tree, "--changed-within", spec)
        after = int(time.time()) + 1
        # find's answers for the earliest and the latest "now" of the run bound scanner's;
        # with no mtime between the two cutoffs they are one answer, and scanner's is it
        widest = set(find_paths(tree, "-newermt", f"@{before - seconds}"))
        narrowest = set(find_paths(tree, "-newermt", f"@{after - seconds}"))
        assert narrowest <= set(entries) <= widest
        assert narrowest, spec


def test_sorted_listings(tree: Path) -> None:
    ran = run_cli("walk", str(tree), "--sort", "path", "-0")
    assert ran.code == exit_codes.OK, ran.err
    listed = ran.out.split(b"\0")[:-1]
    assert listed == sorted(find_paths(tree))  # bytes order: LC_ALL=C sort -z
    again = run_cli("walk", str(tree), "--sort", "path", "-0", "-j", "4")
    assert again.out == ran.out
    backwards = run_cli("walk", str(tree), "--sort", "path", "--reverse", "-0")
    assert backwards.out.split(b"\0")[:-1] == listed[::-1]
    by_size = run_cli("walk", str(tree), "--sort", "size", "-t", "f", "-0").out.split(b"\0")[:-1]
    sizes = [os.lstat(p).st_size for p in by_size]
    assert sizes == sorted(sizes, reverse=True) and len(by_size) == len(set(by_size))
    newest = run_cli("walk", str(tree), "--sort", "mtime", "--jsonl").out.splitlines()[:-1]
    mtimes = [json.loads(line)["mtime"] for line in newest]
    assert mtimes == sorted(mtimes, reverse=True)


def test_usage_errors_are_one_line_and_a_hint(tree: Path) -> None:
    for args, words in [
        (["--size", "1Q"], "--size takes"),
        (["--size", "1.5M"], "--size takes"),
        (["--regex", "("], "--regex '('"),
        (["--changed-within", "yesterday"], "--changed-within takes"),
        (["--changed-before", "2024-13-01"], "--changed-before takes"),
        (["-g", "*.py", "--regex", "py"], "either --glob or --regex"),
        (["--ignore-case"], "--ignore-case applies to a pattern"),
        (["--sort", "name"], "--sort takes path, size or mtime"),
        (["--reverse"], "--reverse reverses a --sort order"),
        (["-e", "."], "--extension takes"),
    ]:
        ran = run_cli("walk", str(tree), *args)
        assert ran.code == exit_codes.USAGE, (args, ran.err)
        lines = ran.err.splitlines()
        assert len(lines) == 2, ran.err
        assert lines[0].startswith("scanner walk: error: ") and words in lines[0], ran.err
        assert lines[1] == "scanner walk: hint: see 'scanner walk --help'"
        assert ran.out == b""


def test_ext_and_scan_take_the_same_filters(tree: Path) -> None:
    found = find_paths(tree, "-type", "f", "-iname", "*[!.]*.py", "-size", "+999c")
    inodes = {ino: size for _, ino, size in found.values()}
    ext = json.loads(run_cli("ext", str(tree), "-e", "py", "-S", "+1k", "--json", "-q").out)
    assert [(r["ext"], r["files"]) for r in ext["extensions"]] == [("py", len(found))]
    assert ext["total"]["bytes"] == sum(inodes.values())
    scan = json.loads(run_cli("scan", str(tree), "-e", "py", "-S", "+1k", "--json", "-q").out)
    assert scan["summary"]["files"] == len(found)
    assert scan["summary"]["bytes"] == sum(inodes.values())
    assert scan["summary"]["filters"] == "extension py; size at least 1,000 B"


def test_disk_usage_in_the_summary(tree: Path) -> None:
    du = subprocess.run(["du", "-s", "-B1", str(tree)], capture_output=True, check=True)
    expected = int(du.stdout.split()[0])
    ran = run_cli("ext", str(tree), "--disk-usage", "--json")
    assert json.loads(ran.out)["summary"]["disk_bytes"] == expected
    assert " on disk in " in ran.err


# --- --gitignore against git ----------------------------------------------------------------

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _repo(tmp_path: Path) -> Path:
    top = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(top)], check=True, env=git_env(tmp_path))
    files = {
        ".gitignore": "*.o\nbuild/\n/only-top.txt\n!keep.o\ndocs/**/*.tmp\n# comment\n",
        "a.c": "", "a.o": "", "keep.o": "", "only-top.txt": "", "sub/only-top.txt": "",
        "sub/b.o": "", "sub/.ignore": "secret*\n", "sub/secret.key": "", "sub/public.key": "",
        "build/out.bin": "", "docs/x/y.tmp": "", "docs/x/y.md": "", "with space.o": "",
        "sub/deeper/.gitignore": "!b.o\n*.md\n", "sub/deeper/b.o": "", "sub/deeper/r.md": "",
    }  # fmt: skip
    for rel, content in files.items():
        (top / rel).parent.mkdir(parents=True, exist_ok=True)
        (top / rel).write_text(content)
    os.symlink("a.c", top / "link.o")
    return top


@needs_git
def test_gitignore_keeps_what_git_does_not_ignore(tmp_path: Path) -> None:
    top = _repo(tmp_path)
    entries, summary, ran = walk_jsonl(top, "--gitignore")
    kept = {os.path.relpath(p, os.fsencode(top)) for p in entries}
    files = {p for p, r in entries.items() if r["type"] != "dir"}
    # git itself does not read .ignore (fd's and ripgrep's file): sub/.ignore's one match apart
    expected = git_untracked(top, tmp_path) - {b"sub/secret.key"}
    assert {os.path.relpath(p, os.fsencode(top)) for p in files} == expected
    # every directory listed is one git does not ignore (check-ignore answers for dirs too)
    dirs = [p for p, r in entries.items() if r["type"] == "dir"]
    check_ignore = subprocess.run(
        ["git", "-C", str(top), "check-ignore", "--stdin", "-z"],
        input=b"".join(os.path.relpath(d, os.fsencode(top)) + b"/\0" for d in dirs),
        capture_output=True, env=git_env(tmp_path), check=False,
    )  # fmt: skip
    assert check_ignore.returncode == 1, check_ignore.stdout  # 1: none of them is ignored
    assert b"build" not in kept and b".git" not in kept and b"sub/secret.key" not in kept
    # the summary says it was on, and how much it skipped
    assert summary["gitignored"] > 0
    assert f"--gitignore: {summary['gitignored']} entries ignored" in ran.err
    # off by default: everything is listed, .git included
    everything, plain, _ = walk_jsonl(top)
    assert set(everything) == set(find_paths(top)) and "gitignored" not in plain


# --- pseudo file systems ------------------------------------------------------------------


def _proc_is_mounted() -> bool:
    try:
        with open("/proc/self/mountinfo", "rb") as fh:
            return any(b" /proc " in line and b" - proc " in line for line in fh)
    except OSError:
        return False


@pytest.mark.skipif(not _proc_is_mounted(), reason="no proc file system at /proc")
def test_pseudo_file_systems_are_skipped_from_slash_unless_asked() -> None:
    ran = run_cli("walk", "/", "-d", "2", "-t", "d", "-0", "-q")
    assert ran.code in (exit_codes.OK, exit_codes.PARTIAL), ran.err
    listed = ran.out.split(b"\0")[:-1]
    assert b"/proc" in listed and not any(p.startswith(b"/proc/") for p in listed)
    ran = run_cli("walk", "/", "-d", "2", "-t", "d", "-0")
    assert "/proc: proc file system not entered" in ran.err
    both = run_cli("walk", "/", "-d", "2", "-t", "d", "-0", "-q", "--pseudo-fs")
    assert any(p.startswith(b"/proc/") for p in both.out.split(b"\0"))
