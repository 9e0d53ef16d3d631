"""The multi-node lab: a Dask cluster on one machine whose workers behave like separate nodes.

On two cores, more worker processes cannot show what more machines give: they share the
same CPUs. What one node adds on a scan of a network file system is its own *mount*, with
its own bandwidth (an NFS client has a fixed RPC slot table; each node has its own), and on
a sweep its own capacity for probes. So each node of this lab is one ``dask worker`` with:

* for tree walks: its own mount namespace (``unshare -m``, private propagation) holding its
  own instance of the slow-FS lab (:mod:`scanner.labs.slowfs`), mounted at the *same path*
  as on every other node, with a per-mount cap on calls in flight (``max_in_flight``): one
  mount serves at most ``max_in_flight / latency`` calls per second, so two nodes read twice
  as fast as one as long as the CPUs keep up (they do: a node waits, it does not compute);
* for sweeps: its own slot directory for the fake ``ping``
  (:data:`scanner.labs.fakeping.SLOTS_ENV`): at most ``K`` probes answer at once per node.

The scheduler runs on 127.0.0.1 (``dask scheduler``), the workers connect to it from their
namespaces (a mount namespace shares the network). Every process is started in a session of
its own and stopped, unmounted and reaped on exit, also on errors and Ctrl-C; a node's FUSE
server unmounts by itself when its node process is gone. Needs root (``unshare -m``) and
FUSE for the walk lab; the sweep lab needs neither.

``python -m scanner.labs.multinode node ...`` is the node process (run by the lab, inside
``unshare``): it mounts, runs ``dask worker`` until told to stop, unmounts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from scanner.errors import OperationFailed, UsageProblem

_START_TIMEOUT_S: Final = 60.0
_STOP_TIMEOUT_S: Final = 10.0
#: Dask settings of every process of the lab, as an embedded cluster has them
#: (``scanner.cluster.connect``): no sampling of each worker thread's stack every 10 ms, no
#: event-loop timing 50 times a second, system counters every 5 s, all for a dashboard
#: the lab has not. A node stands for a machine of its own: on two shared cores, what its
#: Dask does while it waits is CPU taken from the nodes at work. Measured idle: a worker
#: 4.5% of a core, a scheduler 2.8%, down to 1.1% and 0.6%; the bench's six labs (14
#: workers, 6 schedulers) took half of the two cores while one of them walked.
_QUIET_DASK: Final = {
    "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
    "DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "1s",
    "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL": "5s",
}


@dataclass
class Lab:
    """A running multi-node lab: connect with ``ClusterSpec.from_file(lab.scheduler_file)``."""

    scheduler_file: Path
    address: str
    nodes: int
    threads_per_node: int
    log: Path
    _processes: list[subprocess.Popen[bytes]] = field(default_factory=list, repr=False)


def _dask() -> str:
    here = Path(sys.executable).with_name("dask")
    found = str(here) if here.exists() else shutil.which("dask")
    if found is None:
        raise OperationFailed(
            "the multi-node lab needs the dask command: pip install 'scanner[cluster]'"
        )
    return found


def _env() -> dict[str, str]:
    # the checkout or site-packages holding this package, for every process of the lab
    home = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(p for p in (home, os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, **_QUIET_DASK, "PYTHONPATH": path}


@contextlib.contextmanager
def multinode_lab(
    nodes: int,
    *,
    threads_per_node: int = 1,
    source: str | os.PathLike[str] | None = None,
    mountpoint: str | os.PathLike[str] | None = None,
    latency_s: float = 0.002,
    max_in_flight: int | None = None,
    ping_slots: int | None = None,
) -> Iterator[Lab]:
    """A scheduler and ``nodes`` workers on 127.0.0.1, each worker a "node".

    With ``source`` and ``mountpoint``, every node mounts ``source`` at ``mountpoint`` as a
    slow file system of its own (``latency_s`` per call, ``max_in_flight`` calls at once)
    in a mount namespace of its own. With ``ping_slots``, every node gets a fake-ping slot
    directory of its own with that many slots. Blocks until every worker has joined.
    """
    if nodes < 1 or threads_per_node < 1:
        raise UsageProblem("the multi-node lab needs at least one node and one thread")
    if (source is None) != (mountpoint is None):
        raise UsageProblem("source and mountpoint go together")
    if source is not None and os.geteuid() != 0:
        raise OperationFailed("the multi-node walk lab needs root (unshare -m)")
    dask = _dask()
    env = _env()
    with tempfile.TemporaryDirectory(prefix="scanner-multinode-") as scratch:
        sched_file = Path(scratch) / "scheduler.json"
        log = Path(scratch) / "lab.log"
        procs: list[subprocess.Popen[bytes]] = []
        try:
            with open(log, "ab") as out:
                procs.append(
                    subprocess.Popen(
                        [dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                         "--no-dashboard", "--scheduler-file", str(sched_file)],
                        stdout=out, stderr=out, env=env, start_new_session=True,
                    )
                )  # fmt: skip
                address = _wait_for_file(sched_file, procs[0], log)
                if source is not None and mountpoint is not None:
                    Path(mountpoint).mkdir(parents=True, exist_ok=True)
                for i in range(nodes):
                    argv = [
                        sys.executable, "-m", "scanner.labs.multinode", "node",
                        "--scheduler-file", str(sched_file), "--nthreads", str(threads_per_node),
                        "--name", f"node-{i}",
                    ]  # fmt: skip
                    if source is not None and mountpoint is not None:
                        argv += ["--source", os.fspath(source), "--mount", os.fspath(mountpoint),
                                 "--latency", repr(latency_s)]  # fmt: skip
                        if max_in_flight is not None:
                            argv += ["--max-in-flight", str(max_in_flight)]
                        argv = ["unshare", "-m", "--propagation", "private", "--", *argv]
                    if ping_slots is not None:
                        slots = Path(scratch) / f"slots-{i}"
                        slots.mkdir()
                        argv += ["--ping-slots", f"{slots}:{ping_slots}"]
                    procs.append(
                        subprocess.Popen(
                            argv, stdout=out, stderr=out, env=env, start_new_session=True
                        )
                    )
            lab = Lab(sched_file, address, nodes, threads_per_node, log, procs)
            _wait_for_workers(lab)
            yield lab
        finally:
            _stop(procs)


def _wait_for_file(path: Path, proc: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while True:
        if path.exists():
            with contextlib.suppress(ValueError, KeyError):
                address = str(json.loads(path.read_text())["address"])
                if not address.startswith("tcp://127.0.0.1:"):
                    raise OperationFailed(f"the lab's scheduler is not on loopback: {address}")
                return address
        if proc.poll() is not None or time.monotonic() > deadline:
            raise OperationFailed(f"the lab's scheduler did not start: {_tail(log)}")
        time.sleep(0.05)


def _wait_for_workers(lab: Lab) -> None:
    from distributed import Client

    deadline = time.monotonic() + _START_TIMEOUT_S
    with Client(lab.address, timeout=_START_TIMEOUT_S) as client:
        while len(client.nthreads()) < lab.nodes:
            if any(p.poll() is not None for p in lab._processes):
                raise OperationFailed(f"a node of the lab did not start: {_tail(lab.log)}")
            if time.monotonic() > deadline:
                raise OperationFailed(f"the lab's nodes did not all join: {_tail(lab.log)}")
            time.sleep(0.1)


def _tail(log: Path, limit: int = 1500) -> str:
    try:
        return log.read_text(errors="replace")[-limit:] or "(no output)"
    except OSError:
        return "(no log)"


def _stop(procs: Sequence[subprocess.Popen[bytes]]) -> None:
    """Nodes first (they unmount and stop their workers on SIGTERM), the scheduler last."""
    for proc in [*procs[1:], *procs[:1]]:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_TIMEOUT_S
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# --- the node process ------------------------------------------------------------------


def _node(args: argparse.Namespace) -> int:
    """Mount (when asked), run ``dask worker`` until SIGTERM, unmount."""
    from scanner.labs.fakeping import SLOTS_ENV
    from scanner.labs.slowfs import mount_slowfs

    stop = False

    def on_term(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    env = dict(os.environ)
    if args.ping_slots:
        env[SLOTS_ENV] = args.ping_slots
    mount: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    if args.source:
        mount = mount_slowfs(
            args.source, args.mount, args.latency, max_in_flight=args.max_in_flight
        )
    with mount:
        worker = subprocess.Popen(
            [_dask(), "worker", "--scheduler-file", args.scheduler_file,
             "--nthreads", str(args.nthreads), "--name", args.name, "--host", "127.0.0.1",
             "--no-dashboard", "--no-nanny", "--death-timeout", "30"],
            env=env,
        )  # fmt: skip
        try:
            while not stop and worker.poll() is None:
                time.sleep(0.1)
        finally:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=_STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
    return 0


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scanner.labs.multinode")
    sub = parser.add_subparsers(dest="command", required=True)
    node = sub.add_parser("node", help="one node: mount, run a dask worker, unmount")
    node.add_argument("--scheduler-file", required=True)
    node.add_argument("--nthreads", type=int, default=1)
    node.add_argument("--name", default="node")
    node.add_argument("--source")
    node.add_argument("--mount")
    node.add_argument("--latency", type=float, default=0.002)
    node.add_argument("--max-in-flight", type=int)
    node.add_argument("--ping-slots", help="DIR:K for the fake ping")
    args = parser.parse_args(argv)
    return _node(args)


if __name__ == "__main__":
    sys.exit(_main())
