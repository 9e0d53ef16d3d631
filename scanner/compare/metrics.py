"""Measure one run of the work inside a worker process.

Wall time brackets the work call only. CPU time and context switches are ``getrusage``
deltas of the process and of its reaped children (ping processes), minus what the thread
sampler itself spent (``RUSAGE_THREAD`` read inside the sampler), so the instrument does not
show up in the result. Peak RSS is the high-water mark *of the work*: Linux's ``VmHWM`` is
reset just before the call (``echo 5 > /proc/self/clear_refs``) and read after it, so the
peak of importing modules and preparing the input does not hide what the variant itself
used (the resident interpreter and imports still count, equally for every variant: the worker
loads every scheduler's runtime before any variant runs). Where
that reset is unavailable, the fresh worker's ``ru_maxrss`` stands in. ``VmRSS`` just
before the call is kept too: peak minus base is what the work itself added.

The peak thread count comes from a sampler thread reading ``Threads:`` from
``/proc/self/status`` (``threading.active_count()`` where /proc is missing) every few
milliseconds; threads that live shorter than the interval can be missed, pools cannot.
"""

from __future__ import annotations

import resource
import sys
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from scanner.compare.model import RunMetrics

T = TypeVar("T")

#: How often the sampler looks at the thread count (seconds).
SAMPLE_INTERVAL_S = 0.002
_RUSAGE_THREAD: int | None = getattr(resource, "RUSAGE_THREAD", None)
# ru_maxrss is KiB on Linux, bytes on macOS
_MAXRSS_DIVISOR = 1024 if sys.platform == "darwin" else 1


def os_thread_count() -> int:
    """Threads of this process as the kernel counts them (Python's count without /proc)."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"Threads:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return threading.active_count()


class ThreadSampler:
    """A daemon thread that records the largest thread count seen while it runs."""

    def __init__(self, interval_s: float = SAMPLE_INTERVAL_S) -> None:
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="compare-sampler", daemon=True)
        self.peak = 0
        self.own_usage: resource.struct_rusage | None = None

    def _run(self) -> None:
        try:
            while True:
                self.peak = max(self.peak, os_thread_count())
                if self._stop.wait(self._interval):
                    break
            self.peak = max(self.peak, os_thread_count())
        finally:
            if _RUSAGE_THREAD is not None:
                self.own_usage = resource.getrusage(_RUSAGE_THREAD)

    def __enter__(self) -> ThreadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_without_self(self) -> int:
        """The peak minus the sampler thread."""
        return max(1, self.peak - 1)


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def _status_kib(field: bytes) -> int | None:
    # VmHWM (peak RSS since the last reset) or VmRSS (now) from /proc/self/status
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def measure(
    work: Callable[[], T], *, sample_interval_s: float = SAMPLE_INTERVAL_S
) -> tuple[T, RunMetrics]:
    """Run ``work()`` once and return its result with what it cost."""
    hwm_reset = _reset_peak_rss()
    base = _status_kib(b"VmRSS:")
    self_before = resource.getrusage(resource.RUSAGE_SELF)
    kids_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with ThreadSampler(sample_interval_s) as sampler:
        start = time.perf_counter()
        result = work()
        wall = time.perf_counter() - start
    self_after = resource.getrusage(resource.RUSAGE_SELF)
    kids_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = sampler.own_usage
    peak = _status_kib(b"VmHWM:") if hwm_reset else None
    if peak is None:
        peak = int(self_after.ru_maxrss // _MAXRSS_DIVISOR)

    def delta(field: str) -> float:
        value = (getattr(self_after, field) - getattr(self_before, field)) + (
            getattr(kids_after, field) - getattr(kids_before, field)
        )
        if own is not None:
            value -= getattr(own, field)
        return float(max(value, 0))

    metrics = RunMetrics(
        wall_s=wall,
        user_s=delta("ru_utime"),
        sys_s=delta("ru_stime"),
        peak_rss_kib=peak,
        children_peak_rss_kib=int(kids_after.ru_maxrss // _MAXRSS_DIVISOR),
        peak_threads=sampler.peak_without_self,
        ctx_voluntary=int(delta("ru_nvcsw")),
        ctx_involuntary=int(delta("ru_nivcsw")),
        base_rss_kib=base or 0,
    )
    return result, metrics
