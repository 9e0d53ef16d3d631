#!/usr/bin/env python3
"""Run the scanner CLI from a checkout: ``python cli.py scan .``.

The same typer app as the installed ``scanner`` command and ``python -m scanner``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Running from a checkout must not need an install: put the repo root first on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scanner.entry import run

if __name__ == "__main__":
    run()
