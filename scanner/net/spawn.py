"""Run one short-lived child (a ``ping``) and collect its output, behind one small interface.

Three implementations of :class:`Spawner`:

* :class:`~scanner.net.child_threads.ThreadedSpawner` (``posix``, the default on Linux):
  spawner threads start children through libc's ``posix_spawn`` (vfork-based in glibc, no
  Python between fork and exec, no GIL held while the child execs), a reaper thread reads
  their output and reaps them through pidfds, and the event loop is woken once per batch of
  finished children: no system call and no thread hop per child on the loop thread.
* :class:`PosixSpawner` (``posix-inline``): ``os.posix_spawn`` on the loop thread (which holds
  the GIL throughout the child's exec), the output pipe read with ``anyio.wait_readable`` and
  the child reaped through a pidfd. Works on asyncio and trio alike.
  Figures of both: ``benchmarks/bench_ping.py``.
* :class:`AnyioSpawner` (portable: macOS, Windows, kernels without pidfd): ``anyio.open_process``.
  On Python 3.11 asyncio the default child watcher spends a thread per child;
  :func:`use_pidfd_child_watcher` swaps in ``asyncio.PidfdChildWatcher`` where the kernel
  has pidfds (Python 3.12+ does that by itself).

All put the child in its own process group, so that a deadline or a cancellation kills
whatever the child started too (a shell script's ``sleep``), and all reap the child before
returning or re-raising: no zombies, no orphans. A child that cannot be started raises
``OSError`` (the engine turns that into an ERROR result per host).
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import anyio

#: Output beyond this is dropped and the child is killed: ``ping -c N`` prints a few hundred
#: bytes per reply, so anything this large is a runaway.
MAX_OUTPUT: Final = 1 << 20


@dataclass(frozen=True, slots=True)
class Completed:
    """What a finished (or killed) child left behind."""

    returncode: int | None  # None when we killed it (deadline passed)
    output: bytes  # stdout and stderr, interleaved as the child wrote them
    timed_out: bool = False  # the deadline passed and the child was killed
    truncated: bool = False  # output passed MAX_OUTPUT and the child was killed


#: Called with each chunk of a child's output as it is read (reply lines as they arrive); a
#: spawner's ``run(..., live=False)`` may hand the chunks over late, all at once when the child
#: is done or the run is cancelled (only what an interrupted run sums up needs them then).
OnOutput = Callable[[bytes], Awaitable[None]]


class Spawner(Protocol):
    """Runs one child to completion, killing it at the deadline."""

    name: str

    async def run(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None, deadline: float | None
    ) -> Completed:
        """Run ``argv`` (never through a shell); ``deadline`` is seconds from now."""
        ...


def streams_output(spawner: Spawner) -> bool:
    """True when ``spawner.run`` takes ``on_output`` and ``live`` (ours do; a scripted one
    may not)."""
    return bool(getattr(spawner, "streams_output", False))


def kill_group(pid: int) -> None:
    # The child leads its own process group (pgid == pid) and is not reaped yet, so the group
    # id cannot have been reused: killing the group is safe and also reaches grandchildren.
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    except PermissionError:  # a setuid child on some systems: fall back to the leader
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def read_available(fd: int, chunks: list[bytes], budget: int) -> tuple[bool, int]:
    """Read what is there without blocking: (reached EOF, bytes still allowed)."""
    while True:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return False, budget
        if not data:
            return True, budget
        if budget > 0:
            chunks.append(data[:budget])
        budget -= len(data)


def _decode_status(status: int) -> int:
    # Mirror subprocess: a child killed by signal N has returncode -N.
    return os.waitstatus_to_exitcode(status)


class PosixSpawner:
    """``os.posix_spawn`` on the loop thread + non-blocking pipes + pidfd reaping (Linux)."""

    name = "posix-inline"
    streams_output = True

    def __init__(self) -> None:
        self._devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)

    def _spawn(self, argv: Sequence[str], env: Mapping[str, str] | None, out_w: int) -> int:
        return os.posix_spawn(
            argv[0],
            list(argv),
            dict(env) if env is not None else dict(os.environ),
            file_actions=[
                (os.POSIX_SPAWN_DUP2, self._devnull, 0),
                (os.POSIX_SPAWN_DUP2, out_w, 1),
                (os.POSIX_SPAWN_DUP2, out_w, 2),
            ],
            setpgroup=0,
            setsigdef=(signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGXFSZ),
        )

    def close(self) -> None:
        """Release the /dev/null descriptor kept for children's stdin."""
        if self._devnull >= 0:
            os.close(self._devnull)
            self._devnull = -1

    def __del__(self) -> None:
        self.close()

    async def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None,
        deadline: float | None,
        on_output: OnOutput | None = None,
        live: bool = True,
    ) -> Completed:
        """Spawn ``argv[0]`` (a path: no PATH search here) and collect its output (each
        chunk also to ``on_output`` as it is read, ``live`` or not)."""
        out_r, out_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        # The child's end must be blocking: ping writes with plain write(2).
        os.set_blocking(out_w, True)
        try:
            pid = self._spawn(argv, env, out_w)
        except BaseException:
            os.close(out_r)
            os.close(out_w)
            raise
        os.close(out_w)
        # No checkpoint between the spawn and this try: a cancellation can never leak the child.
        reaped = False
        pidfd = -1  # opened only to wait for a child still running after its output ended
        try:
            out: list[bytes] = []
            budget = MAX_OUTPUT
            truncated = exited = False
            with anyio.move_on_after(math.inf if deadline is None else deadline) as scope:
                eof = False
                while not eof:
                    await anyio.wait_readable(out_r)
                    seen = len(out)
                    eof, budget = read_available(out_r, out, budget)
                    if on_output is not None:
                        for chunk in out[seen:]:
                            await on_output(chunk)
                    if budget < 0:
                        truncated = True
                        break
                if not truncated:
                    # ping exits as it closes its output: a pidfd (two more system calls a
                    # child) only for one that lives on
                    if not _has_exited(pid):
                        pidfd = os.pidfd_open(pid)
                        await anyio.wait_readable(pidfd)
                    exited = True
            # The leader is alive (deadline, runaway output) or a zombie: either way the group
            # id is still ours, so this reaches leftovers (a script's background job) safely.
            kill_group(pid)
            if exited:
                status = _reap_zombie(pid)
            else:
                pidfd = _pidfd(pid, pidfd)
                with anyio.CancelScope(shield=True):
                    status = await _reap(pid, pidfd)
            reaped = True
            return Completed(
                returncode=_decode_status(status) if exited else None,
                output=b"".join(out),
                timed_out=scope.cancelled_caught,
                truncated=truncated,
            )
        finally:
            if not reaped:
                # Cancelled from outside (Ctrl-C, a failing sibling): kill and reap first.
                kill_group(pid)
                pidfd = _pidfd(pid, pidfd)
                with anyio.CancelScope(shield=True):
                    await _reap(pid, pidfd)
            for fd in (out_r, pidfd):
                if fd >= 0:
                    os.close(fd)


