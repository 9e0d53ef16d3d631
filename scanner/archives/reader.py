"""The archive-reader seam: one reader per archive format (zip today).

A reader is the format-specific half of the work unit: it recognises its archives from
their last bytes and inspects one file into an ``ArchiveReport`` (members, findings, nested
archives), never raising for a bad archive. Everything around it — finding candidates,
scheduling, deadlines, summaries, output — is format-free.

Adding a format is one package beside ``scanner/archives/zip/`` with a reader object, plus
its entry in :func:`readers`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from scanner.archives.config import ZipConfig
    from scanner.archives.model import ArchiveReport, Member


class MemberSink(Protocol):
    """Receives an archive's members while the reader streams its directory, so a listing
    can be written without the report holding every member (``ZipConfig.keep_members``).

    Called in the reader's thread, in this order for every archive - the inspected file,
    then each nested archive it opens (depth first): ``begin``, ``members`` for each chunk
    (central-directory order; none for an empty archive), ``end``. An archive's nested
    archives begin after its ``end``, as ``unzip -l``-style listings print them. The
    report itself (findings, counters, nested reports) is what ``inspect_file`` returns.
    """

    def begin(self, archive: str) -> None:
        """``archive`` (the display path: ``outer.zip!inner.zip`` when nested) starts."""
        ...

    def members(self, archive: str, chunk: Sequence[Member]) -> None:
        """The next members of ``archive`` (at most a few thousand at a time; the sequence
        is not reused by the reader, so it may be kept)."""
        ...

    def end(self, archive: str) -> None:
        """``archive`` has no more members."""
        ...


class ArchiveReader(Protocol):
    """Reads one archive format."""

    #: The format's name (``zip``).
    name: str

    def sniff(self, tail: bytes, file_size: int) -> bool:
        """Whether a file whose last ``len(tail)`` bytes are ``tail`` is such an archive."""
        ...

    def inspect_file(
        self, path: str, cfg: ZipConfig, sink: MemberSink | None = None
    ) -> ArchiveReport:
        """The report of the archive at ``path`` (errors and findings are in the report);
        ``sink`` receives the members as they are read (see :class:`MemberSink`)."""
        ...


def readers() -> tuple[ArchiveReader, ...]:
    """Every reader, in the order they are tried (imported on first use)."""
    from scanner.archives.zip.reader import READER as ZIP

    return (ZIP,)


def reader_for(path: str) -> ArchiveReader:
    """The reader for a file picked by name or named on the command line (zip: a file
    that is not a zip archive gets the ``not-a-zip`` finding from it)."""
    del path  # one format today; a second one chooses by extension, then by sniffing
    return readers()[0]
