"""The run loop of every async command: signals, the work scope, errors to exit codes.

A first SIGINT or SIGTERM cancels the work scope: engines stop promptly (worker threads finish
their current batch, child processes are killed and reaped), the command writes what was
finished, and the process exits 130 (SIGINT) or 143 (SIGTERM). A second signal exits at once,
as fd does (a copy of the first within :data:`_ECHO` is not a second). The signal receiver is
in place before the command's body starts, and a signal that still arrives as an exception
(``SystemExit``/``KeyboardInterrupt`` raised by the start-up handler, possibly wrapped in an
exception group by a task group) is unwrapped here: whatever moment it comes, the exit is
130/143 and no traceback.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio
from anyio.abc import TaskStatus

from scanner import exit_codes
from scanner.errors import OperationFailed, ScannerError
from scanner.runtime import collector
from scanner.runtime import signals as signals_module
from scanner.runtime.failure import exit_for_failure


@dataclass
class Session:
    """Shared between the run loop and a command body.

    The body does its work inside ``with session.work_scope:``; after the block it checks
    ``session.interrupted`` and reports partial results.
    """

    work_scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    interrupted_by: int | None = None

    @property
    def interrupted(self) -> bool:
        """True once SIGINT or SIGTERM arrived."""
        return self.interrupted_by is not None

    def stop(self, signum: int) -> None:
        """Stop the work as the signal ``signum`` asks."""
        self.interrupted_by = signum
        self.work_scope.cancel()

    def shield(self) -> anyio.CancelScope:
        """A scope that finishes what it holds even while the work is being cancelled."""
        return anyio.CancelScope(shield=True)


_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: A repeat of the first signal within this many seconds is one signal delivered twice, not
#: a second request: ``timeout`` and process supervisors signal the process and then its
#: process group, so a SIGTERM often arrives twice within microseconds (exiting at once on
#: the copy lost the interrupted summary). A person pressing Ctrl-C twice is slower.
_ECHO = 0.25


def _echo(first_at: float) -> bool:
    return time.monotonic() - first_at < _ECHO


async def _watch_signals(
    session: Session,
    *,
    task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    try:
        with anyio.open_signal_receiver(*_SIGNALS) as signals:
            task_status.started()
            first_at = 0.0
            if signals_module.pending:  # arrived before anyone listened: act on it now
                # and its copy may still come through the receiver: asyncio's
                # add_signal_handler sets the wakeup fd before the handler, and a signal in
                # between is both noted (signal.signal runs the pending handler first) and
                # written to the wakeup fd, which the loop delivers again (see _ECHO)
                first_at = time.monotonic()
                session.stop(signals_module.pending[0])
            async for signum in signals:
                if session.interrupted:
                    if signum == session.interrupted_by and _echo(first_at):
                        continue  # the same signal delivered twice at once (see _ECHO)
                    sys.stderr.write("scanner: interrupted again, exiting now\n")
                    sys.stderr.flush()
                    os._exit(128 + int(signum))
                first_at = time.monotonic()
                session.stop(int(signum))
    except KeyboardInterrupt:
        # asyncio puts Python's defaults back as the receiver closes: a Ctrl-C before
        # _listen_no_more() raises (anywhere in the event loop's teardown: a traceback of the
        # loop's shutdown); noted instead, the run exits 130 as for any other
        signals_module.pending.append(signal.SIGINT)
    finally:
        _listen_no_more()


def _listen_no_more() -> None:
    """Note SIGINT and SIGTERM again, not die, until the end (asyncio leaves SIG_DFL and
    Python's default SIGINT handler behind); a Ctrl-C that the default handler raises
    meanwhile is noted too (``signal.signal`` runs pending handlers before it swaps)."""
    while True:
        try:
            signals_module.install()
            return
        except KeyboardInterrupt:
            signals_module.pending.append(signal.SIGINT)


def _signal_exit(exc: BaseException) -> int | None:
    """The exit code of a signal that arrived as an exception, or None."""
    if isinstance(exc, KeyboardInterrupt):
        return exit_codes.INTERRUPTED
    if isinstance(exc, SystemExit) and exc.code in (exit_codes.INTERRUPTED, exit_codes.TERMINATED):
        return int(exc.code)
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            code = _signal_exit(inner)
            if code is not None:
                return code
    return None


def _unwrap(exc: BaseException) -> BaseException:
    """The one exception a task group wrapped, so that the caller sees the real one."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def _check_backend(backend: str) -> None:
    """A backend whose package is missing is one line and exit 4, not anyio's traceback."""
    if backend == "trio":
        import importlib.util

        if importlib.util.find_spec("trio") is None:
            raise OperationFailed(
                "the trio backend needs the trio package: pip install 'scanner[trio]'"
            )


def run_async(body: Callable[[Session], Awaitable[int]], *, backend: str = "asyncio") -> int:
    """Run ``body`` on an anyio event loop and return the exit code it chose.

    ``ScannerError`` becomes a one-line message on stderr and its exit code; a signal turns the
    code into 128 + signal number whatever the body returned.
    """
    sessions: list[Session] = []
    on_main_thread = (
        sys.platform != "win32" and threading.current_thread() is threading.main_thread()
    )

    async def wrapper() -> int:
        collector.resume()  # start-up is over: the event loop and its backend are loaded
        # created inside the event loop: anyio >= 4.x refuses a CancelScope made outside one
        session = Session()
        sessions.append(session)
        code = exit_codes.OK
        async with anyio.create_task_group() as tg:
            if on_main_thread:
                await tg.start(_watch_signals, session)
            try:
                code = await body(session)
            finally:
                tg.cancel_scope.cancel()
        return code

    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    if on_main_thread:
        signals_module.install()
    try:
        _check_backend(backend)
        try:
            code = anyio.run(wrapper, backend=backend)
        except BaseException as exc:
            signalled = _signal_exit(exc)
            if signalled is not None:
                return signalled
            raise _unwrap(exc) from None
        finally:
            if on_main_thread:
                for signum, handler in saved.items():
                    signal.signal(signum, handler)
    except (ScannerError, BrokenPipeError) as exc:
        return exit_for_failure(exc)
    if sessions and sessions[0].interrupted_by is not None:
        return 128 + sessions[0].interrupted_by
    late = signals_module.exit_code()  # came after the receiver closed, or before it listened
    return code if late is None else late
