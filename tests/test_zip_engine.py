"""The archive engine's scheduling, with a deterministic fake work unit (asyncio and trio)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import anyio
import pytest

from scanner import exit_codes
from scanner.archives.config import EngineConfig, ProcessPolicy, ZipConfig
from scanner.archives.engine import ArchiveEngine, inspect_paths
from scanner.archives.jobs import ZipJob
from scanner.archives.model import ArchiveReport, Candidate, Finding, Member, Severity
from scanner.archives.views import View, ZipView
from scanner.output.formats import Format
from scanner.output.writers import make_writer
from scanner.runtime.command import Output, run_job
from scanner.runtime.session import Session
from tests.cli_helpers import REPO
from tests.zip_corpus import Corpus, build_corpus

pytestmark = pytest.mark.anyio

THREADS_ONLY = EngineConfig(workers=1, processes=ProcessPolicy.NEVER, deadline=None)


class FakeWork:
    """Answers instantly, except for paths containing "slow", which block on ``release``."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.threads: set[int] = set()
        self.release = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, path: str, cfg: ZipConfig) -> ArchiveReport:
        with self.lock:
            self.calls[path] += 1
            self.threads.add(threading.get_ident())
        if "slow" in path:
            self.release.wait(timeout=30)
        finding = Finding("fake", Severity.LOW, None, "seen by the fake work unit")
        return ArchiveReport(path=path, member_count=1, findings=[finding])


async def collect(
    candidates: list[Candidate], engine: EngineConfig, work: FakeWork
) -> tuple[list[ArchiveReport], int]:
    reports: list[ArchiveReport] = []

    async def on_report(report: ArchiveReport) -> None:
        reports.append(report)

    stats = await inspect_paths(candidates, ZipConfig(), on_report, engine, work)
    return reports, stats.batches


async def test_every_candidate_is_reported_exactly_once() -> None:
    work = FakeWork()
    candidates = [Candidate(f"/a/{i}.zip", 1000) for i in range(100)]
    reports, _ = await collect(candidates, EngineConfig(workers=3, deadline=None), work)
    assert sorted(r.path for r in reports) == sorted(c.path for c in candidates)
    assert set(work.calls.values()) == {1}


async def test_small_archives_share_a_thread_hop_big_ones_go_alone() -> None:
    work = FakeWork()
    small = [Candidate(f"/s/{i}.zip", 1000) for i in range(100)]
    reports, batches = await collect(small, THREADS_ONLY, work)
    assert len(reports) == 100
    # one worker with a backlog of 100: batches of batch_max_files (32)
    assert batches == 4

    work = FakeWork()
    big = [Candidate(f"/b/{i}.zip", 10 * 1024 * 1024) for i in range(5)]
    reports, batches = await collect(big, THREADS_ONLY, work)
    assert (len(reports), batches) == (5, 5)


async def test_unknown_size_is_never_batched() -> None:
    work = FakeWork()
    reports, batches = await collect([Candidate(f"/u/{i}") for i in range(4)], THREADS_ONLY, work)
    assert (len(reports), batches) == (4, 4)


async def test_deadline_abandons_the_slow_archive_and_keeps_its_batch() -> None:
    work = FakeWork()
    candidates = [
        Candidate("/t/a.zip", 10),
        Candidate("/t/slow.zip", 10),
        Candidate("/t/c.zip", 10),
        Candidate("/t/d.zip", 10),
    ]
    engine = EngineConfig(workers=1, processes=ProcessPolicy.NEVER, deadline=0.2)
    try:
        reports, _ = await collect(candidates, engine, work)
    finally:
        work.release.set()
    by_path = {r.path: r for r in reports}
    assert sorted(by_path) == sorted(c.path for c in candidates)
    slow = by_path["/t/slow.zip"]
    assert slow.error is not None and slow.error.phase == "deadline"
    assert "0.2 s deadline" in slow.error.message
    # the rest of the batch was re-queued and inspected once each, the slow one not re-run
    assert all(by_path[p].error is None for p in ("/t/a.zip", "/t/c.zip", "/t/d.zip"))
    assert work.calls["/t/slow.zip"] == 1 and work.calls["/t/c.zip"] == 1


