"""Children started and reaped by background threads; the event loop is woken once per batch.

Why: a sweep's event loop used to spend a dozen system calls and two thread hops on every
``ping`` (a worker-thread spawn and its way back, the pipe and pidfd watched through the
loop's selector, reads, ``waitid``, ``kill``, ``waitpid``, ``close``). Each of those calls
drops the GIL, and on a busy two-core machine a thread waiting for the GIL takes it each
time, so the loop thread spent much of a sweep waiting for its turn (~12 context switches a
child against ~2 for ``xargs -P64``). Here the loop thread makes no I/O call per child:

* ``run`` queues a request and waits on an event;
* a spawner thread (one per CPU) creates the output pipe, starts the child through libc's
  ``posix_spawn`` (:mod:`scanner.net._libc_spawn`: no GIL held while the vfork'ed child
  execs), opens its pidfd and registers both with the reaper's epoll;
* the reaper thread reads output as it comes (within ``MAX_OUTPUT``), kills a child whose
  deadline passed (counted from its start: a child waiting for a spawner thread does not
  lose its time), sees the exit through the pidfd, kills what is
  left in the child's process group, reaps the child, and wakes every loop whose children
  finished in that round with one callback (``call_soon_threadsafe`` on asyncio,
  ``run_sync_soon`` on trio).

The promises of :mod:`scanner.net.spawn` hold: each child leads its own process group, and a
deadline, a runaway output or a cancellation kills the group; ``run`` returns or re-raises
only once the child is reaped (no zombies, no orphans); a child that cannot be started raises
``OSError`` from ``run``. A kill and a reap never race: both happen under one lock, and the
group is killed only while its leader is unreaped (its id cannot have been reused).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import queue
import select
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial

import anyio

from scanner.net._libc_spawn import LibcSpawn
from scanner.net.spawn import MAX_OUTPUT, Completed, OnOutput, kill_group, read_available

#: Hands a callback to an event loop from another thread.
Post = Callable[[Callable[[], None]], object]


def poster() -> Post:
    """How a thread reaches the event loop running the calling task."""
    from scanner.asyncrt import on_asyncio

    if on_asyncio():
        import asyncio

        return asyncio.get_running_loop().call_soon_threadsafe
    import trio

    return trio.lowlevel.current_trio_token().run_sync_soon


class Child:
    """One request, shared by the loop thread and the worker threads (each field has one
    writer at a time; ``killed``/``pid``/``reaped`` change under the runner's lock)."""

    __slots__ = (
        "argv",
        "budget",
        "callback",
        "chunks",
        "deadline",
        "done",
        "envp",
        "error",
        "exited",
        "killed",
        "live",
        "out_fd",
        "pid",
        "pidfd",
        "post",
        "reaped",
        "status",
        "timed_out",
        "truncated",
        "wake",
    )

    def __init__(
        self, argv: Sequence[str], envp: object, deadline: float | None, live: bool, post: Post
    ) -> None:
        self.argv = argv
        self.envp = envp
        self.deadline = deadline  # seconds from its start
        self.live = live  # wake the loop for each read, not only at the end
        self.post = post
        self.wake: anyio.Event | None = None
        #: Called on the loop thread instead of setting ``wake`` (a child started with
        #: :meth:`ThreadedSpawner.start`): after each read when ``live``, and once done.
        self.callback: Callable[[Child], None] | None = None
        self.pid = 0
        self.out_fd = -1
        self.pidfd = -1
        self.chunks: list[bytes] = []
        self.budget = MAX_OUTPUT
        self.exited = False  # a zombie now (its pidfd said so)
        self.truncated = False
        self.timed_out = False  # killed at its deadline
        self.killed = False  # asked to stop: deadline, runaway output, cancellation
        self.reaped = False
        self.status = 0
        self.error: OSError | None = None
        self.done = False  # nothing of it is left: reaped, or never started


def _wake_all(children: list[Child]) -> None:
    # runs on the loop thread
    for child in children:
        if child.callback is not None:
            child.callback(child)
        elif child.wake is not None:
            child.wake.set()


def completed(child: Child) -> Completed:
    """What a finished child (``done``, started without ``error``) left behind."""
    killed = child.killed or child.truncated
    return Completed(
        returncode=None if killed else os.waitstatus_to_exitcode(child.status),
        output=b"".join(child.chunks),
        timed_out=child.timed_out,
        truncated=child.truncated,
    )


class ThreadedSpawner:
    """The ``posix`` spawner: see the module docstring. Threads start with the first
    ``run`` and stop at :meth:`close`."""

    name = "posix"
    streams_output = True

    def __init__(self, libc: LibcSpawn, spawners: int) -> None:
        self._libc = libc
        self._spawners = max(1, spawners)
        self._requests: queue.SimpleQueue[Child | None] = queue.SimpleQueue()
        self._by_fd: dict[int, Child] = {}
        self._lock = threading.Lock()
        self._stopping: list[Child] = []  # killed children the reaper must look at
        #: (monotonic time, tie-breaker, child): the reaper kills each child at its time
        self._deadlines: list[tuple[float, int, Child]] = []
        self._deadlines_lock = threading.Lock()
        self._order = itertools.count()
        self._devnull = -1
        self._epoll: select.epoll | None = None
        self._wake_r = self._wake_w = -1
        self._threads: list[threading.Thread] = []
        self._closed = False

    # --- the loop thread ---------------------------------------------------------------

    async def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None,
        deadline: float | None,
        on_output: OnOutput | None = None,
        live: bool = True,
    ) -> Completed:
        """Spawn ``argv[0]`` (a path: no PATH search here) and collect its output. Each
        chunk also goes to ``on_output``: as it is read, or with ``live=False`` all at the
        end (when the child is done or the run is cancelled), which wakes the loop once."""
        self._start_threads()
        envp = self._libc.environment(env if env is not None else os.environ)
        child = Child(argv, envp, deadline, live and on_output is not None, poster())
        self._requests.put(child)
        delivered = 0
        try:
            while not child.done:  # the reaper enforces the deadline
                if child.live and len(child.chunks) > delivered:
                    assert on_output is not None
                    delivered = await _deliver(child, on_output, delivered)
                    continue
                await self._woken(child, delivered)
        except anyio.get_cancelled_exc_class():
            await self._stop(child)
            if on_output is not None and not child.live:
                with anyio.CancelScope(shield=True):  # an interrupted host is summed up
                    await _deliver(child, on_output, delivered)
            raise
        except BaseException:
            await self._stop(child)
            raise
        if child.error is not None:
            raise child.error
        if on_output is not None:
            await _deliver(child, on_output, delivered)
        return completed(child)

    def start(
        self,
        argv: Sequence[str],
        envp: object,
        deadline: float | None,
        callback: Callable[[Child], None],
        post: Post,
        *,
        live: bool = False,
    ) -> Child:
        """Queue ``argv`` without waiting for it: ``callback`` is called with the child on
        the loop thread that ``post`` reaches (:func:`poster`), after each read when
        ``live``, and once when it is ``done`` (reaped, or never started: ``error`` says
        why; else :func:`completed`). For a caller that keeps many children in flight
        without a task each; ``envp`` is :meth:`environment`'s. :meth:`stop` kills one;
        every child started must be seen ``done`` before :meth:`close`."""
        self._start_threads()
        child = Child(argv, envp, deadline, live, post)
        child.callback = callback
        self._requests.put(child)
        return child

    def environment(self, env: Mapping[str, str] | None) -> object:
        """The children's environment as :meth:`start` takes it (converted once)."""
        return self._libc.environment(env if env is not None else os.environ)

    def stop(self, child: Child) -> None:
        """Kill a child of :meth:`start` (its group); its callback still comes, once it is
        reaped."""
        if child.done:
            return
        self._kill(child)
        self._stopping.append(child)
        self._poke()

    @staticmethod
    async def _woken(child: Child, delivered: int) -> None:
        """Wait for the reaper's next word on ``child`` (returns at once if it came)."""
        child.wake = wake = anyio.Event()
        # the reaper may have finished between the caller's check and the new event
        if not child.done and not (child.live and len(child.chunks) > delivered):
            await wake.wait()

    async def _stop(self, child: Child) -> None:
        """Kill the child's group and wait, shielded, until it is reaped."""
        if child.done:
            return
        self.stop(child)
        with anyio.CancelScope(shield=True):
            while not child.done:
                await self._woken(child, len(child.chunks))

    # --- both sides --------------------------------------------------------------------

    def _kill(self, child: Child) -> None:
        with self._lock:
            child.killed = True
            if child.pid and not child.reaped:
                kill_group(child.pid)

    def _poke(self) -> None:
        """Wake the reaper (a byte already waiting is as good)."""
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_w, b"\0")

    def _start_threads(self) -> None:
        if self._threads:
            return
        if self._closed:
            raise RuntimeError("spawner closed")
        self._devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        self._epoll = select.epoll()
        self._wake_r, self._wake_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self._epoll.register(self._wake_r, select.EPOLLIN)
        spawners = [
            threading.Thread(target=self._spawn_loop, name=f"scanner-spawn-{i}", daemon=True)
            for i in range(self._spawners)
        ]
        reaper = threading.Thread(target=self._reap_loop, args=(spawners,), daemon=True)
        reaper.name = "scanner-reap"
        self._threads = [*spawners, reaper]
        for thread in self._threads:
            thread.start()

    def close(self) -> None:
        """Stop the threads once idle (no ``run`` may be in flight); the reaper releases
        the other descriptors as it leaves."""
        if self._closed:
            return
        self._closed = True
        if self._threads:
            for _ in range(self._spawners):
                self._requests.put(None)
            with contextlib.suppress(OSError):  # the reaper may be gone already
                self._poke()
            os.close(self._wake_w)

    def __del__(self) -> None:
        self.close()

    # --- spawner threads ---------------------------------------------------------------

    def _spawn_loop(self) -> None:
        while (child := self._requests.get()) is not None:
            if child.killed:  # stopped before it started
                child.done = True
                _post([child])
                continue
            try:
                self._spawn(child)
            except OSError as exc:
                child.error = exc
                child.done = True
                _post([child])

    def _spawn(self, child: Child) -> None:
        out_r, out_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        try:
            os.set_blocking(out_w, True)  # the child's end: ping writes with plain write(2)
            pid = self._libc.spawn(child.argv, child.envp, self._devnull, out_w)  # type: ignore[arg-type]
        except BaseException:
            os.close(out_r)
            raise
        finally:
            os.close(out_w)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:  # out of descriptors: undo the child, and say why
            kill_group(pid)
            os.waitpid(pid, 0)
            os.close(out_r)
            raise
        with self._lock:
            child.pid = pid
            if child.killed:  # stopped while it was being started
                kill_group(pid)
        child.out_fd, child.pidfd = out_r, pidfd
        self._by_fd[out_r] = self._by_fd[pidfd] = child
        assert self._epoll is not None
        self._epoll.register(out_r, select.EPOLLIN)
        self._epoll.register(pidfd, select.EPOLLIN | select.EPOLLONESHOT)
        if child.deadline is not None:
            at = time.monotonic() + child.deadline
            with self._deadlines_lock:
                first = not self._deadlines or at < self._deadlines[0][0]
                heapq.heappush(self._deadlines, (at, next(self._order), child))
            if first:  # the reaper may be asleep with a later (or no) time in view
                self._poke()

    # --- the reaper thread -------------------------------------------------------------

    def _reap_loop(self, spawners: list[threading.Thread]) -> None:
        epoll = self._epoll
        assert epoll is not None
        while True:
            events = epoll.poll(self._next_deadline())
            woken: list[Child] = []
            # closed only after the round: a number reused at once by a spawner thread
            # could otherwise be taken for a later event of this round
            closing: list[int] = []
            for fd, _mask in events:
                if fd == self._wake_r:
                    with contextlib.suppress(BlockingIOError):
                        os.read(fd, 4096)
                    stopping, self._stopping = self._stopping, []
                    for stopped in stopping:
                        if stopped.exited and not stopped.done:
                            self._finish(stopped, closing)
                            woken.append(stopped)
                    continue
                child = self._by_fd.get(fd)
                if child is None or child.done:
                    continue
                if fd == child.out_fd:
                    seen = len(child.chunks)
                    self._read(child, closing)
                    if child.live and len(child.chunks) > seen:
                        woken.append(child)
                elif fd == child.pidfd:
                    child.exited = True
                # a killed child is done once it exits (a grandchild that left the group
                # may still hold its output open)
                if child.exited and (child.out_fd < 0 or child.killed) and not child.done:
                    self._finish(child, closing)
                    woken.append(child)
            self._expire(closing, woken)
            for fd in closing:
                os.close(fd)
            if woken:
                _post(woken)
            if self._closed and not self._by_fd:
                break
        for thread in spawners:
            thread.join()
        for fd in (self._devnull, self._wake_r):
            os.close(fd)
        epoll.close()

    def _next_deadline(self) -> float:
        """Seconds until the earliest deadline of a running child (-1: none to wait for);
        finished children's deadlines are dropped on the way, not woken up for."""
        with self._deadlines_lock:
            deadlines = self._deadlines
            while deadlines and deadlines[0][2].done:
                heapq.heappop(deadlines)
            if not deadlines:
                return -1
            return max(0.0, deadlines[0][0] - time.monotonic())

    def _expire(self, closing: list[int], woken: list[Child]) -> None:
        """Kill the children whose deadline passed (a finished one is only forgotten)."""
        now = time.monotonic()
        while True:
            with self._deadlines_lock:
                if not self._deadlines or self._deadlines[0][0] > now:
                    return
                _at, _order, child = heapq.heappop(self._deadlines)
            if child.done or child.killed:
                continue
            child.timed_out = True
            self._kill(child)
            # a killed child is done once it exits; one that has (its output held open by a
            # process that left its group) is finished now
            if child.exited:
                self._finish(child, closing)
                woken.append(child)

    def _drop(self, fd: int, closing: list[int]) -> None:
        del self._by_fd[fd]
        assert self._epoll is not None
        self._epoll.unregister(fd)
        closing.append(fd)

    def _read(self, child: Child, closing: list[int]) -> None:
        eof, child.budget = read_available(child.out_fd, child.chunks, child.budget)
        if child.budget < 0:  # a runaway: stop reading and kill it
            child.truncated = True
            self._kill(child)
            eof = True
        if eof:
            self._drop(child.out_fd, closing)
            child.out_fd = -1

    def _finish(self, child: Child, closing: list[int]) -> None:
        """Kill what is left of the group and reap the (exited) leader."""
        if child.out_fd >= 0:  # killed: keep what it wrote before it died
            if child.budget >= 0:
                _eof, child.budget = read_available(child.out_fd, child.chunks, child.budget)
            self._drop(child.out_fd, closing)
            child.out_fd = -1
        with self._lock:
            # the leader is a zombie: the group id is still ours, so this reaches
            # leftovers (a script's background job) safely
            kill_group(child.pid)
            try:
                child.status = os.waitpid(child.pid, 0)[1]
            except ChildProcessError:  # reaped elsewhere (a waitpid(-1) child watcher)
                child.status = 0
            child.reaped = True
        self._drop(child.pidfd, closing)
        child.pidfd = -1
        child.done = True


def _post(children: list[Child]) -> None:
    """Wake the loops of ``children``: one callback per loop."""
    by_loop: dict[Post, list[Child]] = {}
    for child in children:
        by_loop.setdefault(child.post, []).append(child)
    for post, group in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is gone (nothing waits there)
            post(partial(_wake_all, group))


async def _deliver(child: Child, on_output: OnOutput, delivered: int) -> int:
    """Hand the chunks not yet given to ``on_output``; how many are given now."""
    chunks = child.chunks
    while delivered < len(chunks):
        chunk = chunks[delivered]
        delivered += 1
        await on_output(chunk)
    return delivered
