"""Run a command's async body with Ctrl-C/SIGTERM handling and error-to-exit-code mapping.

A first SIGINT or SIGTERM cancels the work scope: engines stop promptly (worker threads finish
their current batch, child processes are killed and reaped), the command prints what was
finished, and the process exits 130 (SIGINT) or 143 (SIGTERM). A second signal exits at once,
as fd does.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio

from scanner import exit_codes
from scanner.errors import ScannerError


@dataclass
class Session:
    """Shared between the runner and a command body.

    The body does its work inside ``with session.work_scope:``; after the block it checks
    ``session.interrupted`` and reports partial results.
    """

    work_scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    interrupted_by: int | None = None

    @property
    def interrupted(self) -> bool:
        """True once SIGINT or SIGTERM arrived."""
        return self.interrupted_by is not None


async def _watch_signals(session: Session) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            if session.interrupted:
                sys.stderr.write("scanner: interrupted again, exiting now\n")
                sys.stderr.flush()
                os._exit(128 + int(signum))
            session.interrupted_by = int(signum)
            session.work_scope.cancel()


def run_async(body: Callable[[Session], Awaitable[int]], *, backend: str = "asyncio") -> int:
    """Run ``body`` on an anyio event loop and return the exit code it chose.

    ``ScannerError`` becomes a one-line message on stderr and its exit code; a signal turns the
    code into 128 + signal number whatever the body returned.
    """
    sessions: list[Session] = []

    async def wrapper() -> int:
        # created inside the event loop: anyio >= 4.x refuses a CancelScope made outside one
        session = Session()
        sessions.append(session)
        code = exit_codes.OK
        async with anyio.create_task_group() as tg:
            if sys.platform != "win32":
                tg.start_soon(_watch_signals, session)
            try:
                code = await body(session)
            except Exception as exc:
                # re-raised below, outside the task group, which would otherwise wrap it in
                # an ExceptionGroup that neither this function nor ``main`` recognises
                raised.append(exc)
            finally:
                tg.cancel_scope.cancel()
        return code

    raised: list[Exception] = []
    try:
        code = anyio.run(wrapper, backend=backend)
        if raised:
            raise raised[0]
    except KeyboardInterrupt:
        return exit_codes.INTERRUPTED
    except ScannerError as exc:
        sys.stderr.write(f"scanner: error: {exc}\n")
        return exc.exit_code
    except BrokenPipeError:
        # the reader went away (``| head``): quietly 0, here, before click would turn the
        # EPIPE into exit 1
        from scanner.output.pipe import silence_stdout

        silence_stdout()
        return exit_codes.OK
    if sessions and sessions[0].interrupted_by is not None:
        return 128 + sessions[0].interrupted_by
    return code
