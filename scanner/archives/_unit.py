"""The work unit every archive scheduler shares: inspect one file, return one report.

Synchronous and self-contained (no scheduling, no output): the anyio engine, the comparison
module's thread-pool and sequential variants, and a cluster's workers call exactly
:func:`inspect_one` and get identical reports. The format-specific part is the reader
(``scanner.archives.reader``; zip today).
"""

from __future__ import annotations

from scanner.archives.config import ZipConfig
from scanner.archives.model import ArchiveReport, Candidate
from scanner.archives.reader import reader_for
from scanner.errors import ItemError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from scanner.archives.reader import MemberSink


def inspect_one(path: str, cfg: ZipConfig, sink: MemberSink | None = None) -> ArchiveReport:
    """The work unit, guarded: an unexpected exception becomes an error report, never a crash.

    A reader promises not to raise for bad archives; this guard keeps one bug in a
    check from taking a whole tree scan down with it. ``sink`` receives the members as
    they are read (:class:`~scanner.archives.reader.MemberSink`); members already handed
    to it stay handed when a bug ends the inspection early.
    """
    try:
        return reader_for(path).inspect_file(path, cfg, sink)
    except MemoryError:
        return error_report(ItemError(path, "inspect", "out of memory while inspecting"))
    except Exception as exc:  # a bug, reported as data with its cause
        message = f"internal error: {type(exc).__name__}: {exc}"
        return error_report(ItemError(path, "inspect", message))


def error_report(error: ItemError, size: int | None = None) -> ArchiveReport:
    """The report of a file that could not be inspected (``error`` set, nothing else)."""
    return ArchiveReport(path=error.subject, size=size or 0, error=error)


def deadline_report(candidate: Candidate, deadline: float) -> ArchiveReport:
    """The report of an archive abandoned at its deadline."""
    message = f"inspection took longer than the {deadline:g} s deadline; abandoned"
    return error_report(ItemError(candidate.path, "deadline", message), candidate.size)