async def test_outer_cancellation_stops_without_waiting_for_threads() -> None:
    work = FakeWork()
    candidates = [Candidate("/x/slow.zip"), Candidate("/x/b.zip")]
    reports: list[ArchiveReport] = []

    async def on_report(report: ArchiveReport) -> None:
        reports.append(report)

    engine = EngineConfig(workers=2, processes=ProcessPolicy.NEVER, deadline=None)
    try:
        with anyio.move_on_after(0.3) as scope:
            await inspect_paths(candidates, ZipConfig(), on_report, engine, work)
        # returned while the slow work unit is still blocked: nothing waited for it
        assert scope.cancelled_caught
        assert not work.release.is_set()
        assert [r.path for r in reports] == ["/x/b.zip"]
    finally:
        work.release.set()


async def test_reports_stream_while_others_are_still_running() -> None:
    work = FakeWork()
    seen_before_release: list[str] = []

    async def on_report(report: ArchiveReport) -> None:
        if not work.release.is_set():
            seen_before_release.append(report.path)
        if report.path == "/y/fast.zip":
            work.release.set()  # only now may the slow one finish

    engine = EngineConfig(workers=2, processes=ProcessPolicy.NEVER, deadline=None)
    candidates = [Candidate("/y/slow.zip"), Candidate("/y/fast.zip")]
    try:
        stats = await inspect_paths(candidates, ZipConfig(), on_report, engine, work)
    finally:
        work.release.set()
    assert seen_before_release == ["/y/fast.zip"]
    assert stats.archives == 2


async def test_memory_stream_input_is_consumed_until_closed() -> None:
    work = FakeWork()
    reports: list[ArchiveReport] = []

    async def on_report(report: ArchiveReport) -> None:
        reports.append(report)

    send, receive = anyio.create_memory_object_stream[Candidate](1)
    engine = ArchiveEngine(ZipConfig(), EngineConfig(workers=2, deadline=None), on_report, work)

    async def produce() -> None:
        async with send:
            for i in range(10):
                await send.send(Candidate(f"/m/{i}.zip", 100))

    async with anyio.create_task_group() as tg:
        tg.start_soon(produce)
        stats = await engine.run(receive)
    assert stats.archives == 10 and len(reports) == 10


def test_engine_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="workers"):
        EngineConfig(workers=0)
    with pytest.raises(ValueError, match="deadline"):
        EngineConfig(deadline=0)


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    return build_corpus(tmp_path / "tree")


