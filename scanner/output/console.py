"""Rich consoles for people: tables on stdout, diagnostics and progress on stderr."""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from types import TracebackType

from rich.console import Console, RenderableType
from rich.live import Live
from rich.text import Text


def stdout_console() -> Console:
    """Console for tables on stdout (plain, uncoloured text when stdout is not a terminal)."""
    return Console(file=sys.stdout, highlight=False, soft_wrap=False)


def stderr_console() -> Console:
    """Console for diagnostics, warnings and progress."""
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def render_text(renderable: RenderableType, width: int = 120) -> str:
    """Render a rich object to plain text (for tables written to ``--output``)."""
    buf = io.StringIO()
    console = Console(
        file=buf, width=width, color_system=None, force_terminal=False, highlight=False
    )
    console.print(renderable)
    return buf.getvalue()


def progress_enabled(quiet: bool) -> bool:
    """Progress is shown only when stderr is a terminal and the user did not ask for quiet."""
    return not quiet and sys.stderr.isatty()


class Progress:
    """A one-line live status on stderr, refreshed at most a few times a second.

    ``describe`` is called on each refresh to produce the line, so engines only update their
    counters and never pay for rendering.
    """

    def __init__(self, describe: Callable[[], str], *, enabled: bool) -> None:
        self._describe = describe
        self._enabled = enabled
        self._live: Live | None = None
        self._start = time.monotonic()

    def elapsed(self) -> float:
        """Seconds since the progress display was created."""
        return time.monotonic() - self._start

    def __enter__(self) -> Progress:
        if self._enabled:
            self._live = Live(
                _Line(self._describe),
                console=stderr_console(),
                refresh_per_second=8,
                transient=True,
            )
            self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)
            self._live = None


class _Line:
    """A renderable that asks for its text at render time."""

    def __init__(self, describe: Callable[[], str]) -> None:
        self._describe = describe

    def __rich__(self) -> Text:
        return Text(self._describe(), style="dim")
