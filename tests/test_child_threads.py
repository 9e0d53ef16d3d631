"""The ``posix`` spawner's threads (``scanner.net.child_threads``) on asyncio and trio: output,
exit codes, the live and the batched output hand-over, deadlines, cancellation and the output
cap with nothing left behind, several runs in one wake-up, and the threads' shutdown."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import anyio
import pytest

from scanner.net import _libc_spawn
from scanner.net.child_threads import ThreadedSpawner
from scanner.net.spawn import MAX_OUTPUT, make_spawner, posix_spawn_supported

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(
        not posix_spawn_supported() or _libc_spawn.load() is None,
        reason="needs Linux with pidfds and a libc to call",
    ),
]

SH = "/bin/sh"


@pytest.fixture
def spawner() -> Iterator[ThreadedSpawner]:
    libc = _libc_spawn.load()
    assert libc is not None
    threaded = ThreadedSpawner(libc, spawners=2)
    yield threaded
    threaded.close()


def sh(script: str) -> list[str]:
    return [SH, "-c", script]


def group_alive(pgid: int) -> bool:
    """A live (not zombie) process is in the group ``pgid``: a killed member reparented to
    init stays a zombie until init reaps it, in its own time."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
            if int(pgrp) == pgid and state != "Z":
                return True
    return False


async def wait_for(path: Path) -> None:
    with anyio.fail_after(20):
        while not path.exists():
            await anyio.sleep(0.01)


def assert_gone(pid: int) -> None:
    """Not our child any more (reaped), and nothing alive in its group (a SIGKILL takes
    effect when the victim is next scheduled: wait a little for that)."""
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    for _ in range(500):
        if not group_alive(pid):
            return
        time.sleep(0.01)
    assert not group_alive(pid)


def new_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t not in before]


def test_auto_is_the_threaded_spawner_on_linux() -> None:
    made = make_spawner("posix")
    assert isinstance(made, ThreadedSpawner)
    assert made.name == "posix"
    made.close()


async def test_output_and_exit_codes(spawner: ThreadedSpawner) -> None:
    done = await spawner.run(sh("echo out; echo err >&2; exit 3"), env=None, deadline=20)
    assert done.returncode == 3
    assert done.output == b"out\nerr\n"
    assert not done.timed_out and not done.truncated
    done = await spawner.run(sh("kill -TERM $$"), env=None, deadline=20)
    assert done.returncode == -signal.SIGTERM
    done = await spawner.run(sh('printf "%s" "$SCANNER_T"'), env={"SCANNER_T": "x"}, deadline=20)
    assert done.output == b"x"


