"""The ``scanner`` console script, ``python -m scanner`` and ``cli.py`` start here.

Importing the typer app (typer, click, rich's pieces, every command's options) costs ~65 ms
before a command runs, more than ``zipinfo -1`` needs to list 100,000 names. So two exact
command lines are served here without importing the app: :func:`fast_zip` accepts only
``scanner zip --names [-0] [-q] [--] FILE`` and ``scanner zip --list [-q] [--] FILE``, with
FILE a regular file, stdout not a terminal, and an archive that
:mod:`scanner.archives.zip.plain` can answer for (clean, ASCII names, ...). Anything else
(another option, a directory, a terminal, an archive with any finding, an error) returns
None and the typer app runs the command from the start, so both paths print the same bytes
(tests/test_zip_fast_path.py compares them).
"""

from __future__ import annotations

import os
import stat
import sys

from scanner import exit_codes
from scanner.runtime import collector, signals

TYPE_CHECKING = False  # typing/collections.abc stay unimported on the fast path
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

_FLAGS = {
    "--names": "names",
    "--list": "list",
    "-l": "list",
    "--print0": "null",
    "-0": "null",
    "--quiet": "quiet",
    "-q": "quiet",
}


def run() -> None:
    """Console-script entry point: the fast path when it applies, else the typer app."""
    # a Ctrl-C or SIGTERM before a command's run loop listens is noted, not raised (see
    # scanner.runtime.signals): the command stops as soon as it can, and exits 130/143
    signals.install()
    # no garbage collection while modules load: resumed when the command's work starts
    # (scanner.runtime.collector)
    collector.pause()
    try:
        code = fast_zip(sys.argv[1:])
        if code is None:
            from scanner.cli import main

            code = main()
    except KeyboardInterrupt:
        code = exit_codes.INTERRUPTED
    late = signals.exit_code()
    if late is not None and code not in (exit_codes.INTERRUPTED, exit_codes.TERMINATED):
        code = late
    # The command is over: what the interpreter's shutdown would collect is garbage of a
    # process about to end. Frozen, the tens of thousands of objects that imports made
    # (modules, classes, functions) are not walked again by the collections that module
    # teardown runs (~25 ms of a loopback sweep's 0.25 s); objects are still released,
    # and files closed, as their references go.
    import gc

    gc.freeze()
    sys.exit(code)


def fast_zip(argv: Sequence[str]) -> int | None:
    """Serve ``zip --names FILE`` and ``zip --list FILE`` without the typer app; None when
    the command line or the archive is not one the fast path answers for."""
    if len(argv) < 3 or argv[0] != "zip":
        return None
    seen: set[str] = set()
    paths: list[str] = []
    options = True
    for arg in argv[1:]:
        if options and arg == "--":
            options = False
        elif options and arg.startswith("-") and arg != "-":
            flag = _FLAGS.get(arg)
            if flag is None:
                return None
            seen.add(flag)
        else:
            paths.append(arg)
    view = seen & {"names", "list"}
    if len(view) != 1 or len(paths) != 1 or sys.stdout.isatty():
        return None
    if "null" in seen and "list" in seen:
        return None  # a usage error: the typer path says so
    collector.resume()  # the work starts
    found = _read(paths[0], "list" in seen, b"\0" if "null" in seen else b"\n")
    if found is None:
        return None
    pieces, count = found
    from scanner.archives.zip.plain import FileChanged

    try:
        for piece in pieces:  # a large directory is formatted as it is written
            sys.stdout.buffer.write(piece)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        from scanner.output.pipe import silence_stdout

        silence_stdout()
        return exit_codes.OK
    except FileChanged as exc:  # what was written stands
        sys.stdout.buffer.flush()
        sys.stderr.write(f"scanner zip: {paths[0]}: {exc}\n")
        return exit_codes.PARTIAL
    if "quiet" not in seen:
        from scanner.archives.summary_line import summary_line

        sys.stderr.write(f"scanner zip: {summary_line(1, count, 0)}\n")
    return exit_codes.OK


def _read(path: str, listing: bool, sep: bytes) -> tuple[Iterable[bytes], int] | None:
    """(output pieces, member count), or None for the full path. The pieces of a large
    directory are read while they are written (``plain.SINGLE_PASS``): the file stays open
    until they are consumed."""
    from scanner.archives.source import FileView
    from scanner.archives.zip import plain

    if listing and not path.isascii():
        return None  # the archive's path is printed: leave its encoding to the full path
    try:
        # FIFOs and devices are never opened (a FIFO would block this open forever), and
        # O_NONBLOCK keeps a file swapped for one after this stat from blocking either
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
    except OSError:
        return None  # the full path reports it as a result
    keep_open = False
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        view = FileView(fd, st.st_size)
        if not listing:
            names = plain.plain_names(view, st.st_size, sep)
            if names is None:
                return None
            keep_open = True
            return _closing(fd, names[0]), names[1]
        found = plain.plain_listing(view, st.st_size)
        if found is None:
            return None
        lines, count, total = found
        head = plain.listing_head(path).encode()
        foot = plain.listing_foot(total, count).encode()
        keep_open = True
        return _closing(fd, _chain(head, lines, foot)), count
    except OSError:
        return None
    finally:
        if not keep_open:
            os.close(fd)


def _chain(head: bytes, middle: Iterable[bytes], foot: bytes) -> Iterator[bytes]:
    yield head
    yield from middle
    yield foot


def _closing(fd: int, pieces: Iterable[bytes]) -> Iterator[bytes]:
    """``pieces``, then the file closed (also when the writer stops early)."""
    try:
        yield from pieces
    finally:
        os.close(fd)
