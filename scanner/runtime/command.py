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
"""

from __future__ import annotations

import os
import signal
import stat
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import anyio

from scanner import exit_codes
from scanner.output.formats import Format
from scanner.output.sink import open_sink
from scanner.output.stream import RecordStream
from scanner.output.writers import View, Writer, make_writer
from scanner.runtime.session import Session, run_async

# the writers a run may need, imported before the event loop starts: an import that runs
# inside the task group is where a signal used to turn into a traceback
from scanner.output.writers import csv, json, jsonl, table, text  # noqa: F401  isort: skip


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


class _Stream:
    """The record stream of one run (implements ``scanner.output.stream.RecordStream``)."""

    def __init__(self, writer: Writer, session: Session) -> None:
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
            with anyio.CancelScope(shield=True):
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


async def run_job(job: Job, output: Output, session: Session) -> int:
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
            with _progress(job, output), session.work_scope:
                await job.run(stream)
            interrupted = session.work_scope.cancel_called and not stream.reader_gone
            if not stream.reader_gone:
                with anyio.CancelScope(shield=True):
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
    """Run ``job`` on an event loop with signal handling; the process's exit code."""
    return run_async(lambda session: run_job(job, output, session), backend=backend)
