"""Running an anyio entry point on a chosen backend, for the async variants."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

T = TypeVar("T")

#: Async variant name -> anyio backend.
BACKENDS = {"anyio-asyncio": "asyncio", "anyio-trio": "trio"}


def run_on(backend: str, fn: Callable[[], Awaitable[T]]) -> T:
    """``anyio.run`` with the backend; the loop's start-up is part of what a variant costs."""
    return anyio.run(fn, backend=backend)


async def _nothing() -> None:
    await anyio.sleep(0)


def warm_backend(backend: str) -> None:
    """Import and start the backend once, untimed: its first import (~20-40 ms) is a cost of
    the process, not of the scheduling being compared."""
    anyio.run(_nothing, backend=backend)
