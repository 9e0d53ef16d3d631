"""The walk engine against independent counts, on asyncio and trio."""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from scanner.fs import (
    Budget,
    DirTask,
    Entry,
    ReportBuilder,
    SharedState,
    WalkBatch,
    WalkConfig,
    root_tasks,
    scan_batch,
    walk,
)
from scanner.fs.views import entry_fields, error_fields
from scanner.labs.tree import TreeManifest, TreeSpec, generate_tree
from tests.fs_helpers import make_files, reference_count

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def lab_tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, TreeManifest]]:
    root = tmp_path_factory.mktemp("lab") / "tree"
    manifest = generate_tree(root, TreeSpec(files=3000, seed=7, hardlinks=20, symlinks=15))
    yield root, manifest


async def listing(cfg: WalkConfig) -> tuple[list[Entry], list[WalkBatch]]:
    batches: list[WalkBatch] = []

    async def consume(batch: WalkBatch) -> None:
        batches.append(batch)

    await walk(cfg, on_batch=consume)
    return [e for b in batches for e in b.entries], batches


async def test_counts_equal_an_independent_os_walk(lab_tree: tuple[Path, TreeManifest]) -> None:
    root, manifest = lab_tree
    ref = reference_count(root)
    report = await walk(WalkConfig(roots=(str(root),)))
    t = report.totals
    assert (t.files, t.dirs, t.symlinks, t.other, t.bytes, t.errors) == (
        ref.files,
        ref.dirs,
        ref.symlinks,
        ref.other,
        ref.bytes,
        0,
    )
    assert report.extensions.as_dict() == ref.extensions
    # and the generator's own manifest, computed while building, not by walking
    assert (t.files, t.dirs, t.symlinks, t.bytes) == (
        manifest.files,
        manifest.dirs,
        manifest.symlinks,
        manifest.bytes,
    )
    assert report.extensions.as_dict() == {
        k.lstrip("."): (v.files, v.bytes) for k, v in manifest.extensions.items()
    }


async def test_no_hidden_matches_the_visible_counts(lab_tree: tuple[Path, TreeManifest]) -> None:
    root, manifest = lab_tree
    report = await walk(WalkConfig(roots=(str(root),), hidden=False))
    ref = reference_count(root, hidden=False)
    assert (report.totals.files, report.totals.dirs, report.totals.bytes) == (
        manifest.visible_files,
        manifest.visible_dirs,
        manifest.visible_bytes,
    )
    assert report.extensions.as_dict() == ref.extensions


async def test_listing_has_every_path_once(lab_tree: tuple[Path, TreeManifest]) -> None:
    root, _ = lab_tree
    entries, batches = await listing(
        WalkConfig(roots=(str(root),), listing=True, stat_files=False, workers=4)
    )
    paths = [e.path for e in entries]
    assert len(paths) == len(set(paths))
    assert set(paths) == reference_count(root).paths
    assert len(batches) > 1  # it streamed in several batches
    assert all(e.size is None for e in entries if e.type == "f")


async def test_largest_files_are_the_largest(lab_tree: tuple[Path, TreeManifest]) -> None:
    root, _ = lab_tree
    report = await walk(WalkConfig(roots=(str(root),), largest=5))
    sizes = sorted(
        {(os.lstat(p).st_ino, os.lstat(p).st_size) for p in reference_count(root).paths
         if os.path.isfile(p) and not os.path.islink(p)},
        key=lambda t: -t[1],
    )[:5]  # fmt: skip
    assert [f.size for f in report.largest] == [s for _, s in sizes]


async def test_max_depth(tmp_path: Path) -> None:
    make_files(tmp_path, {"a/b/c/deep.txt": 1, "a/b/mid.txt": 2, "top.txt": 3, "e": None})
    by_depth = {}
    for depth in (0, 1, 2, 3, 4):
        entries, _ = await listing(
            WalkConfig(roots=(str(tmp_path),), max_depth=depth, listing=True)
        )
        by_depth[depth] = sorted(os.path.relpath(e.path, tmp_path) for e in entries)
        assert all(1 <= e.depth <= depth for e in entries)
    assert by_depth[0] == []
    assert by_depth[1] == ["a", "e", "top.txt"]
    assert by_depth[2] == ["a", "a/b", "e", "top.txt"]
    assert by_depth[3] == ["a", "a/b", "a/b/c", "a/b/mid.txt", "e", "top.txt"]
    assert by_depth[4] == [*by_depth[3][:3], "a/b/c/deep.txt", *by_depth[3][3:]]


async def test_exclude_by_name_and_by_path(tmp_path: Path) -> None:
    make_files(
        tmp_path,
        {"src/a.py": 1, "src/gen/b.py": 1, "build/c.o": 1, "docs/x.md": 1, "keep.py": 1},
    )
    report = await walk(WalkConfig(roots=(str(tmp_path),), excludes=("build", "*.md")))
    assert report.totals.files == 3 and report.totals.dirs == 3  # src, src/gen, docs
    report = await walk(WalkConfig(roots=(str(tmp_path),), excludes=("src/gen",)))
    assert report.totals.files == 4
    assert report.extensions.as_dict()["py"] == (2, 2)
    # a trailing slash on the root does not change root-relative matching
    report = await walk(WalkConfig(roots=(str(tmp_path) + "/",), excludes=("src/gen",)))
    assert report.totals.files == 4


