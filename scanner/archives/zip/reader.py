"""The zip format behind the archive-reader seam (``scanner.archives.reader``)."""

from __future__ import annotations

from scanner.archives.config import ZipConfig
from scanner.archives.model import ArchiveReport
from scanner.archives.zip.inspect import inspect_file, sniff_zip

TYPE_CHECKING = False
if TYPE_CHECKING:
    from scanner.archives.reader import MemberSink


class ZipReader:
    """The zip format behind the archive-reader seam (``scanner.archives.reader``)."""

    name = "zip"

    def sniff(self, tail: bytes, file_size: int) -> bool:
        """See :func:`scanner.archives.zip.inspect.sniff_zip`."""
        return sniff_zip(tail, file_size)

    def inspect_file(
        self, path: str, cfg: ZipConfig, sink: MemberSink | None = None
    ) -> ArchiveReport:
        """See :func:`scanner.archives.zip.inspect.inspect_file`."""
        return inspect_file(path, cfg, sink)


#: The reader the archive engine calls for zip-family files.
READER = ZipReader()
