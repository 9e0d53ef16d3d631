"""``python -m scanner``: the same app as the ``scanner`` command."""

from __future__ import annotations

import signal
import sys

if __name__ == "__main__":
    # Ctrl-C or SIGTERM while the CLI is still being imported: 130/143, no traceback
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    try:
        from scanner.entry import run
    except KeyboardInterrupt:
        sys.exit(130)
    run()
