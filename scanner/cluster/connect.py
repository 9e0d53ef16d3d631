"""Connecting to a Dask cluster: an embedded ``LocalCluster``, a scheduler address, a file.

The only module of the package that starts Dask; nothing imports ``distributed`` until
:func:`connect` (or :func:`require_dask`) runs, so a run without ``--cluster`` pays nothing.

An embedded cluster listens on 127.0.0.1 only (scheduler, workers and the scheduler's HTTP
routes, on free ports), with one thread per worker process (the per-entry work of a walk
holds the GIL: a second thread in one process only adds hand-offs). Its workers are
*forked* from this process where the OS allows it: they start in ~0.2 s with everything
already imported, where spawned ones take ~1 s to import Dask again (measured on 2 cores),
and a whole-process run of a few seconds cannot afford that.
Dask's own log lines (worker restarts, connection retries) are silenced: failures reach the
user as records or as one :class:`ClusterLost` error instead.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from scanner.cluster.spec import ClusterSpec
from scanner.errors import OperationFailed

if TYPE_CHECKING:
    from distributed import Client

#: How long to wait for a scheduler to answer, and for a first worker to join it.
CONNECT_TIMEOUT_S = 30.0

#: What to install when Dask is missing (one line, exit code FAILURE).
INSTALL_HINT = "pip install 'scanner[cluster]'"


class ClusterLost(OperationFailed):
    """The scheduler went away during a run: the run ends with what was merged so far."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        #: what was merged before the scheduler went away (set by the engines' helpers)
        self.report: object | None = None


def require_dask_installed() -> None:
    """Fail at once, without importing it (a second or so), when Dask is not installed."""
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        raise OperationFailed(
            f"--cluster needs Dask (no module named 'distributed'): {INSTALL_HINT}"
        )


def require_dask() -> None:
    """Import Dask distributed, or raise a one-line ``OperationFailed`` naming the extra."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise OperationFailed(f"--cluster needs Dask ({exc}): {INSTALL_HINT}") from None


class Cluster:
    """A connection to a Dask cluster (and the embedded cluster itself for ``local``).

    Thread-safe as Dask's synchronous client is: the engines call it from worker threads
    of their event loop, never from the loop itself.
    """

    def __init__(self, spec: ClusterSpec, client: Client, local: Any | None = None) -> None:
        self.spec = spec
        self.client = client
        self._local = local
        self._restore: dict[str, Any] = {}

    @property
    def address(self) -> str:
        """The scheduler's address."""
        return str(self.client.scheduler.address)

    def threads(self) -> int:
        """Worker threads in the cluster right now (at least 1)."""
        counts: dict[str, int] = self.client.nthreads()
        return max(1, sum(counts.values()))

    def workers(self) -> int:
        """Worker processes in the cluster right now."""
        return len(self.client.nthreads())

    def close(self) -> None:
        """Disconnect (and stop an embedded cluster). Idempotent."""
        import dask

        client, local = self.client, self._local
        self._local = None
        try:
            client.close()
        finally:
            if local is not None:
                local.close()
            if self._restore:
                dask.config.set(self._restore)
                self._restore = {}

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def silence_dask_logs() -> None:
    """Failures reach the user as records or as one ``ClusterLost``, not as Dask's log lines
    (Dask's logging config sets levels on some of its loggers of their own: those too)."""
    manager = logging.getLogger().manager
    names = [n for n in manager.loggerDict if n == "distributed" or n.startswith("distributed.")]
    for name in {"distributed", *names}:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def connect(spec: ClusterSpec, *, timeout: float = CONNECT_TIMEOUT_S) -> Cluster:
    """Start or reach the cluster ``spec`` names; blocking (run it in a worker thread from
    async code). Raises ``OperationFailed`` (exit 4) when Dask is missing or the scheduler
    cannot be reached, ``UsageProblem`` for a bad spec."""
    require_dask()
    from distributed import Client

    silence_dask_logs()
    if spec.kind == "local":
        return _start_local(spec)
    try:
        if spec.kind == "file":
            client = Client(scheduler_file=spec.target, timeout=timeout)
        else:
            client = Client(spec.target, timeout=timeout)
    except FileNotFoundError as exc:
        raise OperationFailed(f"--cluster-file: {exc.strerror}: {spec.target}") from None
    except (OSError, TimeoutError, ValueError) as exc:
        raise OperationFailed(f"cannot reach the Dask scheduler {spec.describe()}: {exc}") from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        client.close()
        raise OperationFailed(
            f"no Dask worker joined {spec.describe()} within {timeout:g} s ({exc})"
        ) from None
    return Cluster(spec, client)


def _start_local(spec: ClusterSpec) -> Cluster:
    import dask
    from distributed import Client, LocalCluster

    settings: dict[str, object] = {
        # Dask samples every worker thread's stack every 10 ms for its dashboard: GIL
        # hand-offs and CPU a walk needs, for a dashboard an embedded cluster does not have
        "distributed.worker.profile.enabled": False,
        # and every server (the scheduler, each nanny, each worker) wakes 50 times a second
        # to time its own event loop and twice a second to read its CPU, memory and I/O
        # counters, for the same dashboard: measured idle, with the memory monitors below,
        # 3% of a core in this process and 1.5% in each worker, down to 0.5% and 0.3%;
        # on two cores shared with the walk, that is CPU taken from it
        "distributed.admin.tick.interval": "1s",
        "distributed.admin.system-monitor.interval": "5s",
    }
    if sys.platform.startswith("linux"):
        settings["distributed.worker.multiprocessing-method"] = "fork"
    # read again at every worker (re)start, so they stay set while the cluster lives (and
    # a forked worker inherits them)
    restore = {key: dask.config.get(key) for key in settings}
    dask.config.set(settings)
    # Ctrl-C reaches the whole foreground process group: the workers must leave it to this
    # process (which stops the run and then the cluster). Dask's loop thread is created in
    # here and its worker processes are forked from it: blocking SIGINT in this thread meanwhile
    # blocks it in them for good, while the main thread keeps handling it.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        local = LocalCluster(
            n_workers=spec.local_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            # the scheduler's HTTP routes (no dashboard without bokeh) on a free loopback
            # port: the default 8787 is taken by any other cluster on the machine
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.CRITICAL,
            # no memory limit, so no monitor polling each worker's RSS ten times a second
            # (in the worker and in its nanny, here): a task's results are bounded by
            # ``ShareConfig`` (``share_entries``), not by restarting a worker that grew
            memory_limit=0,
        )
    except Exception as exc:
        dask.config.set(restore)
        raise OperationFailed(f"cannot start a local Dask cluster: {exc}") from None
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    # results straight from the workers: through the scheduler (Dask's default) they would
    # be received and sent again by this very process
    cluster = Cluster(spec, Client(local, direct_to_workers=True), local)
    cluster._restore = restore
    return cluster


@contextmanager
def open_cluster(spec: ClusterSpec, *, timeout: float = CONNECT_TIMEOUT_S) -> Iterator[Cluster]:
    """:func:`connect`, closed on exit."""
    cluster = connect(spec, timeout=timeout)
    try:
        yield cluster
    finally:
        cluster.close()
