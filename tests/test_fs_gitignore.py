"""--gitignore against git itself: ``git ls-files --others --exclude-standard`` lists exactly
the files and symlinks the walk keeps, on gitignore(5)'s examples and on seeded random trees
of random rules; the parsing rules one by one; and what the walk does around the rules."""

from __future__ import annotations

import os
import random
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from scanner.fs import WalkBatch, WalkConfig, walk
from scanner.fs.ignore import MAX_IGNORE_FILE, parse_ignore_file
from tests.fs_helpers import git_env, git_untracked, make_files

pytestmark = pytest.mark.anyio


async def kept(root: Path, **options: object) -> set[bytes]:
    """The files and symlinks below ``root`` a --gitignore walk lists (relative, bytes)."""
    got: list[str] = []

    async def take(batch: WalkBatch) -> None:
        got.extend(e.path for e in batch.entries if e.type != "d")

    cfg = WalkConfig(roots=(str(root),), gitignore=True, listing=True, **options)  # type: ignore[arg-type]
    await walk(cfg, on_batch=take)
    return {os.fsencode(os.path.relpath(p, root)) for p in got}


def repo(tmp_path: Path, files: Mapping[str, str | None], name: str = "repo") -> Path:
    """A git repository with ``files`` ({path: content, None for a directory})."""
    top = tmp_path / name
    subprocess.run(["git", "init", "-q", str(top)], check=True, env=git_env(tmp_path))
    make_files(top, files)
    return top


def names(*paths: str) -> set[bytes]:
    return {p.encode() for p in paths}


# --- gitignore(5)'s own examples ------------------------------------------------------------


async def test_the_hello_example_anchored_and_not(tmp_path: Path) -> None:
    # "hello.*" matches at any depth; "/hello.*" only next to the .gitignore
    files = {"hello.txt": "", "hello.c": "", "a/hello.java": "", "a/other.c": ""}
    top = repo(tmp_path, {**files, ".gitignore": "/hello.*\n"})
    assert await kept(top) == git_untracked(top, tmp_path) == names(
        ".gitignore", "a/hello.java", "a/other.c"
    )
    (top / ".gitignore").write_text("hello.*\n")
    assert await kept(top) == git_untracked(top, tmp_path) == names(".gitignore", "a/other.c")


async def test_directory_only_patterns_leave_files_and_symlinks(tmp_path: Path) -> None:
    # "foo/" matches a directory foo and what is below it, not a file or a symlink foo
    top = repo(tmp_path, {"foo/x": "", "a/foo": "", "b/foo/y": "", ".gitignore": "foo/\n"})
    (top / "c").mkdir()
    (top / "c" / "foo").symlink_to("../b")
    assert await kept(top) == git_untracked(top, tmp_path) == names(".gitignore", "a/foo", "c/foo")


async def test_a_middle_slash_anchors_like_a_leading_one(tmp_path: Path) -> None:
    files = {"doc/frotz/a": "", "x/doc/frotz/b": "", "doc/other": ""}
    for pattern in ("doc/frotz\n", "/doc/frotz\n"):
        top = repo(tmp_path, {**files, ".gitignore": pattern}, name=f"r{len(pattern)}")
        assert await kept(top) == git_untracked(top, tmp_path) == names(
            ".gitignore", "x/doc/frotz/b", "doc/other"
        )


async def test_star_does_not_cross_a_slash(tmp_path: Path) -> None:
    # "foo/*" matches foo/test.json and foo/bar, not foo/bar/hello.c... but foo/bar itself
    # is matched, so what is below it is not listed either
    files = {"foo/test.json": "", "foo/bar/hello.c": "", "x/foo/test.json": ""}
    top = repo(tmp_path, {**files, ".gitignore": "foo/*\n"})
    assert await kept(top) == git_untracked(top, tmp_path) == names(
        ".gitignore", "x/foo/test.json"
    )


async def test_double_star_forms(tmp_path: Path) -> None:
    files = {
        "x/foo": "", "x/y/foo/bar": "", "foo/bar": "", "abc/d/e": "",
        "q/abc/f": "", "a/b": "", "a/x/b": "", "a/x/y/b": "", "a/c": "",
    }  # fmt: skip
    cases = {
        "**/foo\n": {".gitignore", "abc/d/e", "q/abc/f", "a/b", "a/x/b", "a/x/y/b", "a/c"},
        "**/foo/bar\n": set(files) - {"x/y/foo/bar", "foo/bar"} | {".gitignore"},
        "abc/**\n": set(files) - {"abc/d/e"} | {".gitignore"},
        "a/**/b\n": set(files) - {"a/b", "a/x/b", "a/x/y/b"} | {".gitignore"},
    }
    for i, (pattern, expected) in enumerate(cases.items()):
        top = repo(tmp_path, {**files, ".gitignore": pattern}, name=f"r{i}")
        assert await kept(top) == git_untracked(top, tmp_path) == names(*expected), pattern


