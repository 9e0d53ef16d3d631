"""Per-directory totals (``scanner du``'s library) against ``du`` itself, the hard-link rule,
the depth bound, overlapping roots, pseudo file systems, and the du views."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from scanner.fs import WalkConfig, walk
from scanner.fs.model import DirTotal, DirTotals
from scanner.fs.size_filter import SizeFilter
from scanner.fs.views import (
    DIR_CSV_HEADER,
    dir_total_csv_row,
    dir_total_fields,
    du_rows,
    du_tree_table,
    walk_notes,
)
from scanner.labs.tree import TreeManifest, TreeSpec, generate_tree
from scanner.output.shorten import middle as shorten_middle
from tests.fs_helpers import C, count_types, du_disk, du_files_apparent, make_files

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, TreeManifest]]:
    root = tmp_path_factory.mktemp("du") / "tree"
    spec = TreeSpec(files=2500, seed=5, hardlinks=40, symlinks=15, odd_names=25, large_files=1)
    yield root, generate_tree(root, spec)


def check_against_du(dirs: DirTotals) -> int:
    checked = 0
    for rec in dirs.records.values():
        assert rec.errors == 0
        assert rec.bytes == du_files_apparent(rec.path), rec.path
        assert rec.disk_bytes == du_disk(rec.path), rec.path
        assert (rec.files, rec.dirs, rec.symlinks) == count_types(rec.path), rec.path
        checked += 1
    return checked


async def test_totals_agree_with_du_on_a_lab_tree(lab: tuple[Path, TreeManifest]) -> None:
    root, manifest = lab
    report = await walk(WalkConfig(roots=(str(root),), dir_totals=2, disk_usage=True))
    dirs = report.dirs
    assert dirs is not None
    assert check_against_du(dirs) > 20
    top = dirs.roots[0]
    # the root's record is the walk's totals (one root: each inode once either way)
    t = report.totals
    assert (top.files, top.dirs, top.bytes, top.disk_bytes) == (
        t.files, t.dirs, t.bytes, t.disk_bytes,
    )  # fmt: skip
    assert (top.files, top.bytes) == (manifest.files, manifest.bytes)


@pytest.mark.skipif(not os.path.isdir("/usr/include"), reason="no /usr/include here")
async def test_totals_agree_with_du_on_usr_include() -> None:
    report = await walk(WalkConfig(roots=("/usr/include",), dir_totals=1, disk_usage=True))
    assert report.dirs is not None
    if report.totals.errors:
        pytest.skip("parts of /usr/include are unreadable here")
    assert check_against_du(report.dirs) >= 1


async def test_apparent_mode_measures_no_blocks(lab: tuple[Path, TreeManifest]) -> None:
    root, _ = lab
    report = await walk(WalkConfig(roots=(str(root),), dir_totals=1))
    assert report.dirs is not None and not report.dirs.disk_usage
    assert all(r.disk_bytes is None for r in report.dirs.records.values())
    assert report.totals.disk_bytes == 0


async def test_a_hard_link_counts_once_in_each_directory_holding_a_name(tmp_path: Path) -> None:
    make_files(tmp_path, {"a/x.bin": 5000, "b/c/small": 7, "d/other": 11})
    os.link(tmp_path / "a" / "x.bin", tmp_path / "b" / "c" / "y.bin")
    os.link(tmp_path / "a" / "x.bin", tmp_path / "a" / "again.bin")
    report = await walk(WalkConfig(roots=(str(tmp_path),), dir_totals=2))
    assert report.dirs is not None
    got = {os.path.relpath(p, tmp_path): (r.files, r.bytes) for p, r in report.dirs.records.items()}
    assert got == {
        ".": (5, 5000 + 7 + 11),  # three names, one inode: once
        "a": (2, 5000),  # two names here: once
        "b": (2, 5000 + 7),  # what `du b` alone reports
        "b/c": (2, 5000 + 7),
        "d": (1, 11),
    }
    for rel, (_, nbytes) in got.items():
        assert nbytes == du_files_apparent(str(tmp_path / rel))


async def test_memory_follows_the_depth_limit(lab: tuple[Path, TreeManifest]) -> None:
    root, manifest = lab
    for depth in (0, 1, 3):
        report = await walk(WalkConfig(roots=(str(root),), dir_totals=depth))
        assert report.dirs is not None
        records = report.dirs.records
        expected = subprocess.run(
            ["find", str(root), "-maxdepth", str(depth), "-type", "d", "-printf", r"%p\0"],
            capture_output=True, check=True, env=C,
        ).stdout.split(b"\0")[:-1]  # fmt: skip
        assert sorted(os.fsencode(p) for p in records) == sorted(expected)
        assert max(r.depth for r in records.values()) == depth
        # the walk itself is not limited: the root's totals hold everything
        assert report.dirs.roots[0].files == manifest.files
        # parents come before their children, children add up below their parent
        order = list(records)
        for rec in records.values():
            if rec.parent is not None:
                assert order.index(rec.parent) < order.index(rec.path)
                assert records[rec.parent].files >= rec.files


async def test_filters_apply_to_the_totals(lab: tuple[Path, TreeManifest]) -> None:
    root, _ = lab
    cfg = WalkConfig(roots=(str(root),), dir_totals=1, include_extensions=frozenset({"py"}),
                     sizes=(SizeFilter.parse("+1k"),))  # fmt: skip
    report = await walk(cfg)
    assert report.dirs is not None
    for rec in report.dirs.records.values():
        out = subprocess.run(
            ["find", rec.path, "-type", "f", "-iname", "*[!.]*.py", "-size", "+999c",
             "-printf", r"%i %s\0"], capture_output=True, check=True, env=C,
        ).stdout.split(b"\0")[:-1]  # fmt: skip
        inodes = dict(line.split() for line in out)
        assert (rec.files, rec.dirs, rec.bytes) == (len(out), 0, sum(map(int, inodes.values())))


async def test_overlapping_roots_count_once_as_du_c(tmp_path: Path) -> None:
    make_files(tmp_path, {"a/b/x": 100, "a/b/c/y": 20, "a/z": 3, "other/w": 4000})
    root, inner = str(tmp_path / "a"), str(tmp_path / "a" / "b" / "c")
    os.symlink(tmp_path / "a" / "b", tmp_path / "alias")  # a root given through a symlink
    one = await walk(WalkConfig(roots=(root,), disk_usage=True))
    alias = str(tmp_path / "alias")
    for roots in [(root, inner), (inner, root), (root, root + "/"), (alias, root)]:
        both = await walk(WalkConfig(roots=roots, disk_usage=True, dir_totals=1))
        assert (both.totals.files, both.totals.bytes, both.totals.disk_bytes) == (
            one.totals.files, one.totals.bytes, one.totals.disk_bytes,
        ), roots  # fmt: skip
        assert [m.into for m in both.merged_roots] == [root]
        assert both.dirs is not None and [r.path for r in both.dirs.roots] == [root]
        du_c = subprocess.run(["du", "-D", "-c", "-s", "-B1", *roots], capture_output=True,
                              check=True, env=C).stdout.splitlines()[-1]  # fmt: skip
        assert int(du_c.split()[0]) == both.totals.disk_bytes
    # roots that do not overlap are all walked
    apart = await walk(WalkConfig(roots=(root, str(tmp_path / "other"))))
    assert apart.merged_roots == [] and apart.totals.bytes == 123 + 4000


async def test_a_root_the_outer_walk_does_not_reach_is_walked(tmp_path: Path) -> None:
    make_files(tmp_path, {"a/.hid/x": 10, "a/skip/y": 20, "a/deep/d/z": 30, "a/w": 1})
    root = str(tmp_path / "a")
    cases = [
        # what the outer walk skips is there once, from the root that names it
        (WalkConfig(roots=(root, root + "/.hid"), hidden=False), 10 + 20 + 1 + 30),
        (WalkConfig(roots=(root, root + "/skip"), excludes=("skip",)), 10 + 20 + 1 + 30),
        # with a depth limit, each root to its own depth: the overlap counts twice
        (WalkConfig(roots=(root, root + "/deep"), max_depth=3), 10 + 20 + 1 + 30 + 30),
    ]
    for cfg, nbytes in cases:
        report = await walk(cfg)
        assert report.merged_roots == [] and report.totals.bytes == nbytes, cfg


def _mountinfo(tmp_path: Path, mounts: dict[str, str]) -> str:
    path = tmp_path / "mountinfo"
    lines = [f"{i} 1 0:{i} / {mp.replace(' ', chr(92) + '040')} rw - {fs} {fs} rw"
             for i, (mp, fs) in enumerate(mounts.items(), start=30)]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    return str(path)


async def test_pseudo_file_systems_below_a_root_are_not_entered(tmp_path: Path) -> None:
    top = tmp_path / "top"
    make_files(top, {"proc/1/status": 5, "run/x.pid": 3, "tmp/keep": 7, "data dir/f": 11,
                     "sys/fs/cgroup/c": 2, "dev/null": 0})  # fmt: skip
    # a tmpfs is skipped on /run only: the lab's "run" is not /run, so pretend with /run
    mounts = {str(top / "proc"): "proc", str(top / "sys"): "sysfs", "/run": "tmpfs",
              str(top / "sys/fs/cgroup"): "cgroup2", str(top / "tmp"): "tmpfs",
              str(top / "data dir"): "ext4", str(top / "dev"): "devtmpfs"}  # fmt: skip
    info = _mountinfo(tmp_path, mounts)
    report = await walk(WalkConfig(roots=(str(top),), mountinfo=info, dir_totals=1))
    assert sorted((os.path.relpath(s.path, top), s.fstype) for s in report.skipped_mounts) == [
        ("dev", "devtmpfs"), ("proc", "proc"), ("sys", "sysfs"),
    ]  # fmt: skip
    assert report.totals.bytes == 3 + 7 + 11  # run/, tmp/ and "data dir/" are read
    assert report.totals.dirs == 6  # the mount points are counted, not entered
    assert report.dirs is not None and sorted(report.dirs.records) == sorted(
        [str(top), *(str(top / d) for d in ("run", "tmp", "data dir"))]
    )
    assert any("proc file system not entered" in n
               for n in walk_notes(report, WalkConfig(roots=(str(top),))))  # fmt: skip
    # a root that is one is walked (only crossing into one is avoided); and on request
    inside = await walk(WalkConfig(roots=(str(top / "proc"),), mountinfo=info))
    assert inside.totals.bytes == 5 and inside.skipped_mounts == []
    everything = await walk(WalkConfig(roots=(str(top),), mountinfo=info, pseudo_filesystems=True))
    assert everything.totals.bytes == 5 + 3 + 7 + 11 + 2 and everything.skipped_mounts == []


def test_runtime_tmpfs_is_pseudo_and_other_tmpfs_is_not() -> None:
    from scanner.fs.mounts import Mount, parse_mountinfo

    assert Mount("/run", "tmpfs").pseudo and Mount("/run/user/1000", "tmpfs").pseudo
    assert not Mount("/tmp", "tmpfs").pseudo and not Mount("/running", "tmpfs").pseudo
    assert Mount("/proc", "proc").pseudo and not Mount("/", "ext4").pseudo
    line = b"36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 - ext3 /dev/root rw\n"
    assert parse_mountinfo(line + b"garbage\n") == [Mount("/mnt/with space", "ext3")]


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root")
def test_a_real_proc_mount_is_not_entered(tmp_path: Path) -> None:
    # a private mount namespace: proc and sysfs mounted inside a temporary tree
    make_files(tmp_path / "t", {"p/.keep": None, "s/.keep": None, "f": 9})
    script = (
        "import anyio, json, sys\n"
        "from scanner.fs import WalkConfig, walk\n"
        "r = anyio.run(walk, WalkConfig(roots=(sys.argv[1],)))\n"
        "print(json.dumps([r.totals.bytes, r.totals.errors, sorted(s.fstype for s in"
        " r.skipped_mounts)]))\n"
    )
    t = tmp_path / "t"
    cmd = (f"mount -t proc proc {t}/p && mount -t sysfs sysfs {t}/s && "
           f"{sys.executable} -c '{script}' {t}")  # fmt: skip
    ran = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", cmd],
                         capture_output=True, text=True, check=False, timeout=60,
                         cwd=Path(__file__).resolve().parent.parent)  # fmt: skip
    if ran.returncode != 0 and "mount" in ran.stderr:
        pytest.skip(f"cannot mount here: {ran.stderr.strip()[:200]}")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == '[9, 0, ["proc", "sysfs"]]'


# --- views ----------------------------------------------------------------------------------


async def test_du_records_and_csv_rows(tmp_path: Path) -> None:
    make_files(tmp_path, {"a/x": 10, "b/y": 5})
    (tmp_path / os.fsdecode(b"raw\xff")).mkdir()
    report = await walk(WalkConfig(roots=(str(tmp_path),), dir_totals=1, disk_usage=True))
    assert report.dirs is not None
    top = report.dirs.roots[0]
    fields = dir_total_fields(top)
    assert fields == {
        "path": str(tmp_path), "depth": 0, "files": 2, "dirs": 3, "symlinks": 0, "other": 0,
        "bytes": 15, "disk_bytes": top.disk_bytes, "errors": 0,
    }  # fmt: skip
    odd = report.dirs.records[str(tmp_path / os.fsdecode(b"raw\xff"))]
    assert "path_b64" in dir_total_fields(odd)
    row = dir_total_csv_row(odd)
    assert len(row) == len(DIR_CSV_HEADER) and row[1] != ""
    assert [r.path for r in report.dirs.biggest(top=2)] == [str(tmp_path), str(tmp_path / "a")]


def test_shorten_middle_keeps_both_ends() -> None:
    path = "very/long/directory/names/that/go/on/and/on/final-name"
    for width in (10, 20, 30, 45):
        short = shorten_middle(path, width)
        assert cell_len(short) <= width and "…" in short
        assert short.endswith(path[-(width // 2) :][-3:])  # never cut at the end
        assert short.startswith(path[0])
    assert shorten_middle(path, 200) == path
    assert cell_len(shorten_middle("日本語のディレクトリ/名前", 9)) <= 9


async def test_the_tree_view_fits_80_columns(lab: tuple[Path, TreeManifest]) -> None:
    root, _ = lab
    report = await walk(WalkConfig(roots=(str(root),), dir_totals=3, disk_usage=True))
    assert report.dirs is not None
    console = Console(width=80, record=True, color_system=None, force_terminal=True)
    console.print(du_tree_table(report.dirs, width=80, max_children=5))
    lines = console.export_text().splitlines()
    assert all(cell_len(line.rstrip()) <= 80 for line in lines)
    rows = du_rows(report.dirs, by="disk_bytes", max_children=5)
    assert rows[0].name == str(root) and rows[0].share == 1.0
    # every name ends as it really ends (shortened in the middle at most)
    body = "\n".join(lines)
    for row in rows[1:]:
        if row.rec is not None:
            assert row.name[-4:] in body or "\\" in row.name
    # children come biggest first under each parent, the rest folded with their sum
    kids = report.dirs.children(str(root), by="disk_bytes")
    shown = [r for r in rows if r.rec is not None and r.rec.parent == str(root)]
    assert [r.rec for r in shown] == kids[:5]
    if len(kids) > 5:
        more = [r for r in rows if r.rec is None and r.glyphs == "└─ "]
        assert more and more[0].size == sum(k.disk_bytes or 0 for k in kids[5:])


def test_sorting_records_checks_its_key() -> None:
    dirs = DirTotals(depth=0, disk_usage=False,
                     records={"/a": DirTotal("/a", 0, None, files=2, bytes=5)})  # fmt: skip
    with pytest.raises(ValueError, match="sort by"):
        dirs.biggest(by="size")


async def test_notes_say_what_was_skipped_merged_and_filtered(tmp_path: Path) -> None:
    make_files(tmp_path, {"a/x.py": 3, "a/b/y.txt": 4, ".gitignore": 5})
    (tmp_path / ".gitignore").write_text("*.txt\n")
    cfg = WalkConfig(roots=(str(tmp_path), str(tmp_path / "a")), gitignore=True,
                     include_extensions=frozenset({"py"}), sizes=(SizeFilter.parse("+1b"),),
                     newer_than=0.0)  # fmt: skip
    report = await walk(cfg)
    notes = walk_notes(report, cfg)
    assert notes[0].startswith("--gitignore: 1 entry ignored")
    assert notes[1] == (
        "counted and listed only: extension py; size at least 1 B; "
        "changed after 1970-01-01T00:00:00+00:00"
    )
    assert notes[2] == f"{tmp_path / 'a'}: inside {tmp_path}, counted once there"
    assert walk_notes(await walk(WalkConfig(roots=(str(tmp_path),))), WalkConfig()) == []
