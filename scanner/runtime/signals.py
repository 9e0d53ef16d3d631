"""SIGINT and SIGTERM from the first line of start-up to the last of shut-down.

Between the moments a command's event loop listens for signals, a handler must not raise:
an exception thrown at an arbitrary bytecode (inside an import, an import-lock callback, the
event loop's own machinery) is printed as "Exception ignored" and lost, or ends in a
traceback. So the start-up path (``scanner.entry``) installs :func:`note`, which only
records the signal; the command runtime acts on what was recorded as soon as it can (it
stops before starting any work), and the process exits 130/143 at the end. Commands that
run no event loop look at :data:`pending` between their steps (``bench`` between runs,
``lab slowfs`` while mounted).
"""

from __future__ import annotations

import signal

#: Signals received while nobody was listening, oldest first.
pending: list[int] = []

_HANDLED = (signal.SIGINT, signal.SIGTERM)


def note(signum: int, _frame: object) -> None:
    """The handler: record, never raise."""
    pending.append(signum)


def install() -> None:
    """Make :func:`note` the handler of SIGINT and SIGTERM (main thread only)."""
    for signum in _HANDLED:
        signal.signal(signum, note)


def exit_code() -> int | None:
    """128 + the first recorded signal, or None."""
    return 128 + pending[0] if pending else None
