"""The run loop's signal watcher (``scanner.runtime.session``), in this process: a signal
injected at the exact moment the watcher starts listening."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any, NoReturn

import anyio
import pytest

from scanner import exit_codes
from scanner.runtime import session as session_module
from scanner.runtime import signals as signals_module
from scanner.runtime.session import Session


class _Exited(Exception):
    """``os._exit`` was called (replaced, so that the test process survives it)."""


def _no_exit(code: int) -> NoReturn:
    raise _Exited(code)


def _signal_once_after(
    real: Callable[..., Any], signum: signal.Signals, fired: list[int]
) -> Callable[..., Any]:
    """``real`` (``signal.set_wakeup_fd``), then ``signum`` raised once, the first time a
    wakeup fd is set: the signal trips after the fd is set and before the handler is."""

    def wrapper(fd: int, /, **kwargs: Any) -> int:
        old = int(real(fd, **kwargs))
        if fd != -1 and not fired:
            fired.append(fd)
            signal.raise_signal(signum)
        return old

    return wrapper


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_the_watcher_starts_listening_is_one_interruption(
    anyio_backend: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    signum: signal.Signals,
) -> None:
    # asyncio's add_signal_handler sets the wakeup fd, then the handler: a signal between the
    # two is noted by scanner's handler (signal.signal runs pending handlers before it swaps)
    # and its number is in the wakeup fd too, so the loop delivers it once more; taken for a
    # second signal, that copy used to exit at once (os._exit: no output, a temporary report
    # left behind). trio sets its wakeup fd as it starts (before the watcher) and reads no
    # signal numbers from it: the signal is noted and acted on once.
    fired: list[int] = []
    monkeypatch.setattr(signals_module, "pending", [])
    monkeypatch.setattr(os, "_exit", _no_exit)
    monkeypatch.setattr(
        signal, "set_wakeup_fd", _signal_once_after(signal.set_wakeup_fd, signum, fired)
    )
    seen: list[bool] = []

    async def body(session: Session) -> int:
        with session.work_scope:
            await anyio.sleep(30)  # cancelled by the signal
        seen.append(session.interrupted)
        return exit_codes.OK

    code = session_module.run_async(body, backend=anyio_backend)
    assert fired, "the wakeup fd was never set: the signal was not injected"
    assert code == 128 + signum
    assert seen == [True]
    assert "interrupted again" not in capsys.readouterr().err


def test_a_ctrl_c_while_the_watcher_stops_listening_is_noted(
    anyio_backend: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # as the receiver closes, asyncio puts Python's default SIGINT handler back until the
    # watcher installs scanner's again: a Ctrl-C in between used to raise a KeyboardInterrupt
    # inside the loop's teardown (a traceback of asyncio.run()'s shutdown); trio restores
    # scanner's handler itself. Either way the run exits 130, with no traceback.
    monkeypatch.setattr(signals_module, "pending", [])
    real = signal.signal
    fired: list[object] = []
    finished: list[bool] = []

    def swap_then_signal(signum: int, handler: Any) -> Any:
        old = real(signum, handler)
        if signum == signal.SIGINT and finished and not fired:
            fired.append(handler)
            signal.raise_signal(signal.SIGINT)  # right after the first swap past the body
        return old

    monkeypatch.setattr(signal, "signal", swap_then_signal)

    async def body(session: Session) -> int:
        with session.work_scope:
            await anyio.sleep(0)
        finished.append(True)
        return exit_codes.OK

    code = session_module.run_async(body, backend=anyio_backend)
    assert fired, "no SIGINT handler swap after the body: the signal was not injected"
    assert code == exit_codes.INTERRUPTED
    assert "Traceback" not in capsys.readouterr().err
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []
