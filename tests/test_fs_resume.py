"""A directory read across several batches: the work unit stops inside a directory when its
budget is spent and a later batch resumes the open ``scandir`` iterator. The result must be
the one of a single unlimited batch, for every option, and no directory may stay open, also
when a walk is cancelled or fails part-way."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import pytest

from scanner.cluster.wire import pack_tasks, unpack_tasks
from scanner.compare.variants import walk as walk_variants
from scanner.fs import (
    BatchResult,
    Budget,
    DirTask,
    Entry,
    OpenDir,
    ReportBuilder,
    SharedState,
    WalkBatch,
    WalkConfig,
    Walker,
    WalkReport,
    close_tasks,
    root_tasks,
    scan_batch,
)
from scanner.fs import _unit as unit_module
from scanner.fs import tuner as tuner_module
from scanner.fs.listed import ListedDir, drain, split
from tests.fs_helpers import make_files

UNLIMITED = Budget(max_entries=sys.maxsize, max_seconds=math.inf)
TINY = Budget(max_entries=3, max_seconds=math.inf)
WIDE = 700  # entries of the wide directory


def open_fds() -> int:
    """File descriptors open in this process right now."""
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One wide directory (files of several kinds, subdirectories among them, hidden and
    excluded names, hard links, symlinks, a loop, a FIFO) and a little depth below it."""
    root = tmp_path_factory.mktemp("resume") / "root"
    spec: dict[str, int | None] = {}
    exts = ["txt", "zip", "JPG", "tar.gz", "", "tmp"]
    for i in range(WIDE):
        ext = exts[i % len(exts)]
        name = f"f{i:04d}" + (f".{ext}" if ext else "")
        if i % 50 == 7:
            name = "." + name
        spec[f"wide/{name}"] = (i * 37) % 5000
        if i % 100 == 3:
            spec[f"wide/d{i:04d}"] = None
            spec[f"wide/d{i:04d}/inner.txt"] = i
            spec[f"wide/d{i:04d}/deeper/leaf.zip"] = 2 * i
    spec["other/a.txt"] = 10
    make_files(root, spec)
    os.link(root / "wide" / "f0001.zip", root / "wide" / "hard-link.zip")
    os.link(root / "wide" / "f0001.zip", root / "other" / "hard-link.zip")
    os.symlink("../other", root / "wide" / "to-other")
    os.symlink("..", root / "wide" / "d0003" / "loop")
    os.symlink("missing", root / "wide" / "dangling")
    os.mkfifo(root / "wide" / "fifo")
    return root


CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    "counting": {"listing": False},
    "no-hidden": {"hidden": False},
    "excludes": {"excludes": ("*.tmp", "wide/d0103")},
    "types": {"types": frozenset("fl")},
    "archives": {"types": frozenset("f"), "list_extensions": frozenset({"zip", "gz"})},
    "follow": {"follow": True},
    "one-file-system": {"one_file_system": True},
    "max-depth": {"max_depth": 2},
    "names-only": {"stat_files": False, "largest": 0},
    "stat-listed": {"stat_listed": True, "largest": 3},
}


def config(root: Path, name: str) -> WalkConfig:
    base = WalkConfig(roots=(str(root),), listing=True, largest=20)
    return replace(base, **CONFIGS[name])


def canonical(report: WalkReport, entries: list[Entry]) -> dict[str, Any]:
    t = report.totals
    return {
        "totals": (t.files, t.dirs, t.symlinks, t.other, t.bytes, t.errors),
        "extensions": report.extensions.as_dict(),
        "errors": sorted((e.subject, e.phase, e.errno) for e in report.errors),
        "largest": [(f.size, f.path) for f in report.largest],
        "entries": sorted(entries, key=lambda e: e.path),
    }


def unit_loop(
    cfg: WalkConfig,
    budget: Budget,
    move: Callable[[list[DirTask]], list[DirTask]] | None = None,
) -> tuple[WalkReport, list[Entry], int, int]:
    """The work unit alone, one task per call as a plain loop would (``move``: what becomes
    of each call's frontier on its way back); returns the report, the entries, the number
    of calls and how many of them stopped inside a directory."""
    shared = SharedState()
    builder = ReportBuilder(cfg)
    first = root_tasks(cfg, shared)
    builder.merge(first)
    entries = list(first.entries)
    frontier = list(first.frontier)
    calls = resumed = 0
    while frontier:
        res = scan_batch([frontier.pop()], cfg, budget, shared)
        builder.merge(res)
        entries += res.entries
        calls += 1
        resumed += any(t.open is not None for t in res.frontier)
        assert len(res.entries) <= budget.max_entries
        frontier.extend(res.frontier if move is None else move(res.frontier))
    return builder.finish(0.0), entries, calls, resumed


