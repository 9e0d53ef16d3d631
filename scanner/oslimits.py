"""What this process may use: CPUs (its affinity mask, not the machine's count) and open
files (the soft ``RLIMIT_NOFILE``). Engines size their defaults from these."""

from __future__ import annotations

import os


def usable_cpus() -> int:
    """CPUs this process may run on (at least 1)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def open_file_limit() -> int | None:
    """The soft limit on open descriptors, or None when there is none worth modelling
    (unlimited, or Windows)."""
    try:
        import resource
    except ImportError:  # Windows: no such limit on process handles
        return None
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else int(soft)