async def test_type_filters_the_listing_not_the_traversal(tmp_path: Path) -> None:
    make_files(tmp_path, {"d/e/f.txt": 1, "g.txt": 1})
    os.symlink("g.txt", tmp_path / "link")
    entries, _ = await listing(
        WalkConfig(roots=(str(tmp_path),), types=frozenset("f"), listing=True)
    )
    assert sorted(e.name for e in entries) == ["f.txt", "g.txt"]
    entries, _ = await listing(
        WalkConfig(roots=(str(tmp_path),), types=frozenset("dl"), listing=True)
    )
    assert sorted((e.name, e.type) for e in entries) == [("d", "d"), ("e", "d"), ("link", "l")]


async def test_list_extensions_lists_only_those_files(tmp_path: Path) -> None:
    make_files(tmp_path, {"a.zip": 1, "d/b.JAR": 2, "c.txt": 3, "e.tar.gz": 4, "f.zip.txt": 5})
    cfg = WalkConfig(
        roots=(str(tmp_path), str(tmp_path / "c.txt")),  # a file root is always listed
        listing=True,
        types=frozenset("f"),
        list_extensions=frozenset({"zip", "jar", "gz"}),
    )
    entries, _ = await listing(cfg)
    assert sorted(e.name for e in entries) == ["a.zip", "b.JAR", "c.txt", "e.tar.gz"]
    report = await walk(cfg)
    # counting is unchanged, and c.txt, also given as a root inside the other, counts once
    assert report.totals.files == 5
    assert [(m.root, m.into) for m in report.merged_roots] == [
        (str(tmp_path / "c.txt"), str(tmp_path))
    ]
    # a root file whose name is listed anyway is listed once
    entries, _ = await listing(replace(cfg, roots=(str(tmp_path), str(tmp_path / "a.zip"))))
    assert sorted(e.name for e in entries) == ["a.zip", "b.JAR", "e.tar.gz"]


async def test_follow_detects_loops_and_follows_links(tmp_path: Path) -> None:
    make_files(tmp_path, {"real/x.txt": 10, "real/sub/y.txt": 20})
    os.symlink("..", tmp_path / "real" / "sub" / "up")  # a loop back to real/
    os.symlink("real", tmp_path / "alias")  # a second way into real/
    os.symlink("self", tmp_path / "self")  # ELOOP on stat
    os.symlink("missing", tmp_path / "dangling")

    plain = await walk(WalkConfig(roots=(str(tmp_path),)))
    assert (plain.totals.files, plain.totals.symlinks, plain.totals.errors) == (2, 0 + 4, 0)

    followed = await walk(WalkConfig(roots=(str(tmp_path),), follow=True))
    loops = [e for e in followed.errors if e.phase == "loop"]
    eloop = [e for e in followed.errors if e.phase == "stat"]
    # alias/ and real/ are one directory: read once, under the name met first (as du -L
    # counts it), so one of real/sub/up and alias/sub/up leads back to an ancestor
    assert followed.reached_twice == 1
    assert [os.path.relpath(e.subject, tmp_path) for e in loops] in (
        ["alias/sub/up"],
        ["real/sub/up"],
    )
    assert all(e.errno == errno.ELOOP for e in loops)
    assert [os.path.basename(e.subject) for e in eloop] == ["self"]
    assert eloop[0].errno == errno.ELOOP
    # the files below it count once, as du -L counts them; both names are directories
    assert followed.totals.files == 2
    assert followed.totals.bytes == 30
    assert followed.totals.dirs == 4  # real, alias, sub and up (counted, not entered)
    assert followed.totals.symlinks == 1  # the dangling one stays a symlink


async def test_hard_links_count_bytes_once(tmp_path: Path) -> None:
    make_files(tmp_path, {"a/big.bin": 5000, "small.txt": 7})
    os.link(tmp_path / "a" / "big.bin", tmp_path / "again.bin")
    os.link(tmp_path / "a" / "big.bin", tmp_path / "a" / "third.bin")
    report = await walk(WalkConfig(roots=(str(tmp_path),), workers=3))
    assert report.totals.files == 4
    assert report.totals.bytes == 5007
    assert report.extensions.as_dict() == {"bin": (3, 5000), "txt": (1, 7)}
    assert [f.size for f in report.largest] == [5000, 7]