def drive(cfg: WalkConfig, budget: Budget) -> tuple[dict[str, Any], int, int]:
    """``unit_loop``'s canonical result, number of calls and of calls stopped inside."""
    report, entries, calls, resumed = unit_loop(cfg, budget)
    return canonical(report, entries), calls, resumed


@pytest.mark.parametrize("name", list(CONFIGS))
def test_resumed_directories_give_the_result_of_one_unlimited_batch(wide: Path, name: str) -> None:
    cfg = config(wide, name)
    fds = open_fds()
    whole, calls, resumed = drive(cfg, UNLIMITED)
    assert calls == 1 and resumed == 0  # the whole tree in one call
    tiny, calls, resumed = drive(cfg, TINY)
    assert tiny == whole
    assert resumed > 100  # the wide directory alone is read in >100 pieces
    assert open_fds() == fds
    if name == "default":  # the fixture holds what the configs are meant to exercise
        assert whole["totals"][2] == 3 and whole["totals"][3] == 1  # symlinks, FIFO
        assert len(whole["entries"]) > WIDE


class StopAfter(SharedState):
    """A stop flag that turns on after it was read ``reads`` times (as a cancelled walk
    sets it while a work unit runs)."""

    def __init__(self, reads: int) -> None:
        self.reads = reads
        super().__init__()

    @property
    def stop(self) -> bool:
        self.reads -= 1
        return self.reads < 0

    @stop.setter
    def stop(self, value: bool) -> None:
        pass


def wide_task(root: Path) -> tuple[WalkConfig, DirTask]:
    path = str(root / "wide")
    return WalkConfig(roots=(path,), listing=True), DirTask(path, 0, len(path) + 1)


def test_the_stop_flag_ends_a_batch_inside_a_directory(wide: Path) -> None:
    cfg, task = wide_task(wide)
    budget = Budget(max_entries=10**6, max_seconds=math.inf, check_every=5)
    # read once before the directory, once after its 5th entry
    res = scan_batch([task], cfg, budget, StopAfter(reads=1))
    assert res.totals.entries == 5
    assert res.frontier[-1].open is not None
    # stopped before it starts: the open directory comes back untouched
    again = scan_batch(res.frontier, cfg, budget, StopAfter(reads=0))
    assert again.totals.entries == 0 and again.frontier == res.frontier
    rest = scan_batch(again.frontier, cfg, UNLIMITED, SharedState())
    assert rest.frontier == []
    names = {e.name for e in res.entries} | {e.name for e in rest.entries if e.depth == 1}
    assert names == set(os.listdir(wide / "wide"))


