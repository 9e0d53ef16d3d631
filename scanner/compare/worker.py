"""The worker: one cell, one timed run, in a fresh process.

``python -m scanner.compare.worker`` reads one cell as JSON on stdin, prepares its input
(untimed), runs the variant once under :func:`scanner.compare.metrics.measure`, hashes the
canonical result and writes one :class:`~scanner.compare.model.RunRecord` as JSON on stdout.
A fresh process per run keeps peak RSS and thread counts honest and stops one variant's
threads, caches or child watcher from leaking into the next.
"""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any

from scanner.compare.digest import digest
from scanner.compare.metrics import measure
from scanner.compare.model import Cell, RunRecord
from scanner.compare.workload import load_workload


async def _idle() -> None:
    pass


def _load_runtimes() -> None:
    """Load every scheduler's runtime, whichever variant this worker runs.

    Peak RSS includes the resident interpreter and its modules. Without this, an anyio
    variant's worker would carry the event-loop backends it imported during its warm-up and a
    thread-pool worker would not, and the comparison would measure imports, not scheduling.
    """
    import concurrent.futures  # noqa: F401

    import anyio

    for backend in ("asyncio", "trio"):
        try:
            anyio.run(_idle, backend=backend)
        except (ImportError, LookupError):  # trio is optional
            continue


def execute(cell: Cell) -> RunRecord:
    """Prepare, run and measure one cell in this process."""
    _load_runtimes()
    workload = load_workload(cell.workload)
    variant = workload.variant(cell.variant)
    prepared = workload.prepare(cell.params, cell.size)
    if variant.warm is not None:
        variant.warm()
    concurrency = cell.concurrency if variant.concurrent and variant.style != "sequential" else 1
    if workload.warm_input is not None:
        variant.run(workload.warm_input(prepared), concurrency)
    result, metrics = measure(lambda: variant.run(prepared, concurrency))
    if not variant.checked:
        # an external anchor: its result is already a small dict of counts
        return RunRecord(metrics=metrics, digest=digest(result), summary=dict(result))
    return RunRecord(
        metrics=metrics,
        digest=digest(workload.canonical(result)),
        summary=workload.summarize(result),
        info=workload.info(cell.variant),
    )


def main() -> int:
    """Entry point of the worker process; exit 0 with a record, 1 with an error document."""
    try:
        cell = Cell.from_dict(json.loads(sys.stdin.read()))
        record = execute(cell)
    except BaseException as exc:
        error: dict[str, Any] = {
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }
        sys.stdout.write(json.dumps(error) + "\n")
        return 1
    sys.stdout.write(json.dumps(record.to_dict()) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
