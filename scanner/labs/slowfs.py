"""A slow file system for benchmarks: a read-only FUSE passthrough with a fixed latency.

Every ``getattr``, ``readdir`` and ``readlink`` sleeps ``latency_s`` (default 2 ms) before it
answers from the source directory, which is what makes NFS and SMB slow for tree walks: each
metadata call is a round trip. ``open``/``read`` pass through without delay unless
``delay_io`` is set.

What makes the lab honest:

* **Concurrency is real.** The FUSE server is multithreaded (libfuse's multithreaded loop, not
  ``-s``), and the handlers sleep without holding the GIL, so N concurrent requests take about
  one latency, not N: an engine that overlaps its metadata calls is rewarded, as on NFS.
  One limit, measured on kernel 6.18 with libfuse 2.9 (and 3.14 alike): the *first* lookup of
  names in one directory is serialised per directory (creating new dentries); lookups in
  different directories, revalidations of known names, and ``readdir`` overlap. A benchmark
  that walks once before timing (a warm-up) measures the same state on every run.
* **The kernel does not hide the latency.** The mount uses ``attr_timeout=0``,
  ``entry_timeout=0`` and ``negative_timeout=0`` and no ``kernel_cache``, so every walk pays
  again. Measured here: an ``lstat`` costs two round trips (a LOOKUP to revalidate the dentry
  and a GETATTR, since attributes expire at once) plus one LOOKUP per path component below the
  mount point; relative to an open directory (``os.scandir(fd)``, ``stat(name, dir_fd=fd)``)
  the per-component LOOKUPs go away. What the kernel still keeps: dentries and inodes (but each
  use revalidates them, so they save nothing), an open directory's inode (no LOOKUP through
  a held fd), and file data in the page cache while a file stays open (dropped on the next
  ``open``). ``readdir`` results and symlink targets are not cached (libfuse 2 has neither
  ``cache_readdir`` nor ``cache_symlinks``): one ``readdir`` call per directory listing, one
  ``readlink`` per resolution.
* **Identity passes through.** ``use_ino`` makes ``st_ino`` the source's inode, so hard links
  look like hard links and (st_dev, st_ino) cycle detection works on the mount.
* **One mount, a fixed bandwidth (optional).** ``max_in_flight`` caps the calls one mount
  serves at once, as an NFS client's RPC slot table caps the requests one node has in
  flight to its server: past the cap a call waits for a slot, then pays its latency. A mount
  then answers at most ``max_in_flight / latency`` calls per second however many threads ask,
  as one node does; the multi-node lab (``scanner.labs.multinode``) gives each cluster worker
  its own mount, so adding workers adds bandwidth as adding nodes does.

The server runs in a child process (``python -m scanner.labs.slowfs``); :func:`mount_slowfs`
starts it, waits until the mount is live, and always unmounts and reaps it, also on errors and
Ctrl-C. Counters of the calls the server answered are written when it exits
(:attr:`SlowFS.stats`), so a benchmark can tell how many round trips a walk cost.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes.util
import errno
import importlib.util
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from scanner.errors import OperationFailed, UsageProblem

#: Default latency per metadata call: a LAN NFS/SMB round trip.
DEFAULT_LATENCY_S: Final = 0.002

#: The ``-o`` options of every mount (libfuse 2 spellings).
MOUNT_OPTIONS: Final[dict[str, object]] = {
    "ro": True,
    "attr_timeout": 0,
    "entry_timeout": 0,
    "negative_timeout": 0,
    "use_ino": True,
    "fsname": "slowfs",
    "subtype": "scanner-slowfs",
}

_READY_TIMEOUT_S: Final = 15.0
_EXIT_TIMEOUT_S: Final = 5.0
_WATCHDOG_PERIOD_S: Final = 0.5


def slowfs_available() -> tuple[bool, str]:
    """Whether this machine can mount the lab, and if not, why (for a clear skip reason)."""
    if not sys.platform.startswith("linux"):
        return False, f"the FUSE lab needs Linux (this is {sys.platform})"
    if not os.path.exists("/dev/fuse"):
        return False, "/dev/fuse is missing (load the fuse module or run with --device /dev/fuse)"
    try:
        os.close(os.open("/dev/fuse", os.O_RDWR))
    except OSError as exc:
        return False, f"/dev/fuse cannot be opened: {exc.strerror}"
    if importlib.util.find_spec("mfusepy") is None:
        return False, "the Python package mfusepy is not installed (pip install 'scanner[lab]')"
    if ctypes.util.find_library("fuse") is None:
        return False, "libfuse 2 is not installed (Debian: apt-get install libfuse2)"
    if os.geteuid() != 0 and shutil.which("fusermount") is None:
        return False, "not root and no fusermount to mount as a user (apt-get install fuse3)"
    return True, "ok"


@dataclass
class SlowFS:
    """A live mount made by :func:`mount_slowfs`."""

    source: Path
    mountpoint: Path
    latency_s: float
    delay_io: bool
    #: Process id of the FUSE server (a child of this process).
    pid: int
    #: Counters written by the server when it exits (None before, or if it was killed):
    #: ``calls`` per operation, ``delayed`` calls, ``max_in_flight`` concurrent calls.
    stats: dict[str, Any] | None = None
    #: Calls served at once at most (None: no cap).
    max_in_flight: int | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def running(self) -> bool:
        """True while the server process has not exited (e.g. unmounted from outside)."""
        return self._process is not None and self._process.poll() is None


@contextlib.contextmanager
def mount_slowfs(
    source: str | os.PathLike[str],
    mountpoint: str | os.PathLike[str],
    latency_s: float = DEFAULT_LATENCY_S,
    *,
    delay_io: bool = False,
    max_in_flight: int | None = None,
) -> Iterator[SlowFS]:
    """Mount ``source`` read-only at ``mountpoint`` with ``latency_s`` per metadata call
    (at most ``max_in_flight`` calls served at once, when given).

    Blocks until the mount is live, yields a :class:`SlowFS`, and on exit (normal, error or
    KeyboardInterrupt) unmounts, waits for the server to exit and reaps it. ``mountpoint`` is
    created if missing and must be an empty directory. Raises ``UsageProblem`` for bad
    arguments and ``OperationFailed`` when FUSE is unavailable or the mount does not come up.
    """
    src = Path(os.path.abspath(source))
    mnt = Path(os.path.abspath(mountpoint))
    if not src.is_dir():
        raise UsageProblem(f"slowfs source is not a directory: {src}")
    if isinstance(latency_s, bool) or not 0 <= latency_s <= 10:
        raise UsageProblem(f"slowfs latency must be within 0..10 s, got {latency_s}")
    if max_in_flight is not None and max_in_flight < 1:
        raise UsageProblem(f"slowfs max_in_flight must be 1 or more, got {max_in_flight}")
    ok, reason = slowfs_available()
    if not ok:
        raise OperationFailed(f"cannot mount the slow file system: {reason}")
    if os.path.ismount(mnt):
        raise UsageProblem(f"{mnt} is already a mount point")
    mnt.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="scanner-slowfs-") as scratch:
        stats_file = Path(scratch) / "stats.json"
        log_file = Path(scratch) / "server.log"
        # The checkout or site-packages that holds this package, so the child imports the
        # same code even when we run from a source tree that is not installed.
        package_home = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (package_home, os.environ.get("PYTHONPATH")) if p
        )}  # fmt: skip
        argv = [
            sys.executable, "-m", "scanner.labs.slowfs", str(src), str(mnt),
            "--latency", repr(latency_s), "--stats", str(stats_file),
            "--parent", str(os.getpid()),
        ]  # fmt: skip
        if delay_io:
            argv.append("--delay-io")
        if max_in_flight is not None:
            argv += ["--max-in-flight", str(max_in_flight)]
        lab: SlowFS | None = None
        try:
            with open(log_file, "wb") as log:
                # A session of its own: a Ctrl-C on the terminal reaches us, and we unmount in
                # order, instead of the server dying under a live mount.
                child = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    env=env,
                    cwd="/",
                    start_new_session=True,
                )
            lab = SlowFS(
                src,
                mnt,
                latency_s,
                delay_io,
                child.pid,
                max_in_flight=max_in_flight,
                _process=child,
            )
            _wait_until_mounted(child, mnt, log_file)
            yield lab
        finally:
            if lab is not None and lab._process is not None:
                _shutdown(lab._process, mnt)
                with contextlib.suppress(OSError, ValueError):
                    lab.stats = json.loads(stats_file.read_text())


def _wait_until_mounted(child: subprocess.Popen[bytes], mnt: Path, log_file: Path) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while not os.path.ismount(mnt):
        if child.poll() is not None:
            raise OperationFailed(
                f"the slowfs server exited with status {child.returncode} before mounting "
                f"{mnt}: {_tail(log_file)}"
            )
        if time.monotonic() > deadline:
            raise OperationFailed(f"{mnt} was not mounted after {_READY_TIMEOUT_S:.0f} s")
        time.sleep(0.01)


def _tail(log_file: Path, limit: int = 600) -> str:
    try:
        text = log_file.read_text(errors="replace").strip()
    except OSError:
        return "(no log)"
    return text[-limit:] or "(no output)"


def _shutdown(child: subprocess.Popen[bytes], mnt: Path) -> None:
    """Unmount, then reap the server; finish even if Ctrl-C arrives meanwhile."""
    interrupted: KeyboardInterrupt | None = None
    how = "lazy"
    for step in ("unmount", "reap"):
        while True:
            try:
                if step == "unmount":
                    how = _unmount(mnt)
                else:
                    # Only a cleanly unmounted server ends by itself. Not mounted (yet): stop
                    # it now. Lazily detached: it would serve until the mount's last user
                    # leaves, so do not wait for that either.
                    _reap(child, mnt, _EXIT_TIMEOUT_S if how == "unmounted" else 0.2)
                break
            except KeyboardInterrupt as exc:  # finish cleaning up, then re-raise
                interrupted = exc
    if interrupted is not None:
        raise interrupted


def _unmount(mnt: Path) -> str:
    """Unmount: ``"unmounted"``, ``"lazy"`` (something still uses it) or ``"not-mounted"``."""
    if not os.path.ismount(mnt):
        return "not-mounted"
    # The FUSE way first (the only one for a user), then umount as root; the lazy umount
    # detaches even when something still uses the mount (a shell's cwd, an open file).
    for command in (["fusermount", "-u"], ["fusermount3", "-u"], ["umount"]):
        if shutil.which(command[0]) is not None:
            subprocess.run([*command, str(mnt)], capture_output=True, check=False)
            if not os.path.ismount(mnt):
                return "unmounted"
    for command in (["fusermount", "-u", "-z"], ["umount", "-l"]):
        if shutil.which(command[0]) is not None:
            subprocess.run([*command, str(mnt)], capture_output=True, check=False)
            if not os.path.ismount(mnt):
                break
    return "lazy"


def _reap(child: subprocess.Popen[bytes], mnt: Path, wait_s: float) -> None:
    try:
        child.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        child.terminate()  # libfuse's handler ends the loop and unmounts
        try:
            child.wait(timeout=_EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    if os.path.ismount(mnt):  # the server died under a live mount: detach it
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, check=False)


# ---------------------------------------------------------------------------------------------
# The server side: runs in the child process only (importing mfusepy loads libfuse).


class _Counters:
    """Calls answered, for the stats file; thread-safe, cheap next to a millisecond sleep.
    With ``cap``, at most that many calls are served at once (the others wait for a slot
    before their latency starts: a slot table)."""

    def __init__(self, cap: int | None = None) -> None:
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(cap) if cap is not None else None
        self.calls: dict[str, int] = {}
        self.delayed = 0
        self.in_flight = 0
        self.max_in_flight = 0

    @contextlib.contextmanager
    def call(self, name: str, delay: float) -> Iterator[None]:
        slots = self._slots
        if slots is not None:
            slots.acquire()
        with self._lock:
            self.calls[name] = self.calls.get(name, 0) + 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if delay:
                self.delayed += 1
        try:
            if delay:
                time.sleep(delay)  # releases the GIL: other handler threads run meanwhile
            yield
        finally:
            with self._lock:
                self.in_flight -= 1
            if slots is not None:
                slots.release()

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(sorted(self.calls.items())),
                "delayed": self.delayed,
                "max_in_flight": self.max_in_flight,
            }


class SlowPassthrough:
    """mfusepy operations: read-only passthrough to ``source`` with a latency per call.

    A plain class (mfusepy only looks the methods up by name), so the module imports without
    libfuse. Errors are raised as ``OSError`` and mfusepy returns their errno to the kernel.
    """

    use_ns = True  # times as integer nanoseconds

    def __init__(
        self, source: str, latency_s: float, *, delay_io: bool, max_in_flight: int | None = None
    ) -> None:
        self.source = source.rstrip("/") or "/"
        self.latency_s = latency_s
        self.io_latency_s = latency_s if delay_io else 0.0
        self.counters = _Counters(max_in_flight)

    def _real(self, path: str) -> str:
        return self.source if path == "/" else self.source + path

    def init(self, path: str) -> None:
        """Nothing to set up; declared so that mfusepy does not warn."""

    def getattr(self, path: str, fh: int | None = None) -> dict[str, int]:
        """lstat of the source entry (symlinks are shown as symlinks)."""
        with self.counters.call("getattr", self.latency_s):
            st = os.lstat(self._real(path))
        return {
            "st_mode": st.st_mode,
            "st_ino": st.st_ino,
            "st_nlink": st.st_nlink,
            "st_uid": st.st_uid,
            "st_gid": st.st_gid,
            "st_size": st.st_size,
            "st_blocks": st.st_blocks,
            "st_blksize": st.st_blksize,
            "st_rdev": st.st_rdev,
            "st_atime": st.st_atime_ns,
            "st_mtime": st.st_mtime_ns,
            "st_ctime": st.st_ctime_ns,
        }

    def readdir(self, path: str, fh: int) -> list[str | tuple[str, dict[str, int], int]]:
        """Names with their types and inode numbers (what a dirent holds), one latency."""
        with self.counters.call("readdir", self.latency_s):
            items: list[str | tuple[str, dict[str, int], int]] = [".", ".."]
            with os.scandir(self._real(path)) as entries:
                for entry in entries:
                    mode = _dirent_mode(entry)
                    items.append((entry.name, {"st_mode": mode, "st_ino": entry.inode()}, 0))
        return items

    def readlink(self, path: str) -> str:
        """The symlink's target, unchanged (relative targets resolve inside the mount)."""
        with self.counters.call("readlink", self.latency_s):
            return os.readlink(self._real(path))

    def open(self, path: str, flags: int) -> int:
        """Open for reading only: this is a read-only mount."""
        with self.counters.call("open", self.io_latency_s):
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS))
            return os.open(self._real(path), os.O_RDONLY | os.O_NOFOLLOW)

    def read(self, path: str, size: int, offset: int, fh: int) -> bytes:
        """Bytes from the open source file."""
        with self.counters.call("read", self.io_latency_s):
            return os.pread(fh, size, offset)

    def release(self, path: str, fh: int) -> int:
        """Close the source file."""
        os.close(fh)
        return 0

    def statfs(self, path: str) -> dict[str, int]:
        """The source file system's numbers (so ``df`` works on the mount)."""
        sv = os.statvfs(self.source)
        keys = ("f_bsize", "f_frsize", "f_blocks", "f_bfree", "f_bavail", "f_files", "f_ffree")
        return {key: getattr(sv, key) for key in (*keys, "f_favail", "f_namemax")}


