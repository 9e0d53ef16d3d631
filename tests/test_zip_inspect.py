"""inspect_file: reading real files (small and large), unreadable paths, FileView."""

from __future__ import annotations

import errno
import gc
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from scanner.archives.config import MIB, ZipConfig
from scanner.archives.model import Member
from scanner.archives.source import BLOCK, FileView
from scanner.archives.zip.central import CHUNK_MEMBERS
from scanner.archives.zip.inspect import WHOLE_READ_LIMIT, inspect_bytes, inspect_file
from scanner.labs.archives import (
    HOSTILE_CASES,
    build_zip,
    many_members_zip,
    ordinary_zip,
    stored,
)
from tests.cli_helpers import REPO


@pytest.mark.parametrize(
    "name",
    [
        "fifield-overlap",
        "orphan-local",
        "multiple-end-records",
        "crc-lie",
        "nested-deep",
        "sfx-prefix",
    ],
)
def test_file_and_bytes_give_the_same_report(tmp_path: Path, name: str) -> None:
    case = HOSTILE_CASES[name]
    data = case.build()
    path = tmp_path / "a.zip"
    path.write_bytes(data)
    from_file = inspect_file(str(path), case.config)
    assert from_file.as_dict() == inspect_bytes(data, str(path), case.config).as_dict()


def test_large_file_goes_through_fileview_with_same_result(tmp_path: Path) -> None:
    data = many_members_zip(20_000) + ordinary_zip(2, 30)  # prefix makes it hostile-ish too
    assert len(data) > WHOLE_READ_LIMIT
    path = tmp_path / "big.zip"
    path.write_bytes(data)
    cfg = ZipConfig(verify=True, keep_members=True, max_members=50_000)
    from_file = inspect_file(str(path), cfg)
    from_bytes = inspect_bytes(data, str(path), cfg)
    assert from_file.as_dict() == from_bytes.as_dict()
    assert from_file.member_count == 31  # the appended archive's directory wins
    assert "prefix-data" in {f.code for f in from_file.findings}


def test_members_kept_only_on_request(tmp_path: Path) -> None:
    path = tmp_path / "o.zip"
    path.write_bytes(ordinary_zip(1, 5))
    assert inspect_file(str(path), ZipConfig()).members is None
    kept = inspect_file(str(path), ZipConfig(keep_members=True)).members
    assert kept is not None
    assert len(kept) == 6


def test_missing_file_is_an_error_record(tmp_path: Path) -> None:
    report = inspect_file(str(tmp_path / "nope.zip"), ZipConfig())
    assert report.error is not None
    assert report.error.phase == "open"
    assert report.error.errno == errno.ENOENT
    assert report.findings == []


