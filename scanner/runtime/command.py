"""The one command runtime: every data command (walk, ext, scan, du, zip, ping) runs a *job*
through :func:`execute`.

A job (``scanner/*/jobs.py``) runs its engine and emits records; this module does the rest,
the same way for every command:

* the output: stdout or an ``--output`` report (atomic: whole or absent, never half-written),
  the writer of the chosen format over the job's view (``scanner.output.writers``);
* progress on stderr: only when stderr is a terminal, not ``--quiet``, and no data streams to
  where a terminal may show it (a streamed listing goes only to a file or ``-o``: a pipe's
  reader may print to this very terminal, and the line would tear the data);
* Ctrl-C/SIGTERM: the work stops, what was finished is written as a whole, valid output
  marked ``"interrupted": true`` — to stdout and to ``-o`` alike — then exit 130/143;
* a closed stdout (``| head``): the work stops quietly, exit 0;
* the summary line on stderr (unless ``--quiet``; always when interrupted) and the exit code.

A job that can do its work at once in this thread (:class:`InlineJob`: a walk of a small
tree) runs without an event loop: :func:`execute` asks it first, and when the work is done
the same :func:`run_job` writes the output on an :class:`InlineSession`, driven to the end
without a loop (nothing in it waits: stdout is written directly). Neither asyncio nor anyio
is imported then, which is most of the start-up of ``scanner walk DIR | ...`` (issue 12).
"""

from __future__ import annotations

import os
import signal
import stat
import sys
from collections.abc import Coroutine, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from scanner import exit_codes
from scanner.output.formats import Format
from scanner.output.sink import open_sink
from scanner.output.stream import RecordStream
from scanner.output.writers import View, Writer, load_writer, make_writer

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True, slots=True)
class Output:
    """Where and how a command writes its data (from ``--json/--jsonl/--csv``, ``-o``,
    ``--quiet``)."""

    fmt: Format
    #: A report file (written atomically), or None for stdout.
    path: Path | None = None
    #: No progress line and no summary on stderr.
    quiet: bool = False

    @property
    def terminal(self) -> bool:
        """Data goes to a terminal (names escaped, tables fitted to its width)."""
        return self.path is None and sys.stdout.isatty()


class Job(Protocol):
    """One command's work, as the runtime drives it."""

    @property
    def view(self) -> View:
        """How the records look in every format."""
        ...

    @property
    def streamed(self) -> str | None:
        """The ``--json`` list key written as records arrive (None: the document is written
        at the end)."""
        ...

    def streams(self, fmt: Format) -> bool:
        """True when data is written to the output while the work runs in this format."""
        ...

    def progress(self) -> str:
        """The live progress line."""
        ...

    async def run(self, out: RecordStream) -> None:
        """Do the work and emit records as they are found (cancelled on Ctrl-C)."""
        ...

    async def end(self, out: RecordStream) -> None:
        """Emit what is known only at the end (tables, totals): after ``run`` returned or
        was interrupted, shielded from cancellation."""
        ...

    def summary(self, *, interrupted: bool) -> dict[str, Any]:
        """The summary record's fields (``interrupted`` is added by the runtime)."""
        ...

    def summary_line(self, *, interrupted: bool) -> str:
        """The stderr summary, one line, newline-terminated ("" for none)."""
        ...

    def exit_code(self) -> int:
        """The exit code of a run that was not interrupted."""
        ...


class InlineJob(Job, Protocol):
    """A job that may do all its work at once, in this thread, before any output."""

    def work_inline(self) -> bool:
        """Do the work now if it is small (no output yet); True when it is all done, so
        that ``run`` only emits what was found. False: ``run`` does (the rest of) it."""
        ...


class RunSession(Protocol):
    """What :func:`run_job` needs of its session (``scanner.runtime.session.Session`` on
    an event loop, :class:`InlineSession` without one)."""

    @property
    def work_scope(self) -> Any:
        """The scope the work runs in: a context manager with ``cancel()`` and
        ``cancel_called``."""
        ...

    interrupted_by: int | None

    def shield(self) -> AbstractContextManager[Any]:
        """A scope that finishes what it holds even while the work is being cancelled."""
        ...


class _DoneScope:
    """The work scope of an inline run: the work is done, nothing is left to cancel."""

    cancel_called = False

    def __enter__(self) -> _DoneScope:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def cancel(self) -> None:
        """Nothing to stop (a closed stdout still stops the writing: ``_Stream``)."""


class InlineSession:
    """The session of a run whose work was done inline: no event loop, no signal watcher
    (a signal is noted by ``scanner.runtime.signals`` and sets the exit code at the end)."""

    def __init__(self) -> None:
        self.work_scope = _DoneScope()
        self.interrupted_by: int | None = None

    def shield(self) -> AbstractContextManager[None]:
        """Nothing cancels an inline run."""
        return nullcontext()