async def test_everything_but_foo_bar(tmp_path: Path) -> None:
    # the example "exclude everything except directory foo/bar"
    files = {"foo/bar/hello.c": "", "foo/other.c": "", "top.c": "", "baz/foo/bar/x": ""}
    rules = "# exclude everything except directory foo/bar\n/*\n!/foo\n/foo/*\n!/foo/bar\n"
    top = repo(tmp_path, {**files, ".gitignore": rules})
    assert await kept(top) == git_untracked(top, tmp_path) == names("foo/bar/hello.c")


async def test_nested_files_exclude_and_negation(tmp_path: Path) -> None:
    # gitignore(5): .git/info/exclude "*.[oa]"; Documentation/.gitignore "*.html" and
    # "!foo.html"; and a negation cannot re-include a file inside an ignored directory
    files = {
        "Documentation/foo.html": "", "Documentation/gitignore.html": "", "file.o": "",
        "lib.a": "", "src/internal.o": "", "src/keep.c": "",
        "Documentation/.gitignore": "# ignore generated html files,\n*.html\n"
        "# except foo.html which is maintained by hand\n!foo.html\n",
        "build/out.c": "", ".gitignore": "build/\n!build/out.c\n",
    }  # fmt: skip
    top = repo(tmp_path, files)
    (top / ".git" / "info").mkdir(exist_ok=True)
    (top / ".git" / "info" / "exclude").write_text("# objects and archives\n*.[oa]\n")
    assert await kept(top) == git_untracked(top, tmp_path) == names(
        ".gitignore", "Documentation/.gitignore", "Documentation/foo.html", "src/keep.c"
    )


async def test_escaped_hash_bang_and_trailing_spaces(tmp_path: Path) -> None:
    files = {"#hash": "", "!imp.txt": "", "trail ": "", "sp ace": "", "plain": "", "keep": ""}
    rules = "\\#hash\n\\!imp.txt\ntrail\\ \nsp ace   \nplain\t\n"
    top = repo(tmp_path, {**files, ".gitignore": rules})
    # "plain\t": a tab is not trimmed, so the rule does not match "plain"
    assert await kept(top) == git_untracked(top, tmp_path) == names(".gitignore", "plain", "keep")


async def test_crlf_and_bom_are_read_as_git_reads_them(tmp_path: Path) -> None:
    top = repo(tmp_path, {"a.o": "", "b.log": "", "c.txt": ""})
    (top / ".gitignore").write_bytes(b"\xef\xbb\xbf*.o\r\n*.log\r\n")
    assert await kept(top) == git_untracked(top, tmp_path) == names(".gitignore", "c.txt")


async def test_parent_ignore_files_apply_to_a_root_inside_a_repository(tmp_path: Path) -> None:
    files = {".gitignore": "*.o\nsub/deep/\n", "sub/a.o": "", "sub/b.c": "", "sub/deep/x": "",
             "sub/.gitignore": "!keep.o\n", "sub/keep.o": ""}  # fmt: skip
    top = repo(tmp_path, files)
    sub_listing = subprocess.run(
        ["git", "-C", str(top / "sub"), "ls-files", "--others", "--exclude-standard", "-z"],
        capture_output=True, check=True, env=git_env(tmp_path),
    ).stdout  # fmt: skip
    expected = {p for p in sub_listing.split(b"\0") if p}
    assert await kept(top / "sub") == expected == names(".gitignore", "b.c", "keep.o")


async def test_a_nested_repository_starts_afresh(tmp_path: Path) -> None:
    top = repo(tmp_path, {".gitignore": "*.log\n", "a.log": "", "b.c": ""})
    inner = repo(top, {".gitignore": "*.c\n", "x.log": "", "y.c": ""}, name="inner")
    assert inner.parent == top
    # the outer *.log does not reach into the inner repository; its own rules do
    assert await kept(top) == names(".gitignore", "b.c", "inner/.gitignore", "inner/x.log")
    assert await kept(inner) == git_untracked(inner, tmp_path) == names(".gitignore", "x.log")


# --- git on random trees of random rules ----------------------------------------------------

_DIRS = ("a", "b", "foo", "bar", "doc", "build", ".hid", "x y", "abc")
_FILES = ("x.o", "y.c", "hello.txt", "hello.java", "foo", "bar", "abc.log", "!imp.txt",
          "#hash", "sp ace", "trail ", "a[1]", "star*", "Q.TXT", "f\\b", ".dot",
          "\u00fc.txt", "b", "frotz")  # fmt: skip