def test_directory_and_fifo_are_not_regular_files(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.zip"
    os.mkfifo(fifo)
    for path in (tmp_path, fifo):
        report = inspect_file(str(path), ZipConfig())
        assert report.error is not None
        assert report.error.errno in (None, errno.EISDIR)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "e.zip"
    path.write_bytes(b"")
    report = inspect_file(str(path), ZipConfig())
    assert [f.code for f in report.findings] == ["empty-file"]


def test_fileview_slices_and_find_across_blocks(tmp_path: Path) -> None:
    data = os.urandom(5 * BLOCK + 123)
    data = data[: 2 * BLOCK - 2] + b"PK\x03\x04" + data[2 * BLOCK + 2 :]
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        view = FileView(fd, len(data))
        assert len(view) == len(data)
        for start, stop in [
            (0, 10),
            (BLOCK - 5, BLOCK + 5),
            (3, 3 * BLOCK),
            (len(data) - 4, len(data) + 50),
        ]:
            assert view[start:stop] == data[start:stop]
        assert view.find(b"PK\x03\x04", 0, len(data)) == data.find(b"PK\x03\x04")
        assert view.find(b"PK\x03\x04", 2 * BLOCK) == data.find(b"PK\x03\x04", 2 * BLOCK)
        with pytest.raises(ValueError):
            view[0:10:2]
        # A file that shrinks under us gives short reads, not a crash.
        os.truncate(path, 100)
        assert view[4 * BLOCK : 4 * BLOCK + 10] in (b"", data[4 * BLOCK : 4 * BLOCK + 10])
    finally:
        os.close(fd)


def test_file_truncated_to_nothing_after_listing_is_still_a_report(tmp_path: Path) -> None:
    data = many_members_zip(20_000)
    path = tmp_path / "t.zip"
    path.write_bytes(data[: len(data) // 2])
    report = inspect_file(str(path), ZipConfig())
    assert report.error is None
    assert {f.code for f in report.findings} & {"truncated", "not-a-zip"}


def test_sparse_large_archive_is_audited_through_the_block_cache(tmp_path: Path) -> None:
    """Big members: the audit reads local headers block by block (not the whole file),
    and finds the same things as an in-memory inspection."""
    big = [stored(f"blob{i}.bin", os.urandom(200_000)) for i in range(4)]
    data = build_zip([*big, replace(big[0], name=b"again.bin", offset=0, write_local=False)])
    path = tmp_path / "sparse.zip"
    path.write_bytes(data)
    assert len(data) > WHOLE_READ_LIMIT
    assert len(data) > 5 * BLOCK  # fewer members than blocks: the FileView path
    cfg = ZipConfig(verify=True)
    from_file = inspect_file(str(path), cfg)
    assert from_file.as_dict() == inspect_bytes(data, str(path), cfg).as_dict()
    assert {f.code for f in from_file.findings} == {"local-mismatch", "overlapping-entries"}


def test_inspection_leaves_the_garbage_collector_as_it_was() -> None:
    data = ordinary_zip(3, 10)
    assert gc.isenabled()
    inspect_bytes(data, "a.zip", ZipConfig())
    assert gc.isenabled()
    gc.disable()
    try:
        inspect_bytes(data, "a.zip", ZipConfig())
        assert not gc.isenabled()
    finally:
        gc.enable()


class _Recorder:
    """A MemberSink that records what it is told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, int]] = []
        self.names: list[str] = []
        self.largest = 0

    def begin(self, archive: str) -> None:
        self.events.append(("begin", archive, 0))

    def members(self, archive: str, chunk: Sequence[Member]) -> None:
        self.events.append(("members", archive, len(chunk)))
        self.names += [m.name for m in chunk]
        self.largest = max(self.largest, len(chunk))

    def end(self, archive: str) -> None:
        self.events.append(("end", archive, 0))


def test_a_sink_gets_every_member_in_chunks_nested_archives_after_their_outer_end(
    tmp_path: Path,
) -> None:
    inner = many_members_zip(5000)
    outer = build_zip([stored("a.txt", b"a"), stored("lib/inner.zip", inner), stored("z", b"")])
    path = tmp_path / "outer.zip"
    path.write_bytes(outer)
    sink = _Recorder()
    report = inspect_file(str(path), ZipConfig(), sink)
    assert report.members is None  # handed on, not kept
    kept = inspect_file(str(path), ZipConfig(keep_members=True))
    assert kept.members is not None and kept.nested[0].members is not None
    assert sink.names == [m.name for m in kept.members + kept.nested[0].members]
    outer_path, inner_path = str(path), f"{path}!lib/inner.zip"
    kinds = [(kind, archive) for kind, archive, _n in sink.events]
    assert kinds == [
        ("begin", outer_path),
        ("members", outer_path),
        ("end", outer_path),
        ("begin", inner_path),
        ("members", inner_path),
        ("members", inner_path),
        ("end", inner_path),
    ]
    assert sink.largest == CHUNK_MEMBERS  # 5,000 members: a chunk of 4,096, then the rest


def test_an_empty_archive_begins_and_ends_with_no_members() -> None:
    sink = _Recorder()
    inspect_bytes(build_zip([]), "e.zip", ZipConfig(), sink=sink)
    assert sink.events == [("begin", "e.zip", 0), ("end", "e.zip", 0)]


#: Run in a fresh interpreter: inspect argv[1] with argv[2]'s config, print the peak RSS
#: (VmHWM: of this process image alone) in KiB.
_PEAK_CHILD = """
import sys
from dataclasses import replace
from scanner.archives.config import ZipConfig
from scanner.archives.zip.inspect import inspect_file

class Sink:
    def begin(self, archive): pass
    def members(self, archive, chunk): pass
    def end(self, archive): pass

names = replace(ZipConfig(), audit=False, recurse=False)
configs = {"floor": None, "streamed": names, "kept": replace(names, keep_members=True),
           "audited": ZipConfig()}
cfg = configs[sys.argv[2]]
if cfg is not None:
    assert inspect_file(sys.argv[1], cfg, Sink()).member_count == int(sys.argv[3])
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        print(line.split()[1])
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (VmHWM)")
def test_memory_follows_a_chunk_not_the_member_count(tmp_path: Path) -> None:
    """Issue 13: a 1M-member archive cost 423-627 MiB because every member was held. With
    a sink and no kept members, what the reader adds at its peak is a window and a chunk
    (plus the audit's ~44 bytes per member), whatever the member count
    (``benchmarks/bench_zip_memory.py`` measures 1M members)."""
    from benchmarks.bench_zip_memory import write_archive

    members = 100_000
    path = tmp_path / "m.zip"
    write_archive(path, members)

    def peak(mode: str) -> int:
        argv = [sys.executable, "-c", _PEAK_CHILD, str(path), mode, str(members)]
        ran = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=REPO)
        return int(ran.stdout) * 1024

    floor = peak("floor")
    streamed, kept, audited = (peak(m) - floor for m in ("streamed", "kept", "audited"))
    assert streamed < 12 * MIB  # a window, a chunk and their parse (~6 MiB measured)
    assert kept > 3 * streamed  # ~400 bytes per kept member (~42 MiB measured)
    # the audit may read a file under 32 MiB whole (members average under a block)
    assert audited < 8 * MIB + members * 64 + path.stat().st_size


def test_a_file_that_shrinks_while_its_directory_is_read_ends_the_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The directory is read window by window; a window that comes back short (the file
    was cut meanwhile) ends the reading with a finding, never a loop nor a traceback."""
    from scanner.archives.zip import central

    path = tmp_path / "m.zip"
    path.write_bytes(many_members_zip(20_000))
    monkeypatch.setattr(central, "WINDOW", 300_000)
    real = FileView.__getitem__
    reads = []

    def shrinking(view: FileView, key: slice) -> bytes:
        reads.append(key)
        if len(reads) == 3:  # the end records were read, then a first window
            os.truncate(path, path.stat().st_size - 400_000)
        return real(view, key)

    monkeypatch.setattr(FileView, "__getitem__", shrinking)
    report = inspect_file(str(path), replace(ZipConfig(), audit=False))
    assert report.error is None
    assert 0 < report.member_count < 20_000
    assert "cd-count-mismatch" in {f.code for f in report.findings}
