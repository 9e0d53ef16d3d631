"""An inspection the engine abandons stops in its thread too (``scanner.archives.stop``):
a Ctrl-C'd ``zip --verify`` used to wait at exit for the member being decompressed."""

from __future__ import annotations

import threading
import time
import zipfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import anyio
import pytest

from scanner.archives.config import EngineConfig, ProcessPolicy, ZipConfig
from scanner.archives.engine import inspect_paths
from scanner.archives.model import ArchiveReport, Candidate, Member
from scanner.archives.stop import Stopped, check, stoppable
from scanner.archives.zip.central import CHUNK_MEMBERS
from scanner.archives.zip.inspect import inspect_file
from scanner.labs.archives import nested_zip, write_bzip2_member

VERIFY = replace(ZipConfig(), verify=True, verify_chunk=64 * 1024)


def test_verify_stops_at_its_next_chunk_once_asked(tmp_path: Path) -> None:
    path = tmp_path / "zeros.zip"
    write_bzip2_member(path, 8 << 20)  # 128 chunks of 64 KiB
    flag = threading.Event()
    flag.set()
    with stoppable(flag), pytest.raises(Stopped):
        inspect_file(str(path), VERIFY)
    # and with the flag down, or no flag at all, the same inspection is whole
    with stoppable(threading.Event()):
        assert inspect_file(str(path), VERIFY).member_count == 1
    assert inspect_file(str(path), VERIFY).member_count == 1


def test_nested_archives_stop_once_asked(tmp_path: Path) -> None:
    path = tmp_path / "nested.zip"
    path.write_bytes(nested_zip(3))
    flag = threading.Event()
    flag.set()
    with stoppable(flag), pytest.raises(Stopped):
        inspect_file(str(path), ZipConfig())
    assert len(inspect_file(str(path), ZipConfig()).nested) == 1


class StopAfterFirstChunk:
    """A listing sink that asks the inspection to stop once it has the first chunk."""

    def __init__(self, flag: threading.Event) -> None:
        self.flag = flag
        self.seen = 0

    def begin(self, archive: str) -> None:
        pass

    def members(self, archive: str, chunk: Sequence[Member]) -> None:
        self.seen += len(chunk)
        self.flag.set()

    def end(self, archive: str) -> None:
        pass


def test_a_long_central_directory_stops_at_its_next_chunk(tmp_path: Path) -> None:
    # a 1M-member directory takes seconds to read: Ctrl-C waited for all of it
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(3 * CHUNK_MEMBERS):
            zf.writestr(f"f{i}", b"")
    flag = threading.Event()
    sink = StopAfterFirstChunk(flag)
    with stoppable(flag), pytest.raises(Stopped):
        inspect_file(str(path), ZipConfig(), sink)
    assert sink.seen == CHUNK_MEMBERS
    assert inspect_file(str(path), ZipConfig()).member_count == 3 * CHUNK_MEMBERS


class EndlessWork:
    """A work unit that only ends when the engine stops it (or after a safety cap)."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.stopped = threading.Event()
        self.ended = threading.Event()

    def __call__(self, path: str, cfg: ZipConfig) -> ArchiveReport:
        self.started.set()
        try:
            for _ in range(60_000):  # a cap, so that a failing test cannot keep the thread
                check()
                time.sleep(0.001)
        except Stopped:
            self.stopped.set()
            raise
        finally:
            self.ended.set()
        return ArchiveReport(path=path)


@pytest.mark.anyio
async def test_an_outer_cancellation_stops_the_thread_too() -> None:
    work = EndlessWork()
    reports: list[ArchiveReport] = []

    async def on_report(report: ArchiveReport) -> None:
        reports.append(report)

    engine = EngineConfig(workers=1, processes=ProcessPolicy.NEVER, deadline=None)
    async with anyio.create_task_group() as tg:
        tg.start_soon(
            inspect_paths, [Candidate("/x/endless.zip")], ZipConfig(), on_report, engine, work
        )
        await anyio.to_thread.run_sync(work.started.wait)
        tg.cancel_scope.cancel()  # Ctrl-C: the work scope is cancelled
    assert await anyio.to_thread.run_sync(work.ended.wait, 30)
    assert work.stopped.is_set()  # ended by the engine's flag, not by the cap
    assert reports == []