PROCESS_CHECK = """
import json, sys, anyio
from scanner.archives.config import ZipConfig
from scanner.archives.model import Candidate
from scanner.archives.config import EngineConfig, ProcessPolicy
from scanner.archives.engine import inspect_paths

async def reports(paths, policy):
    out = []

    async def on_report(report):
        out.append(report)

    candidates = [Candidate(p) for p in paths]
    engine = EngineConfig(workers=2, processes=policy, deadline=30)
    stats = await inspect_paths(candidates, ZipConfig(), on_report, engine)
    return sorted(out, key=lambda r: r.path), stats.in_processes

async def main(paths):
    threads, n_threads = await reports(paths, ProcessPolicy.NEVER)
    procs, n_procs = await reports(paths, ProcessPolicy.ALWAYS)
    print(json.dumps({"same": threads == procs, "in_processes": [n_threads, n_procs],
                      "findings": sum(len(r.findings) for r in threads)}))

if __name__ == "__main__":
    anyio.run(main, sys.argv[2:], backend=sys.argv[1])
"""


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_worker_processes_give_the_same_reports_as_threads(corpus: Corpus, backend: str) -> None:
    # In a fresh interpreter: worker processes and child watchers are process-global
    # state, which other tests of the session (ping's pidfd child watcher) leave behind.
    paths = sorted(str(p) for p in corpus.by_extension)
    done = subprocess.run(
        [sys.executable, "-c", PROCESS_CHECK, backend, *paths],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result == {"same": True, "in_processes": [0, len(paths)], "findings": result["findings"]}
    assert result["findings"] > 0


async def test_a_whole_run_writes_the_same_records_on_each_backend(
    corpus: Corpus, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    # stdout, not --output: the shared report-file sink uses aiofiles, which is asyncio-only
    job = _job((str(corpus.root),), EngineConfig(workers=3), sniff=True)
    assert await run_job(job, Output(Format.JSONL, quiet=True), Session()) == exit_codes.OK
    recs = [json.loads(line) for line in capsysbinary.readouterr().out.splitlines()]
    paths = sorted(r["path"] for r in recs if r["record"] == "archive")
    assert paths == sorted(str(p) for p in [*corpus.by_extension, corpus.hidden])
    assert recs[-1]["record"] == "summary" and recs[-1]["archives"] == 7
    assert job.totals.findings[Severity.HIGH] == 3


async def test_fail_on_and_errors_choose_the_exit_code(
    corpus: Corpus, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    paths = (str(corpus.plain), str(corpus.traversal))
    csv = Output(Format.CSV, quiet=True)
    job = _job(paths, fail_on=Severity.HIGH)
    assert await run_job(job, csv, Session()) == exit_codes.PARTIAL
    job = _job(paths, fail_on=Severity.CRITICAL)
    assert await run_job(job, csv, Session()) == exit_codes.OK
    job = _job((str(corpus.plain), str(tmp_path / "missing.zip")))
    code = await run_job(job, Output(Format.TEXT, quiet=True), Session())
    assert code == exit_codes.PARTIAL and job.totals.errors == 1
    assert capsysbinary.readouterr().out.count(b"path,members") == 2  # one CSV header per run


def _job(
    paths: tuple[str, ...],
    engine: EngineConfig | None = None,
    *,
    sniff: bool = False,
    fail_on: Severity | None = None,
) -> ZipJob:
    view = ZipView(View.ARCHIVES, roots=paths)
    engine = engine or EngineConfig()
    return ZipJob(paths, ZipConfig(), engine, view, sniff=sniff, fail_on=fail_on)


class ListSink:
    """Collects what a writer writes."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    async def write(self, data: str | bytes) -> None:
        self.parts.append(data.decode() if isinstance(data, bytes) else data)

    async def flush(self) -> None:
        return None


HOSTILE_NAME = "evil\x1b[2J\u202e.txt"


def _hostile_report() -> ArchiveReport:
    member = Member(
        name=HOSTILE_NAME,
        raw_name=HOSTILE_NAME.encode(),
        compressed_size=3,
        uncompressed_size=3,
        method=0,
        crc=0,
        flags=0,
        mtime="2024-01-02T03:04:05",
        create_system=3,
        external_attr=0,
        local_header_offset=0,
        is_dir=False,
        is_symlink=False,
        encrypted=False,
        zip64=False,
    )
    finding = Finding("control-char-in-name", Severity.LOW, HOSTILE_NAME, "control characters")
    return ArchiveReport(path="/x/a\nb.zip", member_count=1, members=[member], findings=[finding])


@pytest.mark.parametrize("view", [View.MEMBERS, View.FINDINGS, View.ARCHIVES])
async def test_names_are_escaped_on_a_terminal(view: View) -> None:
    sink = ListSink()
    writer = make_writer(Format.TEXT, sink, ZipView(view), terminal=True)
    await writer.write("archive", [_hostile_report()])
    text = "".join(sink.parts)
    assert "\x1b" not in text and "\u202e" not in text and "a\nb.zip" not in text
    assert "a\\nb.zip" in text
    if view is not View.ARCHIVES:
        assert "evil\\e[2J\\u202e.txt" in text


async def test_names_are_exact_in_jsonl() -> None:
    sink = ListSink()
    writer = make_writer(Format.JSONL, sink, ZipView(View.MEMBERS), terminal=True)
    report = _hostile_report()
    await writer.write("member", [(report.path, m) for m in report.members or ()])
    await writer.write("archive", [report])
    recs = [json.loads(line) for line in "".join(sink.parts).splitlines()]
    assert recs[0]["record"] == "member" and recs[0]["name"] == HOSTILE_NAME
    assert recs[1]["path"] == "/x/a\nb.zip"
    assert recs[1]["findings"][0]["member"] == HOSTILE_NAME
