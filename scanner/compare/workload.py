"""What a workload is: an untimed preparation, a canonical result, and its variants.

Every variant of a workload calls the same work unit (``scan_batch``, ``inspect_file``,
``ping_argv`` + ``parse_ping_output``) and differs only in scheduling. A variant is a plain
synchronous callable ``(prepared, concurrency) -> result``; the async ones start their own
event loop inside, which is part of what they cost.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.errors import UsageProblem

VariantFn = Callable[[Any, int], Any]

#: Scheduling styles, in the order tables list them.
STYLES = ("async", "threads", "sequential", "anchor", "cluster")


@dataclass(frozen=True, slots=True)
class Variant:
    """One way of scheduling a workload's work units."""

    name: str
    run: VariantFn
    style: str  # one of STYLES
    checked: bool = True  # False for anchors whose result cannot be compared
    concurrent: bool = True  # False: ignores the cap (sequential, os.walk, fping); run once
    description: str = ""
    # called once in the worker before the clock starts: imports and one-time set-up that
    # are not what the comparison is about (an event loop backend's first import)
    warm: Callable[[], None] | None = None
    # why the variant cannot run here (a tool not installed), None when it can
    unavailable: Callable[[Mapping[str, Any]], str | None] = field(default=lambda params: None)


@dataclass(frozen=True, slots=True)
class Workload:
    """A workload the harness can run in a worker process."""

    name: str
    # (params, size) -> the input every variant receives; runs before the clock starts
    prepare: Callable[[Mapping[str, Any], int], Any]
    # result -> JSON-able form that must not depend on scheduling
    canonical: Callable[[Any], Any]
    # result -> a few counts for people
    summarize: Callable[[Any], dict[str, Any]]
    variants: Mapping[str, Variant]
    # facts about the run worth recording (child watcher ...); called after the work
    info: Callable[[str], dict[str, Any]] = field(default=lambda variant: {})
    # prepared -> a one-item version of it, run once untimed by every variant before the
    # clock starts, so that lazy imports and first-call set-up (ctypes, a child watcher)
    # are not charged to whichever variant happens to trigger them
    warm_input: Callable[[Any], Any] | None = None

    def variant(self, name: str) -> Variant:
        """The named variant, or a usage error listing the known ones."""
        try:
            return self.variants[name]
        except KeyError:
            known = ", ".join(self.variants)
            raise UsageProblem(
                f"unknown variant {name!r} for {self.name} (known: {known})"
            ) from None


#: Built-in workloads, imported only when a cell needs them.
REGISTRY: dict[str, str] = {
    "walk": "scanner.compare.variants.walk:WORKLOAD",
    "zip": "scanner.compare.variants.zip:WORKLOAD",
    "ping": "scanner.compare.variants.ping:WORKLOAD",
}


def load_workload(ref: str) -> Workload:
    """A registered workload by name, or any ``module:attribute`` reference (tests use that)."""
    target = REGISTRY.get(ref, ref)
    module_name, sep, attr = target.partition(":")
    if not sep:
        raise UsageProblem(f"unknown workload {ref!r} (known: {', '.join(REGISTRY)})")
    module = importlib.import_module(module_name)
    workload = getattr(module, attr)
    if not isinstance(workload, Workload):
        raise UsageProblem(f"{target} is not a Workload")
    return workload
