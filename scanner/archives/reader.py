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
    from scanner.archives.config import ZipConfig
    from scanner.archives.model import ArchiveReport


class ArchiveReader(Protocol):
    """Reads one archive format."""

    #: The format's name (``zip``).
    name: str

    def sniff(self, tail: bytes, file_size: int) -> bool:
        """Whether a file whose last ``len(tail)`` bytes are ``tail`` is such an archive."""
        ...

    def inspect_file(self, path: str, cfg: ZipConfig) -> ArchiveReport:
        """The report of the archive at ``path`` (errors and findings are in the report)."""
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
