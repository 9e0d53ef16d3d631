"""A deterministic workload for the comparison harness tests (no file system, no network).

``liar`` adds one to the result when the cell's params say ``{"lie": true}``: the injected
variant that must make the identical-result check refuse to report.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from scanner.compare.workload import Variant, Workload


def _unit(n: int) -> int:
    return n * n


def _sequential(prepared: dict[str, Any], concurrency: int) -> int:
    return sum(_unit(n) for n in prepared["items"])


def _threads(prepared: dict[str, Any], concurrency: int) -> int:
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return sum(pool.map(_unit, prepared["items"]))


def _liar(prepared: dict[str, Any], concurrency: int) -> int:
    return _sequential(prepared, concurrency) + (1 if prepared["lie"] else 0)


def _threads_held(prepared: dict[str, Any], concurrency: int) -> int:
    # keeps `concurrency` threads alive at once, so the sampler must see them
    barrier = threading.Barrier(concurrency + 1)
    done = threading.Event()

    def hold() -> None:
        barrier.wait()
        done.wait()

    threads = [threading.Thread(target=hold) for _ in range(concurrency)]
    for t in threads:
        t.start()
    barrier.wait()
    done.wait(0.05)
    done.set()
    for t in threads:
        t.join()
    return _sequential(prepared, 1)


def _prepare(params: Mapping[str, Any], size: int) -> dict[str, Any]:
    return {"items": list(range(size)), "lie": bool(params.get("lie"))}


WORKLOAD = Workload(
    name="fake",
    prepare=_prepare,
    canonical=lambda result: {"sum": result},
    summarize=lambda result: {"sum": result},
    variants={
        "sequential": Variant("sequential", _sequential, "sequential"),
        "threads": Variant("threads", _threads, "threads"),
        "threads-held": Variant("threads-held", _threads_held, "threads"),
        "liar": Variant("liar", _liar, "async"),
    },
)
