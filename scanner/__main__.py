"""``python -m scanner``: the same app as the ``scanner`` command."""

from __future__ import annotations

from scanner.cli import run

if __name__ == "__main__":
    run()
