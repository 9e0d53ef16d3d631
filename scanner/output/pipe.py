"""When the reader of stdout goes away (``scanner walk . | head``)."""

from __future__ import annotations

import os
import sys


def silence_stdout() -> None:
    """Stop quietly, as ripgrep does: point stdout at /dev/null so that Python does not
    complain while it flushes stdout at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)
