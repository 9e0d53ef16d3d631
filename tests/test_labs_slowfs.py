"""The slow-file-system lab: a real FUSE mount (skipped with a reason where FUSE is missing)."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner import exit_codes
from scanner.cli.lab import parse_duration
from scanner.errors import OperationFailed, UsageProblem
from scanner.labs.slowfs import mount_slowfs, slowfs_available
from scanner.labs.tree import TreeManifest, TreeSpec, generate_tree
from tests.cli_helpers import REPO, run_cli
from tests.test_labs_tree import claimed, independent_count, listing

AVAILABLE, REASON = slowfs_available()
needs_fuse = pytest.mark.skipif(not AVAILABLE, reason=f"FUSE lab unavailable: {REASON}")
pytestmark = pytest.mark.fuse

SPEC = TreeSpec(files=80, seed=11, files_per_dir=10, symlinks=6, hardlinks=4, empty_dirs=2)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> TreeManifest:
    return generate_tree(tmp_path_factory.mktemp("src") / "tree", SPEC)


def gone(pid: int) -> bool:
    """True when no process has this pid any more (it was reaped)."""
    return not os.path.exists(f"/proc/{pid}")


def some_files(root: Path, n: int) -> list[str]:
    """n regular files of the tree, as paths relative to root."""
    found = sorted(
        os.path.relpath(os.path.join(dirpath, name), root)
        for dirpath, _, names in os.walk(root)
        for name in names
        if os.path.isfile(os.path.join(dirpath, name))
    )
    return found[:n]


@needs_fuse
def test_mount_shows_the_same_tree(tree: TreeManifest, tmp_path: Path) -> None:
    src = Path(tree.root)
    with mount_slowfs(src, tmp_path / "mnt", latency_s=0.0005) as lab:
        assert os.path.ismount(lab.mountpoint)
        assert listing(lab.mountpoint) == listing(src)
        # Hard links keep one inode through the mount (use_ino), so bytes count once.
        assert independent_count(lab.mountpoint) == claimed(tree)
    assert lab.stats is not None and lab.stats["calls"]["readdir"] >= tree.dirs


@needs_fuse
def test_mount_is_read_only_and_reads_pass_through(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "hello.txt").write_bytes(b"hello, slow world\n")
    (src / "link").symlink_to("hello.txt")
    with mount_slowfs(src, tmp_path / "mnt", latency_s=0.001) as lab:
        mnt = lab.mountpoint
        assert (mnt / "hello.txt").read_bytes() == b"hello, slow world\n"
        assert (mnt / "link").read_bytes() == b"hello, slow world\n"
        assert os.readlink(mnt / "link") == "hello.txt"
        with pytest.raises(OSError) as excinfo:
            (mnt / "new.txt").write_text("x")
        assert excinfo.value.errno == errno.EROFS
        with pytest.raises(OSError) as excinfo:
            (mnt / "hello.txt").write_text("x")
        assert excinfo.value.errno == errno.EROFS
        with pytest.raises(FileNotFoundError):
            os.lstat(mnt / "missing")
    assert (src / "hello.txt").read_bytes() == b"hello, slow world\n"


@needs_fuse
def test_a_stat_pays_the_latency(tree: TreeManifest, tmp_path: Path) -> None:
    latency = 0.02
    name = some_files(Path(tree.root), 1)[0]
    with mount_slowfs(tree.root, tmp_path / "mnt", latency_s=latency) as lab:
        started = time.perf_counter()
        st = os.lstat(lab.mountpoint / name)
        elapsed = time.perf_counter() - started
    assert st.st_size == os.lstat(Path(tree.root) / name).st_size
    assert elapsed >= latency
    assert lab.stats is not None and lab.stats["delayed"] >= 1


@needs_fuse
def test_concurrent_stats_overlap(tree: TreeManifest, tmp_path: Path) -> None:
    latency, n = 0.05, 8
    src = Path(tree.root)
    biggest = max((p for p, _, _ in os.walk(src)), key=lambda p: len(os.listdir(p)))
    names = sorted(e.name for e in os.scandir(biggest) if e.is_file(follow_symlinks=False))[:n]
    assert len(names) == n
    with mount_slowfs(src, tmp_path / "mnt", latency_s=latency) as lab:
        # Relative to an open directory, so that each stat is exactly LOOKUP + GETATTR.
        dir_fd = os.open(lab.mountpoint / os.path.relpath(biggest, src), os.O_RDONLY)
        # The kernel serialises the *first* lookup of names in one directory (new dentries);
        # later revalidations overlap, and those are what a repeated benchmark walk makes.
        for name in names:
            os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        barrier = threading.Barrier(n + 1)

        def stat_one(name: str) -> None:
            barrier.wait()
            os.stat(name, dir_fd=dir_fd, follow_symlinks=False)

        threads = [threading.Thread(target=stat_one, args=(name,)) for name in names]
        for t in threads:
            t.start()
        barrier.wait()
        started = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        os.close(dir_fd)
    # One after the other, the n stats would take 2 * n latencies; overlapping, about two.
    assert elapsed < n * latency
    assert lab.stats is not None and lab.stats["max_in_flight"] >= n // 2


@needs_fuse
def test_the_cap_holds_calls_in_flight(tree: TreeManifest, tmp_path: Path) -> None:
    latency, n, cap = 0.03, 8, 2
    src = Path(tree.root)
    biggest = max((p for p, _, _ in os.walk(src)), key=lambda p: len(os.listdir(p)))
    names = sorted(e.name for e in os.scandir(biggest) if e.is_file(follow_symlinks=False))[:n]
    with mount_slowfs(src, tmp_path / "mnt", latency_s=latency, max_in_flight=cap) as lab:
        dir_fd = os.open(lab.mountpoint / os.path.relpath(biggest, src), os.O_RDONLY)
        for name in names:
            os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        started = time.perf_counter()
        threads = [
            threading.Thread(target=os.stat, args=(name,), kwargs={"dir_fd": dir_fd})
            for name in names
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        os.close(dir_fd)
    assert lab.stats is not None and lab.stats["max_in_flight"] == cap
    # two calls per stat, two at a time: the mount cannot answer faster than this
    assert elapsed >= 0.9 * (2 * n / cap) * latency


@needs_fuse
@pytest.mark.parametrize("exc_type", [RuntimeError, KeyboardInterrupt])
def test_errors_in_the_body_still_unmount_and_reap(
    tree: TreeManifest, tmp_path: Path, exc_type: type[BaseException]
) -> None:
    mnt = tmp_path / "mnt"
    pid = 0
    with pytest.raises(exc_type), mount_slowfs(tree.root, mnt, latency_s=0.001) as lab:
        pid = lab.pid
        raise exc_type("boom")
    assert not os.path.ismount(mnt)
    assert pid and gone(pid) and not lab.running()


@needs_fuse
def test_a_busy_mount_is_detached_and_the_server_stopped(
    tree: TreeManifest, tmp_path: Path
) -> None:
    mnt = tmp_path / "mnt"
    with mount_slowfs(tree.root, mnt, latency_s=0.001) as lab:
        busy = os.open(mnt, os.O_RDONLY)  # keeps the mount busy: plain unmount fails
    try:
        assert not os.path.ismount(mnt)
        assert gone(lab.pid)
    finally:
        os.close(busy)


@needs_fuse
def test_the_server_unmounts_when_its_parent_is_killed(tree: TreeManifest, tmp_path: Path) -> None:
    mnt = tmp_path / "mnt"
    script = (
        "import sys, time\n"
        "from scanner.labs.slowfs import mount_slowfs\n"
        "with mount_slowfs(sys.argv[1], sys.argv[2], 0.001) as lab:\n"
        "    print(lab.pid, flush=True)\n"
        "    time.sleep(60)\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script, tree.root, str(mnt)],
        stdout=subprocess.PIPE,
        cwd=REPO,
        text=True,
    ) as parent:
        _kill_parent_and_watch(parent, mnt)


def _kill_parent_and_watch(parent: subprocess.Popen[str], mnt: Path) -> None:
    try:
        assert parent.stdout is not None
        server = int(parent.stdout.readline())
        assert os.path.ismount(mnt)
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 10
        while (os.path.ismount(mnt) or not gone(server)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not os.path.ismount(mnt)
        assert gone(server) or _is_zombie(server)
    finally:
        parent.kill()
        parent.wait()
        if os.path.ismount(mnt):
            subprocess.run(["umount", "-l", str(mnt)], check=False)


def _is_zombie(pid: int) -> bool:
    # Orphans are reaped by init (or a subreaper); until then they may show as zombies.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@needs_fuse
def test_usage_problems(tree: TreeManifest, tmp_path: Path) -> None:
    with (
        pytest.raises(UsageProblem, match="not a directory"),
        mount_slowfs(tmp_path / "missing", tmp_path / "mnt"),
    ):
        pass
    with (
        pytest.raises(UsageProblem, match="latency"),
        mount_slowfs(tree.root, tmp_path / "mnt", latency_s=-1),
    ):
        pass
    with (
        mount_slowfs(tree.root, tmp_path / "mnt", 0) as lab,
        pytest.raises(UsageProblem, match="already a mount point"),
        mount_slowfs(tree.root, lab.mountpoint),
    ):
        pass
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("x")
    with pytest.raises(OperationFailed, match="before mounting"), mount_slowfs(tree.root, full):
        pass
    assert not os.path.ismount(full) and (full / "x").read_text() == "x"


@pytest.fixture
def cli_mount(tree: TreeManifest, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    mnt = tmp_path / "mnt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanner", "lab", "slowfs", tree.root, str(mnt), "--latency", "1ms"],
        stderr=subprocess.PIPE,
        cwd=REPO,
        text=True,
    )
    try:
        deadline = time.monotonic() + 15
        while not os.path.ismount(mnt) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        yield proc, mnt
    finally:
        proc.kill()
        proc.wait()
        if os.path.ismount(mnt):
            subprocess.run(["umount", "-l", str(mnt)], check=False)


@needs_fuse
@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGINT, exit_codes.INTERRUPTED), (signal.SIGTERM, exit_codes.TERMINATED)],
)
def test_cli_mounts_until_interrupted(
    cli_mount: tuple[subprocess.Popen[str], Path], signum: int, code: int
) -> None:
    proc, mnt = cli_mount
    assert os.path.ismount(mnt)
    assert sorted(os.listdir(mnt))
    # the mount is visible a moment before the command says so: a signal in between would
    # stop it before its first line, so wait for that line
    assert proc.stderr is not None
    first = proc.stderr.readline()
    assert "mounted at" in first
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code, first + err
    assert "slowfs: unmounted" in err
    assert not os.path.ismount(mnt)


def test_cli_latency_needs_a_unit(tmp_path: Path) -> None:
    ran = run_cli("lab", "slowfs", str(tmp_path), str(tmp_path / "mnt"), "--latency", "2")
    assert ran.code == exit_codes.USAGE and "needs a unit" in ran.err


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2ms", 0.002),
        ("500us", 0.0005),
        ("500µs", 0.0005),
        ("0.1s", 0.1),
        ("0", 0.0),
        ("1 MS", 0.001),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["2", "fast", "-1ms", "11s", "nanms", "inf s"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(UsageProblem):
        parse_duration(text)


def test_unavailable_fuse_is_an_operation_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scanner.labs import slowfs

    monkeypatch.setattr(slowfs, "slowfs_available", lambda: (False, "no /dev/fuse here"))
    with (
        pytest.raises(OperationFailed, match="no /dev/fuse here"),
        mount_slowfs(tmp_path, tmp_path / "mnt"),
    ):
        pass
    assert not (tmp_path / "mnt").exists()
