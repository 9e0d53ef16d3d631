"""The zip reader: end records, central directory, audit checks, ``--verify``, and the plain
listing fast paths (``plain``, imported by the start-up path without the rest).
``scanner.archives.zip.reader.READER`` is what the archive engine calls."""
