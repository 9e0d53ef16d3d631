"""How a command ends on a failure of the tool's own or a closed stdout, on every path
(the runtime's run loop, the typer app, the fast path of ``scanner.cli.fast``)."""

from __future__ import annotations

import sys

from scanner import exit_codes
from scanner.errors import ScannerError


def exit_for_failure(exc: ScannerError | BrokenPipeError) -> int:
    """A ``ScannerError``: its one line on stderr and its exit code. A closed stdout
    (``| head``): quietly 0, before click or the interpreter would turn the EPIPE into 1."""
    if isinstance(exc, ScannerError):
        sys.stderr.write(f"scanner: error: {exc}\n")
        return exc.exit_code
    from scanner.output.pipe import silence_stdout

    silence_stdout()
    return exit_codes.OK
