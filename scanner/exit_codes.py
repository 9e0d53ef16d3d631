"""Every exit code of the ``scanner`` command, in one place.

Documented in the README ("Exit codes"); tests assert them exactly.
"""

from __future__ import annotations

# typing costs ~3 ms to import and every start-up pays it here (see scanner.entry); with
# postponed annotations, Final is only needed by type checkers, which honour this constant
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

#: Everything asked for was done and nothing failed.
OK: Final = 0
#: The command completed, but some items failed or matched a failure condition:
#: unreadable directories or files (walk/ext/scan/check), unreachable hosts (ping),
#: findings at or above ``--fail-on`` (zip).
PARTIAL: Final = 1
#: ping: some targets could not be resolved to an address.
UNRESOLVED: Final = 2
#: Bad command line: unknown option, invalid value, invalid target, conflicting options.
USAGE: Final = 3
#: The command could not do its work at all (for example the report file cannot be written,
#: or a required tool is missing).
FAILURE: Final = 4
#: Stopped by SIGINT (Ctrl-C); partial results were printed.
INTERRUPTED: Final = 130
#: Stopped by SIGTERM.
TERMINATED: Final = 143