async def test_fifos_and_sockets_are_only_lstated(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    try:
        # opening the FIFO would block forever: the pytest timeout would catch that
        entries, _ = await listing(
            WalkConfig(roots=(str(tmp_path),), listing=True, stat_listed=True)
        )
    finally:
        sock.close()
    assert sorted((e.name, e.type) for e in entries) == [("pipe.txt", "p"), ("sock", "s")]
    report = await walk(WalkConfig(roots=(str(tmp_path),)))
    assert (report.totals.other, report.totals.files) == (2, 0)
    assert report.extensions.as_dict() == {}


async def test_undecodable_names_flow_through(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/bad\xff\x1b[31m.TXT"
    fd = os.open(raw, os.O_CREAT | os.O_WRONLY, 0o644)
    os.write(fd, b"abc")
    os.close(fd)
    entries, _ = await listing(WalkConfig(roots=(str(tmp_path),), listing=True))
    (entry,) = entries
    assert os.fsencode(entry.path) == raw
    fields = entry_fields(entry)
    assert fields["path_b64"]
    assert fields["size"] == 3
    report = await walk(WalkConfig(roots=(str(tmp_path),)))
    assert report.extensions.as_dict() == {"txt": (1, 3)}


async def test_name_too_long_is_an_error_not_a_crash(tmp_path: Path) -> None:
    # nest directories (via dir fds) until the path is longer than PATH_MAX
    name = "d" * 200
    fd = os.open(tmp_path, os.O_DIRECTORY)
    for _ in range(25):
        os.mkdir(name, dir_fd=fd)
        nxt = os.open(name, os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nxt
    os.close(fd)
    report = await walk(WalkConfig(roots=(str(tmp_path),)))
    assert report.totals.errors >= 1
    assert {e.errno for e in report.errors} == {errno.ENAMETOOLONG}
    assert error_fields(report.errors[0])["errno_name"] == "ENAMETOOLONG"
    assert report.totals.dirs >= 19  # everything up to the limit was still counted


async def test_roots_missing_file_and_several(tmp_path: Path) -> None:
    make_files(tmp_path, {"d1/a.py": 3, "d2/b.py": 4, "f.tar.gz": 5})
    cfg = WalkConfig(
        roots=(str(tmp_path / "d1"), str(tmp_path / "d2"), str(tmp_path / "f.tar.gz"),
               str(tmp_path / "nope")),
        listing=True,
        compound_extensions=True,
    )  # fmt: skip
    entries, _ = await listing(cfg)
    report = await walk(cfg)
    assert sorted(e.name for e in entries) == ["a.py", "b.py", "f.tar.gz"]
    assert [e.depth for e in entries if e.name == "f.tar.gz"] == [0]
    assert report.extensions.as_dict() == {"py": (2, 7), "tar.gz": (1, 5)}
    assert [(e.phase, e.errno) for e in report.errors] == [("root", errno.ENOENT)]


def test_vanished_swapped_and_not_a_directory_are_errors(tmp_path: Path) -> None:
    make_files(tmp_path, {"file": 1, "real/x": 1})
    os.symlink("real", tmp_path / "swapped")  # was a directory when listed, say
    cfg = WalkConfig(roots=(str(tmp_path),))
    start = len(str(tmp_path)) + 1
    tasks = [
        DirTask(str(tmp_path / "gone"), 1, start),
        DirTask(str(tmp_path / "file"), 1, start),
        DirTask(str(tmp_path / "swapped"), 1, start),
    ]
    res = scan_batch(tasks, cfg, Budget(), SharedState())
    found = {os.path.basename(e.subject): (e.phase, e.errno) for e in res.errors}
    assert found == {
        "file": ("scandir", errno.ENOTDIR),
        "gone": ("scandir", errno.ENOENT),
        # not entered without --follow (Linux says ENOTDIR for O_DIRECTORY|O_NOFOLLOW)
        "swapped": ("scandir", found["swapped"][1]),
    }
    assert found["swapped"][1] in (errno.ELOOP, errno.ENOTDIR)
    followed = scan_batch(tasks[2:], replace(cfg, follow=True), Budget(), SharedState())
    assert followed.errors == [] and followed.totals.files == 1


def test_work_unit_returns_its_frontier_and_sums_to_the_whole(
    lab_tree: tuple[Path, TreeManifest],
) -> None:
    # the unit alone, driven sequentially with a tiny budget, as the comparison module does
    root, _ = lab_tree
    cfg = WalkConfig(roots=(str(root),))
    shared = SharedState()
    builder = ReportBuilder(cfg)
    first = root_tasks(cfg, shared)
    builder.merge(first)
    frontier = list(first.frontier)
    calls = 0
    while frontier:
        res = scan_batch([frontier.pop()], cfg, Budget(max_entries=50), shared)
        builder.merge(res)
        frontier.extend(res.frontier)
        calls += 1
    assert calls > 10
    ref = reference_count(root)
    assert builder.report.totals.files == ref.files
    assert builder.report.totals.bytes == ref.bytes
    assert builder.report.extensions.as_dict() == ref.extensions
    assert shared.running == 0


async def test_every_worker_count_gives_the_same_report(
    lab_tree: tuple[Path, TreeManifest],
) -> None:
    root, _ = lab_tree
    reports = [await walk(WalkConfig(roots=(str(root),), workers=w)) for w in (1, 2, 16)]
    assert len({(r.totals.files, r.totals.bytes, r.totals.dirs) for r in reports}) == 1
    assert all(r.extensions.as_dict() == reports[0].extensions.as_dict() for r in reports)