def test_the_deadline_ends_a_batch_inside_a_directory(
    wide: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg, task = wide_task(wide)
    # a clock that jumps past the deadline once the batch is inside the directory: read at
    # the start (not before the first directory: that one is read whatever the clock
    # says), then after every 7 entries
    times = iter([0.0])
    monkeypatch.setattr(unit_module, "perf_counter", lambda: next(times, 1000.0))
    res = scan_batch([task], cfg, Budget(10**6, 100.0, check_every=7), SharedState())
    assert res.totals.entries == 7
    assert res.frontier[-1].open is not None
    close_tasks(res.frontier)


def test_close_tasks_closes_once_and_a_closed_directory_cannot_be_resumed(wide: Path) -> None:
    fds = open_fds()
    cfg = WalkConfig(roots=(str(wide),))
    res = scan_batch([DirTask(str(wide / "wide"), 0, 0)], cfg, TINY, SharedState())
    held = [t for t in res.frontier if t.open is not None]
    assert len(held) == 1 and open_fds() == fds + 2  # the directory fd and scandir's own
    close_tasks(res.frontier)
    close_tasks(res.frontier)  # idempotent: never closes a number reused by someone else
    assert open_fds() == fds
    with pytest.raises(RuntimeError):
        scan_batch(held, cfg, TINY, SharedState())
    assert open_fds() == fds


@pytest.fixture
def tiny_engine_budgets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every budget the tuner hands out is 3 entries (fast or slow file system)."""
    monkeypatch.setattr(tuner_module, "START_BUDGET", TINY)
    monkeypatch.setattr(tuner_module, "SLOW_BUDGET", TINY)
    monkeypatch.setattr(tuner_module, "FAST_MAX_ENTRIES", 3)
    yield


async def engine_walk(cfg: WalkConfig) -> tuple[dict[str, Any], int]:
    entries: list[Entry] = []
    biggest = 0

    async def consume(batch: WalkBatch) -> None:
        nonlocal biggest
        entries.extend(batch.entries)
        biggest = max(biggest, len(batch.entries))

    report = await Walker(cfg, consume).run()
    return canonical(report, entries), biggest


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["default", "follow", "excludes", "archives"])
@pytest.mark.usefixtures("tiny_engine_budgets")
async def test_the_engine_resumes_directories_across_batches(wide: Path, name: str) -> None:
    cfg = config(wide, name)
    fds = open_fds()
    whole, _, _ = drive(cfg, UNLIMITED)
    for workers in (1, 4):
        got, biggest = await engine_walk(replace(cfg, workers=workers))
        # batches of 3 entries; a root that is a directory lists nothing itself
        assert biggest <= 3
        assert got == whole, workers
    assert open_fds() == fds


@pytest.mark.parametrize("variant", ["threads", "thread-per-worker", "sequential"])
@pytest.mark.usefixtures("tiny_engine_budgets")
def test_the_comparison_schedulers_resume_directories_too(wide: Path, variant: str) -> None:
    cfg = config(wide, "default")
    fds = open_fds()
    whole, _, _ = drive(cfg, UNLIMITED)
    run = walk_variants.WORKLOAD.variants[variant].run
    report = run(walk_variants.WORKLOAD.prepare({"root": wide}, 0), 3)
    assert walk_variants.canonical(report)["totals"] == list(whole["totals"])
    assert report.extensions.as_dict() == whole["extensions"]
    assert open_fds() == fds


@pytest.mark.parametrize("variant", ["threads", "thread-per-worker"])
@pytest.mark.usefixtures("tiny_engine_budgets")
def test_a_failing_batch_leaves_no_directory_open(
    wide: Path, variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0

    def failing(tasks: list[DirTask], *args: Any) -> BatchResult:
        nonlocal calls
        calls += 1
        # fail while the wide directory is open somewhere else: on the frontier or in
        # another batch's result
        if calls >= 40 and not any(t.open is not None for t in tasks):
            raise RuntimeError("a bug in the work unit")
        return scan_batch(tasks, *args)

    monkeypatch.setattr(walk_variants, "scan_batch", failing)
    fds = open_fds()
    run = walk_variants.WORKLOAD.variants[variant].run
    with pytest.raises(RuntimeError, match="a bug"):
        run(walk_variants.WORKLOAD.prepare({"root": wide}, 0), 2)
    assert open_fds() == fds


@pytest.fixture(scope="module")
def one_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("one") / "dir"
    directory.mkdir()
    for i in range(20_000):
        os.close(os.open(directory / f"f{i:05d}.dat", os.O_CREAT | os.O_WRONLY, 0o644))
    return directory


@pytest.mark.anyio
@pytest.mark.parametrize("listing", [True, False])
async def test_cancelling_a_walk_mid_directory_closes_it(one_dir: Path, listing: bool) -> None:
    fds = open_fds()
    batches = 0
    with anyio.CancelScope() as scope:

        async def consumer(batch: WalkBatch) -> None:
            nonlocal batches
            batches += 1
            if batches == 2:  # the first batches are 256 entries: well inside the directory
                scope.cancel()

        walker = Walker(WalkConfig(roots=(str(one_dir),), listing=listing, workers=2), consumer)
        await walker.run()
    assert scope.cancelled_caught
    report = walker.report
    assert report.interrupted
    assert 0 < report.totals.files < 20_000
    assert walker.shared.running == 0
    assert walker.frontier_size == 0  # closed and dropped
    assert open_fds() == fds


@pytest.mark.anyio
async def test_a_failing_consumer_mid_directory_leaves_no_directory_open(one_dir: Path) -> None:
    fds = open_fds()

    async def consumer(batch: WalkBatch) -> None:
        if batch.entries:  # the first batch of the directory, not the roots' batch
            raise BrokenPipeError("the reader went away")

    with pytest.raises(BrokenPipeError):
        await Walker(WalkConfig(roots=(str(one_dir),), listing=True), consumer).run()
    assert open_fds() == fds


@pytest.mark.anyio
async def test_a_huge_directory_reaches_the_consumer_in_bounded_batches(one_dir: Path) -> None:
    sizes: list[int] = []

    async def consumer(batch: WalkBatch) -> None:
        sizes.append(len(batch.entries))

    report = await Walker(WalkConfig(roots=(str(one_dir),), listing=True), consumer).run()
    assert report.totals.files == sum(sizes) == 20_000
    assert max(sizes) <= tuner_module.FAST_MAX_ENTRIES
    assert len(sizes) > 2


@pytest.fixture(scope="module")
def many_wide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directories of 40 files each, with subdirectories among them, three levels deep."""
    root = tmp_path_factory.mktemp("many") / "root"
    spec: dict[str, int | None] = {}
    for a in range(6):
        for b in range(6):
            for i in range(40):
                spec[f"a{a}/f{i:02d}.txt"] = i
                spec[f"a{a}/b{b}/f{i:02d}.txt"] = i
    make_files(root, spec)
    return root


@pytest.mark.anyio
@pytest.mark.usefixtures("tiny_engine_budgets")
async def test_open_directories_stay_within_one_per_running_batch(many_wide: Path) -> None:
    # 42 directories, each read across ~14 batches of 3 entries by 4 workers: a frontier
    # that buried open directories under new ones would hold dozens open at once
    fds = open_fds()
    workers = 4
    most = 0

    async def consumer(batch: WalkBatch) -> None:
        nonlocal most
        most = max(most, open_fds() - fds)

    report = await Walker(WalkConfig(roots=(str(many_wide),), workers=workers), consumer).run()
    assert report.totals.files == 6 * 7 * 40
    assert most <= 2 * workers  # a directory fd and scandir's own per open directory
    assert open_fds() == fds


# --- a directory resumed in another process (cluster shares: scanner.fs.listed) -----------


def travel(tasks: list[DirTask], pieces: int) -> list[DirTask]:
    """What a cluster does with a share's frontier: every open directory drained into its
    names left, cut into ``pieces``, through the wire and back."""
    out: list[DirTask] = []
    for task in tasks:
        if isinstance(task.open, OpenDir):
            listed, rest, error = drain(task)
            assert error is None and rest is None
            if listed is not None:
                out += split(listed, pieces, 1, 10**6)
        else:
            out.append(task)
    return unpack_tasks(pack_tasks(out))


def drive_listed(cfg: WalkConfig, budget: Budget) -> tuple[WalkReport, list[Entry], int]:
    """``unit_loop`` as a cluster would: whatever a call leaves open travels (``travel``);
    returns the report, the entries and how many listed pieces went out."""
    listed = 0

    def move(frontier: list[DirTask]) -> list[DirTask]:
        nonlocal listed
        moved = travel(frontier, pieces=3)
        listed += sum(isinstance(t.open, ListedDir) for t in moved)
        return moved

    report, entries, _, _ = unit_loop(cfg, budget, move)
    return report, entries, listed


#: a budget that stops inside directories (what it leaves open travels)
SMALL = Budget(max_entries=40, max_seconds=math.inf, check_every=1)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_directories_listed_here_and_read_in_pieces_elsewhere_give_the_same_result(
    wide: Path, name: str
) -> None:
    cfg = config(wide, name)
    whole, _, _ = drive(cfg, UNLIMITED)
    fds = open_fds()
    report, entries, listed = drive_listed(cfg, SMALL)
    assert canonical(report, entries) == whole
    assert listed > 20  # the wide directory went out in many pieces
    assert open_fds() == fds


@pytest.fixture(scope="module")
def ignored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git work tree with ignore files at two levels, a wide directory among them."""
    root = tmp_path_factory.mktemp("listed-ignore") / "repo"
    spec: dict[str, int | str | None] = {
        ".gitignore": "*.tmp\nbig/skip*/\n",
        "big/.gitignore": "*.log\n!keep.log\n",
        "big/keep.log": 5,
        "other/a.txt": 10,
    }
    for i in range(300):
        spec[f"big/f{i:03d}.{('txt', 'tmp', 'log', 'bin')[i % 4]}"] = i
        if i % 60 == 0:
            spec[f"big/skip{i}/inner.txt"] = i
            spec[f"big/sub{i}/inner.tmp"] = i
            spec[f"big/sub{i}/deep/leaf.bin"] = 2 * i
    make_files(root, spec)
    os.mkdir(root / ".git")
    os.link(root / "big" / "f000.txt", root / "other" / "link.txt")
    return root


@pytest.mark.parametrize(
    "options",
    [
        {"gitignore": True},
        {"dir_totals": 2, "disk_usage": True},
        {"gitignore": True, "dir_totals": 3, "disk_usage": True, "hidden": False},
    ],
    ids=["gitignore", "du", "both"],
)
def test_listed_pieces_keep_ignore_rules_and_per_directory_totals(
    ignored: Path, options: dict[str, Any]
) -> None:
    cfg = replace(WalkConfig(roots=(str(ignored),), listing=True, largest=20), **options)
    whole, whole_entries, _ = drive_listed(cfg, UNLIMITED)
    report, entries, listed = drive_listed(cfg, SMALL)
    assert listed > 5
    assert canonical(report, entries) == canonical(whole, whole_entries)
    assert report.totals.ignored == whole.totals.ignored
    assert (report.dirs and report.dirs.records) == (whole.dirs and whole.dirs.records)
    if cfg.gitignore:
        assert report.totals.ignored > 100  # the rules held in every piece
    if cfg.dir_totals is not None:
        assert report.dirs is not None and len(report.dirs.records) > 3


def test_a_listed_entry_answers_as_a_dir_entry(wide: Path) -> None:
    # every kind of the wide directory: files, hard links, directories, symlinks to a
    # directory and to nothing, a FIFO; ListedEntry as drain() lists it, through the fd
    path = str(wide / "wide")
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with os.scandir(path) as it:
            real = {e.name: e for e in it}
        rest = drain(DirTask(path, 0, 0, open=OpenDir(os.scandir(fd), os.dup(fd)))).listed
        assert rest is not None and isinstance(rest.open, ListedDir)
        assert sorted(rest.open.names) == sorted(real)
        assert set(rest.open.kinds) == set("fdl?")  # the FIFO's type needs a stat
        for entry in rest.open.entries(fd):
            want = real[entry.name]
            for follow in (True, False):
                assert entry.is_file(follow_symlinks=follow) == want.is_file(follow_symlinks=follow)
                assert entry.is_dir(follow_symlinks=follow) == want.is_dir(follow_symlinks=follow)
                try:
                    expected = want.stat(follow_symlinks=follow)
                except OSError as exc:
                    with pytest.raises(type(exc)):
                        entry.stat(follow_symlinks=follow)
                else:
                    got = entry.stat(follow_symlinks=follow)
                    assert (got.st_ino, got.st_mode, got.st_size) == (
                        expected.st_ino,
                        expected.st_mode,
                        expected.st_size,
                    )
            assert entry.is_symlink() == want.is_symlink()
    finally:
        os.close(fd)


def test_drain_lists_only_what_is_left_and_closes_the_directory(wide: Path) -> None:
    cfg, task = wide_task(wide)
    fds = open_fds()
    res = scan_batch([task], cfg, Budget(10**6, math.inf, check_every=1), StopAfter(reads=11))
    opened = res.frontier[-1]
    assert isinstance(opened.open, OpenDir)
    rest, still_open, error = drain(opened)
    assert error is None and still_open is None
    assert rest is not None and isinstance(rest.open, ListedDir)
    assert open_fds() == fds  # the iterator and its fd closed
    read = {e.name for e in res.entries}
    assert 0 < len(read) < 20
    assert read.isdisjoint(rest.open.names)
    assert read | set(rest.open.names) == set(os.listdir(wide / "wide"))
    # the pieces keep the order, cover every name once, and a small rest stays whole
    pieces = split(rest, 4, 32, 10**6)
    assert len(pieces) == 4
    names = [n for p in pieces for n in p.open.names]  # type: ignore[union-attr]
    assert names == list(rest.open.names)
    assert split(rest, 4, 10**5, 10**6) == [rest]
    assert all(len(p.open) <= 100 for p in split(rest, 2, 1, 100))  # type: ignore[arg-type]


def test_an_open_directory_cannot_travel(wide: Path) -> None:
    cfg, task = wide_task(wide)
    res = scan_batch([task], cfg, TINY, SharedState())
    try:
        with pytest.raises(TypeError, match="cannot travel"):
            pack_tasks(res.frontier)
    finally:
        close_tasks(res.frontier)


def test_drain_lists_at_most_so_many_names_and_hands_the_rest_back_open(wide: Path) -> None:
    # a share sends back at most so many names of one directory (what a result holds stays
    # bounded) and reads the rest itself: a spent budget still reads its first task whole
    cfg, task = wide_task(wide)
    fds = open_fds()
    res = scan_batch([task], cfg, Budget(10**6, math.inf, check_every=1), StopAfter(reads=11))
    listed, rest, error = drain(res.frontier[-1], 50)
    assert error is None and listed is not None and rest is not None
    assert isinstance(listed.open, ListedDir) and len(listed.open) == 50
    assert isinstance(rest.open, OpenDir)
    spent = Budget(max_entries=10**6, max_seconds=0.0, check_every=10**6, inside_seconds=math.inf)
    tail = scan_batch([rest], cfg, spent, SharedState())
    assert all(t.open is None for t in tail.frontier)  # read to its end, nothing open
    assert open_fds() == fds
    pieces = scan_batch([listed], cfg, UNLIMITED, SharedState())
    names = [e.name for r in (res, pieces, tail) for e in r.entries if e.depth == 1]
    assert sorted(names) == sorted(os.listdir(wide / "wide"))  # each name once
    close_tasks(pieces.frontier + tail.frontier)


def test_an_entry_of_unknown_type_gone_since_listed_is_nothing_as_in_os_dir_entry(
    tmp_path: Path,
) -> None:
    # no d_type ("?"): the type comes from lstat, and a name gone since is of no type (as
    # os.DirEntry answers for DT_UNKNOWN); stat() raises
    (tmp_path / "here").write_text("x")
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        here, gone = ListedDir(("here", "gone"), "??").entries(fd)
        assert here.is_file(follow_symlinks=False) and not here.is_dir()
        assert not gone.is_file() and not gone.is_dir(follow_symlinks=False)
        assert not gone.is_symlink()
        with pytest.raises(FileNotFoundError):
            gone.stat(follow_symlinks=False)
    finally:
        os.close(fd)


class _Failing:
    """A scandir stand-in whose second entry's type cannot be read (no d_type, and lstat
    fails), then a third entry."""

    def __init__(self, real: Path) -> None:
        self.entries = iter(sorted(os.scandir(real), key=lambda e: e.name)[:3])
        self.closed = False

    def __iter__(self) -> _Failing:
        return self

    def __next__(self) -> Any:
        entry = next(self.entries)
        if entry.name.endswith("1"):
            return _NoType(entry.name)
        return entry

    def close(self) -> None:
        self.closed = True


class _NoType:
    def __init__(self, name: str) -> None:
        self.name = name

    def is_symlink(self) -> bool:
        raise PermissionError(13, "Permission denied")


def test_drain_goes_on_past_a_name_whose_type_cannot_be_read(tmp_path: Path) -> None:
    for name in ("n0", "n1", "n2"):
        (tmp_path / name).write_text(name)
    failing = _Failing(tmp_path)
    task = DirTask(str(tmp_path), 0, 0, open=OpenDir(failing, -1))  # type: ignore[arg-type]
    listed, rest, error = drain(task)
    assert error is None and rest is None and failing.closed
    assert listed is not None and isinstance(listed.open, ListedDir)
    assert listed.open.names == ("n0", "n1", "n2")
    assert listed.open.kinds == "f?f"  # its reader stats it again
    with pytest.raises(ValueError, match="names"):
        ListedDir(("a", "b"), "f")
