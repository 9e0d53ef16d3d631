"""What the variants of every workload share: running the anyio engine on a backend, and
the set of scheduling variants built from a workload's four scheduler functions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import anyio

from scanner.compare.workload import Variant

T = TypeVar("T")

#: Async variant name -> anyio backend.
BACKENDS = {"anyio-asyncio": "asyncio", "anyio-trio": "trio"}


def run_on(backend: str, fn: Callable[[], Awaitable[T]]) -> T:
    """``anyio.run`` with the backend; the loop's start-up is part of what a variant costs."""
    return anyio.run(fn, backend=backend)


def backend_missing(backend: str, _params: object = None) -> str | None:
    """Why a backend cannot run here (trio comes only with the ``trio``/``test`` extras);
    ``_params`` makes it a variant's ``unavailable`` through ``partial``."""
    if backend == "trio":
        import importlib.util

        if importlib.util.find_spec("trio") is None:
            return "trio is not installed: pip install 'scanner[trio]'"
    return None


async def _nothing() -> None:
    await anyio.sleep(0)


def warm_backend(backend: str) -> None:
    """Import and start the backend once, untimed: its first import (~20-40 ms) is a cost of
    the process, not of the scheduling being compared."""
    anyio.run(_nothing, backend=backend)


def scheduler_variants(
    *,
    anyio_run: Callable[[str, Any, int], Any],
    threads: Callable[[Any, int], Any],
    classic: tuple[str, Callable[[Any, int], Any]],
    sequential: Callable[[Any, int], Any],
) -> dict[str, Variant]:
    """The anyio engine on asyncio and trio (``anyio_run(backend, prepared, cap)``), the
    ``ThreadPoolExecutor`` variant, the classic ``threading.Thread`` variant and sequential."""
    classic_name, classic_fn = classic
    variants = {
        f"anyio-{backend}": Variant(
            f"anyio-{backend}",
            partial(anyio_run, backend),
            "async",
            warm=partial(warm_backend, backend),
            unavailable=partial(backend_missing, backend),
        )
        for backend in ("asyncio", "trio")
    }
    variants["threads"] = Variant("threads", threads, "threads", description="ThreadPoolExecutor")
    variants[classic_name] = Variant(
        classic_name, classic_fn, "threads", description="threading.Thread"
    )
    variants["sequential"] = Variant("sequential", sequential, "sequential")
    return variants