async def test_a_child_that_cannot_start_raises(spawner: ThreadedSpawner, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        await spawner.run([str(tmp_path / "missing")], env=None, deadline=20)
    # and the threads go on serving
    assert (await spawner.run(sh("exit 0"), env=None, deadline=20)).returncode == 0


async def test_many_children_at_once(spawner: ThreadedSpawner) -> None:
    results: dict[int, bytes] = {}

    async def one(i: int) -> None:
        results[i] = (await spawner.run(sh(f"echo {i}"), env=None, deadline=20)).output

    async with anyio.create_task_group() as tg:
        for i in range(64):
            tg.start_soon(one, i)
    assert results == {i: f"{i}\n".encode() for i in range(64)}


async def test_live_output_arrives_before_the_child_ends(
    spawner: ThreadedSpawner, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    seen: list[bytes] = []

    async def on_output(chunk: bytes) -> None:
        seen.append(chunk)
        scope.cancel()  # the child never ends by itself: only a live chunk gets here

    with anyio.fail_after(20), anyio.CancelScope() as scope:
        await spawner.run(
            sh(f"echo $$ > {pid_file}; echo first; exec sleep 600"),
            env=None,
            deadline=None,
            on_output=on_output,
        )
    assert seen == [b"first\n"]
    assert_gone(int(pid_file.read_text()))


async def test_batched_output_is_handed_over_at_the_end(spawner: ThreadedSpawner) -> None:
    seen: list[bytes] = []

    async def keep(chunk: bytes) -> None:
        seen.append(chunk)

    done = await spawner.run(
        sh("echo one; sleep 0.05; echo two"), env=None, deadline=20, on_output=keep, live=False
    )
    assert b"".join(seen) == done.output == b"one\ntwo\n"


async def test_cancelled_run_hands_over_what_was_written(
    spawner: ThreadedSpawner, tmp_path: Path
) -> None:
    marker = tmp_path / "written"
    seen: list[bytes] = []

    async def keep(chunk: bytes) -> None:
        seen.append(chunk)

    async def run() -> None:
        await spawner.run(
            sh(f"echo partial; touch {marker}; exec sleep 600"),
            env=None,
            deadline=None,
            on_output=keep,
            live=False,
        )

    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            await wait_for(marker)
            tg.cancel_scope.cancel()
    assert b"".join(seen) == b"partial\n"


async def test_deadline_kills_the_whole_group(spawner: ThreadedSpawner, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    # the background sleep keeps the output open after its parent is gone: the kill of the
    # group ends it too
    script = f"echo $$ > {pid_file}; sleep 600 & echo started; wait"
    with anyio.fail_after(20):
        done = await spawner.run(sh(script), env=None, deadline=0.3)
    assert done.timed_out
    assert done.returncode is None
    assert done.output == b"started\n"
    assert_gone(int(pid_file.read_text()))


async def test_cancellation_kills_and_reaps(spawner: ThreadedSpawner, tmp_path: Path) -> None:
    pids = tmp_path / "pids"

    async def hang(i: int) -> None:
        await spawner.run(
            sh(f"trap '' TERM; echo $$ >> {pids}; sleep 600 & wait"), env=None, deadline=None
        )

    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            for i in range(8):
                tg.start_soon(hang, i)
            while not pids.exists() or len(pids.read_text().split()) < 8:
                await anyio.sleep(0.01)
            tg.cancel_scope.cancel()
    for pid in pids.read_text().split():
        assert_gone(int(pid))


async def test_cancelled_before_any_child_started(spawner: ThreadedSpawner) -> None:
    with anyio.CancelScope() as scope:
        scope.cancel()
        await spawner.run(sh("exit 0"), env=None, deadline=None)
    # whatever moment it came, the request is finished with: a new run is served
    assert (await spawner.run(sh("exit 5"), env=None, deadline=20)).returncode == 5


async def test_runaway_output_is_capped_and_killed(spawner: ThreadedSpawner) -> None:
    with anyio.fail_after(30):
        done = await spawner.run(sh("exec yes flood"), env=None, deadline=None)
    assert done.truncated
    assert done.returncode is None
    assert len(done.output) == MAX_OUTPUT


def test_close_stops_the_threads_and_releases_descriptors() -> None:
    before = set(os.listdir("/proc/self/fd"))
    running = set(threading.enumerate())
    libc = _libc_spawn.load()
    assert libc is not None
    threaded = ThreadedSpawner(libc, spawners=2)

    async def main() -> int | None:
        return (await threaded.run(sh("exit 7"), env=None, deadline=20)).returncode

    assert anyio.run(main) == 7
    assert anyio.run(main, backend="trio") == 7  # the same threads serve another loop
    threads = new_threads(running)
    assert sorted(t.name for t in threads) == ["scanner-reap", "scanner-spawn-0", "scanner-spawn-1"]
    threaded.close()
    for thread in threads:
        thread.join(timeout=20)
        assert not thread.is_alive()
    assert set(os.listdir("/proc/self/fd")) <= before


def test_no_thread_before_the_first_run() -> None:
    running = set(threading.enumerate())
    libc = _libc_spawn.load()
    assert libc is not None
    threaded = ThreadedSpawner(libc, spawners=1)
    threaded.close()
    assert new_threads(running) == []
    with pytest.raises(RuntimeError, match="closed"):
        anyio.run(partial(threaded.run, sh("exit 0"), env=None, deadline=None))
