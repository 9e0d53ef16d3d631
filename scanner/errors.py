"""Errors that stop a command, and the record type for errors that do not.

Exception tree (only for what really stops a command)::

    ScannerError
     ├── UsageProblem      bad input found by the library (invalid target, conflicting
     │                     options, a value out of range); maps to exit code USAGE
     └── OperationFailed   the work cannot be done at all (report file not writable,
                           required tool missing); maps to exit code FAILURE

Per-item failures (an unreadable directory, a corrupt archive, an unresolvable host) are
never raised out of an engine: they are :class:`ItemError` records in the results,
counted in the summary and reflected in the exit code.
"""

from __future__ import annotations

import errno as errno_mod
from dataclasses import dataclass

from scanner import exit_codes


class ScannerError(Exception):
    """Root of every error the library raises on purpose."""

    exit_code: int = exit_codes.FAILURE


class UsageProblem(ScannerError):
    """The caller asked for something invalid; nothing was done."""

    exit_code = exit_codes.USAGE


class OperationFailed(ScannerError):
    """The command cannot do its work at all."""

    exit_code = exit_codes.FAILURE


@dataclass(frozen=True, slots=True)
class ItemError:
    """One failure on one item, kept as data.

    ``subject`` is the path, archive member or target; ``phase`` names what was being
    done (``scandir``, ``stat``, ``root``, ``loop``, ``open``, ``resolve``, ``spawn`` ...);
    ``errno`` is the OS error number when there is one.
    """

    subject: str
    phase: str
    message: str
    errno: int | None = None

    @property
    def errno_name(self) -> str | None:
        """Symbolic errno (``EACCES``), or None."""
        if self.errno is None:
            return None
        return errno_mod.errorcode.get(self.errno)

    @classmethod
    def from_os_error(cls, subject: str, phase: str, exc: OSError) -> ItemError:
        """Build a record from an ``OSError`` without losing errno."""
        message = exc.strerror or str(exc)
        return cls(subject=subject, phase=phase, message=message, errno=exc.errno)
