"""Which async library runs the current task, without depending on sniffio.

A plain ``pip install .`` brings anyio but not always sniffio (trio does), so the check must
use only the standard library: asyncio has a running loop in this thread exactly when asyncio
runs us; under trio there is none.
"""

from __future__ import annotations

import asyncio


def on_asyncio() -> bool:
    """True when called from a task that asyncio runs (anyio's asyncio backend)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