def _pidfd(pid: int, pidfd: int) -> int:
    """``pidfd``, or a pidfd opened now for the (unreaped) child ``pid``; -1 when none can
    be (then :func:`_reap` polls)."""
    if pidfd >= 0:
        return pidfd
    try:
        return os.pidfd_open(pid)
    except OSError:
        return -1


def _has_exited(pid: int) -> bool:
    """True once the child is a zombie; does not reap it (WNOWAIT)."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def _reap_zombie(pid: int) -> int:
    """Reap a child known to have exited (no waiting); the raw wait status."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:  # reaped elsewhere (a waitpid(-1) child watcher)
        return 0


async def _reap(pid: int, pidfd: int) -> int:
    """Wait for the child to exit and reap it; returns the raw wait status."""
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # reaped elsewhere (a waitpid(-1) child watcher)
            return 0
        if done == pid:
            return status
        if pidfd >= 0:
            await anyio.wait_readable(pidfd)
        else:
            await anyio.sleep(0.001)


class AnyioSpawner:
    """``anyio.open_process``: the portable path (Windows, macOS, no pidfd)."""

    name = "anyio"
    streams_output = True

    async def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None,
        deadline: float | None,
        on_output: OnOutput | None = None,
        live: bool = True,
    ) -> Completed:
        """Start ``argv`` with anyio and collect its output (each chunk also to
        ``on_output`` as it is read, ``live`` or not)."""
        import subprocess

        # Shielded: cancelled half-way, asyncio would kill the child alone (not its group) and
        # hand us nothing, so a shell script's `sleep` would be orphaned. Starting is quick;
        # the cancellation is taken at the first read below, where the group gets killed.
        with anyio.CancelScope(shield=True):
            process = await anyio.open_process(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=sys.platform != "win32",
            )
        finished = False
        try:
            out: list[bytes] = []
            size = 0
            truncated = False
            code: int | None = None
            with anyio.move_on_after(math.inf if deadline is None else deadline) as scope:
                if process.stdout is not None:
                    async for chunk in process.stdout:
                        size += len(chunk)
                        if size > MAX_OUTPUT:
                            truncated = True
                            _terminate(process)
                            break
                        out.append(chunk)
                        if on_output is not None:
                            await on_output(chunk)
                code = await process.wait()
                finished = True
            if not finished:
                _terminate(process)
                with anyio.CancelScope(shield=True):
                    await process.wait()
                finished = True
            killed = scope.cancelled_caught or truncated
            return Completed(
                returncode=None if killed else code,
                output=b"".join(out),
                timed_out=scope.cancelled_caught,
                truncated=truncated,
            )
        finally:
            if not finished:
                _terminate(process)
                with anyio.CancelScope(shield=True):
                    await process.wait()
            with anyio.CancelScope(shield=True):
                await process.aclose()


