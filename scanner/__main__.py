"""``python -m scanner``: the same app as the ``scanner`` command."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    try:
        # first of all: from here on a Ctrl-C or SIGTERM is noted, never raised mid-import
        from scanner.runtime.signals import install

        install()
    except KeyboardInterrupt:
        sys.exit(130)
    from scanner.entry import run

    run()