class _Stream:
    """The record stream of one run (implements ``scanner.output.stream.RecordStream``)."""

    def __init__(self, writer: Writer, session: RunSession) -> None:
        self._writer = writer
        self._session = session
        self.reader_gone = False

    async def emit(self, kind: str, items: Sequence[Any]) -> None:
        """Write and push a batch; a closed stdout stops the work.

        A batch is written whole even when the work is being cancelled (shielded): what the
        job counts is what was written, so an interrupted run's summary matches its records.
        """
        if self.reader_gone:
            return
        try:
            with self._session.shield():
                await self._writer.write(kind, items)
                await self._writer.flush()
        except BrokenPipeError:
            self.reader_gone = True
            self._session.work_scope.cancel()

    def warn(self, line: str) -> None:
        """A diagnostic line on stderr (rich's live display prints it above the progress)."""
        sys.stderr.write(line if line.endswith("\n") else line + "\n")
        sys.stderr.flush()


def _stdout_is_a_file() -> bool:
    try:
        return stat.S_ISREG(os.fstat(sys.stdout.fileno()).st_mode)
    except (OSError, ValueError):
        return False


def progress_wanted(output: Output, *, streams: bool) -> bool:
    """Whether a progress line may be shown on stderr during this run."""
    if output.quiet or not sys.stderr.isatty():
        return False
    if not streams:
        return True  # the data comes after the line is gone
    return output.path is not None or _stdout_is_a_file()


def _progress(job: Job, output: Output) -> AbstractContextManager[object]:
    if not progress_wanted(output, streams=job.streams(output.fmt)):
        return nullcontext()
    from scanner.output.console import Progress  # rich: only when there is a terminal

    return Progress(job.progress, enabled=True)


async def run_job(job: Job, output: Output, session: RunSession) -> int:
    """Run ``job`` inside the session's work scope and write its output; the exit code.

    A cancelled work scope (a signal, or a caller in-process) is an interrupted run: what was
    finished is written whole, and the code is 128 + the signal (130 without one)."""
    stream: _Stream | None = None
    interrupted = False
    try:
        async with open_sink(output.path) as sink:
            writer = make_writer(
                output.fmt, sink, job.view, terminal=output.terminal, streamed=job.streamed
            )
            stream = _Stream(writer, session)
            await writer.start()
            inline = isinstance(session, InlineSession)  # done already: no progress line
            with _progress(job, output) if not inline else nullcontext(), session.work_scope:
                await job.run(stream)
            interrupted = session.work_scope.cancel_called and not stream.reader_gone
            if not stream.reader_gone:
                with session.shield():
                    await job.end(stream)
                    summary = {**job.summary(interrupted=interrupted), "interrupted": interrupted}
                    await writer.finish(summary)
    except BrokenPipeError:
        pass  # the reader of stdout went away while the output was finished
    else:
        if stream is None or not stream.reader_gone:
            if not output.quiet or interrupted:
                line = job.summary_line(interrupted=interrupted)
                if line:
                    sys.stderr.write(line)
            if interrupted:
                return 128 + (session.interrupted_by or signal.SIGINT)
            return job.exit_code()
    from scanner.output.pipe import silence_stdout

    silence_stdout()
    session.interrupted_by = None  # the reader's choice, not a signal: exit 0
    return exit_codes.OK


def execute(job: Job, output: Output, *, backend: str = "asyncio") -> int:
    """Run ``job`` on an event loop with signal handling; the process's exit code. An
    :class:`InlineJob` whose work is done at once writes its output without a loop."""
    # the run's writer, imported before the event loop starts: an import that runs inside
    # the task group is where a signal used to turn into a traceback
    load_writer(output.fmt)
    if output.path is None and backend == "asyncio" and _done_inline(job):
        return run_inline(job, output)
    from scanner.runtime.session import run_async

    return run_async(lambda session: run_job(job, output, session), backend=backend)


def _done_inline(job: Job) -> bool:
    work_inline = getattr(job, "work_inline", None)  # an InlineJob
    if work_inline is None:
        return False
    from scanner.runtime import collector, signals

    collector.resume()  # the work may run right here, without a loop

    # a signal that came meanwhile: the event loop's run acts on it as on any other
    return bool(work_inline()) and not signals.pending


def run_inline(job: Job, output: Output) -> int:
    """Write the output of a job whose work is done (``work_inline`` returned True), in
    this thread; the exit code (the tool's own failures are one line, as on a loop)."""
    from scanner.errors import ScannerError
    from scanner.runtime import signals

    try:
        code = drive(run_job(job, output, InlineSession()))
    except (ScannerError, BrokenPipeError) as exc:
        from scanner.runtime.failure import exit_for_failure

        return exit_for_failure(exc)
    late = signals.exit_code()  # noted while the output was written: exit 128 + signal
    return code if late is None else late


def drive(coro: Coroutine[Any, Any, int]) -> int:
    """Run a coroutine that never waits (no event loop: every ``await`` in it returns at
    once) to its end and return its value."""
    try:
        coro.send(None)
    except StopIteration as done:
        return int(done.value)
    coro.close()
    raise RuntimeError("an inline run waited for something: it needs an event loop")