def _terminate(process: anyio.abc.Process) -> None:
    if sys.platform != "win32":
        kill_group(process.pid)
    else:
        with contextlib.suppress(ProcessLookupError):
            process.kill()


def pidfd_supported() -> bool:
    """True when this kernel and Python offer pidfds (Linux 5.3+, Python 3.9+)."""
    if not hasattr(os, "pidfd_open"):
        return False
    try:
        fd = os.pidfd_open(os.getpid())
    except OSError:
        return False
    os.close(fd)
    return True


def posix_spawn_supported() -> bool:
    """True when the fast path works here."""
    return sys.platform.startswith("linux") and hasattr(os, "posix_spawn") and pidfd_supported()


def use_pidfd_child_watcher() -> bool:
    """On Python < 3.12 asyncio, replace the thread-per-child watcher with a pidfd watcher.

    Returns True when a pidfd watcher is in use afterwards. Safe to call repeatedly, and only
    acts on the asyncio backend (trio reaps with pidfds already). Children started under the
    previous ``ThreadedChildWatcher`` keep their threads and are reaped as before.
    """
    if sys.version_info >= (3, 12) or sys.platform == "win32" or not pidfd_supported():
        return sys.version_info >= (3, 12) and pidfd_supported()
    import asyncio

    from scanner.asyncrt import on_asyncio

    if not on_asyncio():
        return False
    watcher = asyncio.get_child_watcher()
    if not isinstance(watcher, asyncio.PidfdChildWatcher):
        watcher = asyncio.PidfdChildWatcher()
        asyncio.set_child_watcher(watcher)
    if not watcher.is_active():
        # 3.11's PidfdChildWatcher works only once attached to the running loop; each
        # anyio.run makes a new loop.
        watcher.attach_loop(asyncio.get_running_loop())
    return True


def make_spawner(kind: str = "auto") -> Spawner:
    """``auto`` (posix where supported, else anyio-pidfd), ``posix`` (spawner and reaper
    threads), ``posix-inline`` (``os.posix_spawn`` on the loop thread), ``anyio`` or
    ``anyio-pidfd``.

    ``anyio-pidfd`` is ``anyio`` with :func:`use_pidfd_child_watcher` applied by the engine;
    the kinds exist so the benchmark can measure each path.
    """
    if kind == "auto":
        kind = "posix" if posix_spawn_supported() else "anyio-pidfd"
    if kind in ("posix", "posix-inline"):
        if not posix_spawn_supported():
            raise ValueError("the posix spawner needs Linux with pidfd support")
        from scanner.net import _libc_spawn

        libc = _libc_spawn.load() if kind == "posix" else None
        if libc is None:  # no usable libc to call without the GIL
            return PosixSpawner()
        from scanner.net.child_threads import ThreadedSpawner

        return ThreadedSpawner(libc, spawners=_spawn_threads())
    if kind in ("anyio", "anyio-pidfd"):
        portable = AnyioSpawner()
        portable.name = kind
        return portable
    raise ValueError(f"unknown spawner {kind!r} (auto, posix, anyio, anyio-pidfd)")


def _spawn_threads() -> int:
    # one spawner thread per CPU: each is suspended while its child execs, which keeps a
    # CPU busy; more threads only queue on the same CPUs
    from scanner.oslimits import usable_cpus

    return usable_cpus()