def _dirent_mode(entry: os.DirEntry[str]) -> int:
    # d_type only, no stat: the kernel keeps just the type bits of a readdir entry.
    if entry.is_symlink():
        return stat.S_IFLNK
    if entry.is_dir(follow_symlinks=False):
        return stat.S_IFDIR
    if entry.is_file(follow_symlinks=False):
        return stat.S_IFREG
    return stat.S_IFMT(entry.stat(follow_symlinks=False).st_mode)


def _watch_parent(parent: int, mountpoint: str) -> None:
    """Unmount when the process that started us is gone (it was killed and cannot clean up)."""
    # Signals stay with the main thread, where libfuse's handlers end the loop properly.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
    while True:
        time.sleep(_WATCHDOG_PERIOD_S)
        if os.getppid() != parent:
            for command in (["fusermount", "-u", "-z"], ["umount", "-l"]):
                if shutil.which(command[0]):
                    subprocess.run([*command, mountpoint], capture_output=True, check=False)
            return


def serve(
    source: str,
    mountpoint: str,
    latency_s: float = DEFAULT_LATENCY_S,
    *,
    delay_io: bool = False,
    stats_file: str | None = None,
    parent: int | None = None,
    max_in_flight: int | None = None,
) -> int:
    """Run the FUSE server in this process until unmounted; returns an exit status.

    Use :func:`mount_slowfs` instead unless you are the child process it starts.
    """
    import mfusepy

    ops = SlowPassthrough(source, latency_s, delay_io=delay_io, max_in_flight=max_in_flight)
    if parent is not None:
        threading.Thread(
            target=_watch_parent, args=(parent, mountpoint), name="slowfs-watchdog", daemon=True
        ).start()
    status = 0
    try:
        # foreground, and *not* nothreads: libfuse's multithreaded loop.
        mfusepy.FUSE(ops, mountpoint, foreground=True, **MOUNT_OPTIONS)
    except RuntimeError as exc:
        sys.stderr.write(f"slowfs: {exc}\n")
        status = 1
    finally:
        if stats_file is not None:
            stats = {
                **ops.counters.as_dict(),
                "latency_s": latency_s,
                "delay_io": delay_io,
                "cap": max_in_flight,
            }
            tmp = stats_file + ".tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(stats, fh)
            os.replace(tmp, stats_file)
    return status


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scanner.labs.slowfs",
        description="Serve SOURCE read-only at MOUNTPOINT with a latency per metadata call "
        "(foreground; stop with Ctrl-C or fusermount -u MOUNTPOINT).",
    )
    parser.add_argument("source")
    parser.add_argument("mountpoint")
    parser.add_argument("--latency", type=float, default=DEFAULT_LATENCY_S, help="seconds")
    parser.add_argument("--delay-io", action="store_true", help="delay open/read too")
    parser.add_argument("--stats", help="write call counters (JSON) here on exit")
    parser.add_argument("--parent", type=int, help="unmount when this process is gone")
    parser.add_argument("--max-in-flight", type=int, help="calls served at once at most")
    args = parser.parse_args(argv)
    return serve(
        os.path.abspath(args.source),
        os.path.abspath(args.mountpoint),
        args.latency,
        delay_io=args.delay_io,
        stats_file=args.stats,
        parent=args.parent,
        max_in_flight=args.max_in_flight,
    )


if __name__ == "__main__":
    sys.exit(_main())