_RULES = ("*.o", "!y.c", "foo/", "/foo", "doc/frotz", "**/foo", "**/foo/bar", "foo/**",
          "a/**/b", "foo/*", "!/foo/bar", "!*.txt", "build", "\\!imp.txt", "\\#hash", "#hash",
          "hello.*", "/hello.*", "[ab]*", "?.c", "*.[oa]", "b/**/x.o", "trail\\ ", "trail ",
          "sp ace", "!**/", "!*/", "x y/", "a[[]1]", "star\\*", "*.TXT", "!foo", "bar/",
          "/a/b", "**/b/*.c", "*/y.c", ".*", "!.gitignore", "\u00fc*", "[!a-m]*",
          "[[:upper:]]*", "f\\\\b", "abc/**", "*", "!hello.java", "doc/", "!doc/",
          "a/*/x.o", "/*/foo", "*.log/", "[a-c]/", "**/b/", "!*", "?")  # fmt: skip


def _random_tree(root: Path, rng: random.Random, depth: int = 0) -> None:
    for name in rng.sample(_FILES, rng.randint(1, 5)):
        (root / name).write_bytes(b"")
    if rng.random() < 0.15:
        os.symlink(rng.choice(_FILES), root / "lnk")
    if rng.random() < 0.6:
        rules = rng.choices(_RULES, k=rng.randint(1, 5))
        (root / ".gitignore").write_text("".join(r + "\n" for r in rules))
    if depth < 3:
        for name in rng.sample(_DIRS, rng.randint(0, 3)):
            if os.path.lexists(root / name):
                continue  # a file of that name is there already
            (root / name).mkdir()
            _random_tree(root / name, rng, depth + 1)


@pytest.mark.parametrize("seed", range(40))
async def test_random_trees_agree_with_git(tmp_path: Path, seed: int) -> None:
    top = repo(tmp_path, {})
    _random_tree(top, random.Random(seed))
    assert await kept(top) == git_untracked(top, tmp_path)


# --- parsing, one rule at a time ------------------------------------------------------------


def test_parsing_follows_gitignore_5() -> None:
    rules = parse_ignore_file(
        b"\xef\xbb\xbf# comment\n\n  \nfoo/\n!bar\n\\!lit\n\\#lit\n/anch\nmid/dle\n"
        b"sp\\ \ntrailing   \r\n!\n/\n"
    )
    got = [(r.text, r.negate, r.dir_only, r.basename) for r in rules]
    assert got == [
        ("foo/", False, True, True),
        ("!bar", True, False, True),
        ("\\!lit", False, False, True),
        ("\\#lit", False, False, True),
        ("/anch", False, False, False),
        ("mid/dle", False, False, False),
        ("sp\\ ", False, False, True),
        ("trailing", False, False, True),
    ]
    # a line of spaces is a pattern of... nothing once trimmed; "!" and "/" are empty
    assert rules[2].match("!lit") and not rules[2].match("lit")
    assert rules[6].match("sp ") and rules[7].match("trailing")


# --- what the walk does around the rules ----------------------------------------------------


async def test_off_by_default_and_counted_when_on(tmp_path: Path) -> None:
    top = repo(tmp_path, {".gitignore": "*.o\nbuild/\n", "a.o": "", "b.c": "", "build/x": ""})
    plain = await walk(WalkConfig(roots=(str(top),)))
    assert plain.totals.ignored == 0
    assert plain.totals.files >= 4  # .gitignore, a.o, b.c, build/x and .git's own files
    on = await walk(WalkConfig(roots=(str(top),), gitignore=True))
    # a.o, build/ (once, not its contents) and .git
    assert on.totals.ignored == 3
    assert (on.totals.files, on.totals.dirs) == (2, 0)


async def test_special_ignore_files_are_not_opened_and_errors_are_records(
    tmp_path: Path,
) -> None:
    top = repo(tmp_path, {"a.o": "", "d/x.o": ""})
    os.mkfifo(top / ".gitignore")  # opening it would block forever
    with open(top / "d" / ".gitignore", "wb") as fh:
        fh.truncate(MAX_IGNORE_FILE + 1)  # sparse: too large to read
    report = await walk(WalkConfig(roots=(str(top),), gitignore=True))
    errors = [(os.path.relpath(e.subject, top), e.phase) for e in report.errors]
    assert errors == [("d/.gitignore", "gitignore")]
    assert report.totals.files == 3  # a.o, d/x.o (no rules read) and d/.gitignore


async def test_a_root_inside_an_ignored_directory_is_walked_on_its_own(tmp_path: Path) -> None:
    top = repo(tmp_path, {".gitignore": "build/\n*.o\n", "build/x.c": "", "build/y.o": "",
                          "src/a.c": "", "src/b.o": ""})  # fmt: skip
    report = await walk(WalkConfig(roots=(str(top), str(top / "src")), gitignore=True))
    assert [(m.root, m.into) for m in report.merged_roots] == [(str(top / "src"), str(top))]
    report = await walk(WalkConfig(roots=(str(top), str(top / "build")), gitignore=True))
    assert report.merged_roots == []
    # .gitignore and src/a.c from the repository; build/x.c from its own root, where the
    # repository's "*.o" still applies (a root inside a repository gets its parents' rules)
    assert await kept(top / "build") == names("x.c")
    assert report.totals.files == 3
