"""Stopping an inspection from outside the thread that runs it.

A thread cannot be interrupted: an archive the engine gives up on (Ctrl-C, its deadline)
kept its worker thread busy until the inspection ended, and the interpreter waits for that
thread before the process exits (Ctrl-C during ``--verify`` of a 1 GiB member: exit 130
5.4 s later). So the engine runs each thread's inspections under a flag
(:func:`stoppable`), sets it when it abandons them, and the long loops of the work unit
(decompressing for ``--verify``, opening nested archives) call :func:`check` between steps.
For every other caller (the comparison's variants, worker processes, a cluster's tasks) no
flag is set and :func:`check` does nothing: the work unit's results do not change.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Stopped(BaseException):
    """The inspection was stopped from outside: its report would be dropped.

    A BaseException, so that the work unit's guard (which turns any Exception into an error
    report) lets it through to the engine, like a KeyboardInterrupt."""


_local = threading.local()


def check() -> None:
    """Raise :class:`Stopped` if this thread's inspection was asked to stop."""
    flag: threading.Event | None = getattr(_local, "flag", None)
    if flag is not None and flag.is_set():
        raise Stopped


@contextmanager
def stoppable(flag: threading.Event) -> Iterator[None]:
    """Within the block, :func:`check` in this thread raises once ``flag`` is set."""
    _local.flag = flag
    try:
        yield
    finally:
        _local.flag = None
