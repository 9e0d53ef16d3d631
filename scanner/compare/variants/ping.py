"""Ping sweep, scheduled four ways over the same work unit: ``ping_argv`` to build the
command, one ``ping`` child, ``parse_ping_output`` + ``classify`` to read it.

* ``anyio-asyncio`` / ``anyio-trio``: the engine itself (``scanner.net.engine.sweep``), its
  concurrency set to the cell's cap, its default spawner (posix_spawn + pidfd where the
  kernel has it, else ``anyio.open_process``).
* ``threads``: a ``ThreadPoolExecutor`` of the cap's size, each task a blocking
  ``subprocess.run`` of the same argv (the classic threaded ping sweep).
* ``thread-per-host``: the ``threading.Thread`` style of the classic examples: a new thread
  per host, at most the cap alive at once (a ``BoundedSemaphore``).
* ``sequential``: one host after the other.
* ``icmp``: the engine with the ``icmp`` probe (``scanner.net.icmp``: echo requests over
  this process's own ICMP sockets, one sender and one receiver task per family, no child
  at all) on asyncio, the cap as its hosts in flight, at the highest ``--rate``: the same
  engine, the same host results, another probe. Real-ping labs only (the fake ``ping``
  models latency and dead hosts that real packets to 127.1.x.y would not see), and only
  where an ICMP socket may be opened.

External anchors: ``xargs -P <cap>`` running the same ping argv once per host, and
``fping`` (one process, its own event loop; real ``ping`` labs only, since it sends real
packets and cannot use the fake).

Params: ``targets`` (list of target specs, as ``scanner ping`` takes them), ``ping`` (the
executable: the fake ``ping`` of the lab, or ``ping``), ``count``, ``timeout``. The
canonical result is each target's state (alive, unreachable, ...): RTTs vary run to run.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from scanner.compare.variants._cluster import cluster_variant, sweep_on_local_cluster
from scanner.compare.variants._external import missing_tool, tool_output, which
from scanner.compare.variants._loops import run_on, scheduler_variants, warm_backend
from scanner.compare.workload import Variant, Workload
from scanner.net.config import MAX_RATE, ProbeMethod, SweepConfig
from scanner.net.engine import sweep
from scanner.net.model import HostResult, HostState
from scanner.net.ping_cmd import PingFlavor, detect_flavor, ping_argv
from scanner.net.probes.ping import child_env, find_ping, ping_command, read_completed
from scanner.net.spawn import Completed
from scanner.net.targets import Target, expand, parse_target_spec


@dataclass(frozen=True, slots=True)
class PingInput:
    """What every variant receives (built before the clock starts)."""

    targets: tuple[Target, ...]
    cfg: SweepConfig
    ping_path: str
    flavor: PingFlavor
    env: Mapping[str, str]


def _prepare(params: Mapping[str, Any], size: int) -> PingInput:
    specs = [parse_target_spec(str(t)) for t in params["targets"]]
    cfg = SweepConfig(
        ping=str(params.get("ping", "ping")),
        count=int(params.get("count", 1)),
        timeout=float(params.get("timeout", 1.0)),
    )
    path, missing = find_ping(cfg.ping)
    if path is None:
        raise FileNotFoundError(missing)
    return PingInput(
        targets=tuple(expand(specs)),
        cfg=cfg,
        ping_path=path,
        flavor=detect_flavor(ping_path=path),
        env=child_env(),
    )


def _address(target: Target) -> tuple[str | None, str | None]:
    if target.kind == "ip":
        return target.host, None
    try:
        infos = socket.getaddrinfo(target.host, None, type=socket.SOCK_RAW)
    except OSError as exc:
        return None, str(exc.strerror or exc)
    return str(infos[0][4][0]), None


def probe(target: Target, job: PingInput) -> HostResult:
    """The blocking scheduling of the ``ping`` probe for the threaded and sequential
    variants: the same argv (``ping_command``) and the same reading of the finished child
    (``read_completed``) as the engine's probe; only the child runs through ``subprocess``."""
    address, cause = _address(target)
    if address is None:
        return HostResult(target.text, None, HostState.UNRESOLVED, cause, sent=0)
    cfg = job.cfg
    argv = ping_command(address, cfg, job.flavor, job.ping_path)
    deadline = cfg.effective_deadline
    try:
        done = subprocess.run(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(job.env),
            timeout=deadline, check=False,
        )  # fmt: skip
        completed = Completed(done.returncode, done.stdout)
    except subprocess.TimeoutExpired as exc:
        completed = Completed(None, exc.stdout or b"", timed_out=True)
    return read_completed(target.text, address, completed, job.flavor, deadline)


def _anyio(backend: str, job: PingInput, concurrency: int) -> list[HostResult]:
    results: list[HostResult] = []

    async def collect(result: HostResult) -> None:
        results.append(result)

    cfg = replace(job.cfg, concurrency=concurrency, ping=job.ping_path)
    run_on(backend, partial(sweep, job.targets, cfg, collect))
    return results


def _icmp(job: PingInput, concurrency: int) -> list[HostResult]:
    results: list[HostResult] = []

    async def collect(result: HostResult) -> None:
        results.append(result)

    cfg = replace(job.cfg, method=ProbeMethod.ICMP, concurrency=concurrency, rate=MAX_RATE)
    run_on("asyncio", partial(sweep, job.targets, cfg, collect))
    return results


def _icmp_unavailable(params: Mapping[str, Any]) -> str | None:
    if str(params.get("ping", "ping")) != "ping":
        return "icmp sends real packets; it only runs in the real-ping labs"
    from scanner.net.icmp.access import detect_access

    access = detect_access(4)
    return None if access.kind is not None else f"no ICMP socket: {access.why}"


def _threads(job: PingInput, concurrency: int) -> list[HostResult]:
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="ping") as pool:
        return list(pool.map(partial(probe, job=job), job.targets))


def _thread_per_host(job: PingInput, concurrency: int) -> list[HostResult]:
    slots = threading.BoundedSemaphore(concurrency)
    results: list[HostResult] = []
    lock = threading.Lock()

    def one(target: Target) -> None:
        try:
            result = probe(target, job)
            with lock:
                results.append(result)
        finally:
            slots.release()

    threads = []
    for target in job.targets:
        slots.acquire()
        t = threading.Thread(target=one, args=(target,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    return results


def _sequential(job: PingInput, concurrency: int) -> list[HostResult]:
    return [probe(target, job) for target in job.targets]


def _addresses(job: PingInput) -> list[str]:
    return [t.host for t in job.targets if t.kind == "ip"]


def _xargs(job: PingInput, concurrency: int) -> dict[str, Any]:
    addresses = _addresses(job)
    cfg = job.cfg
    flags = ping_argv(
        "127.0.0.1", flavor=job.flavor, count=cfg.count, timeout_s=cfg.timeout,
        ping_path=job.ping_path,
    )[:-1]  # fmt: skip
    argv = ["xargs", "-P", str(concurrency), "-n", "1", *flags]
    out = tool_output(argv, stdin="\n".join(addresses).encode() + b"\n")
    received = out.count(b" 0% packet loss")
    return {"hosts": len(addresses), "alive": received}


def _fping(job: PingInput, concurrency: int) -> dict[str, Any]:
    addresses = _addresses(job)
    timeout_ms = str(int(job.cfg.timeout * 1000))
    argv = [which("fping"), "-a", "-r", "0", "-i", "1", "-t", timeout_ms, *addresses]
    return {"hosts": len(addresses), "alive": tool_output(argv).count(b"\n")}


def _fping_unavailable(params: Mapping[str, Any]) -> str | None:
    if str(params.get("ping", "ping")) != "ping":
        return "fping sends real packets; it only runs in the real-ping labs"
    return missing_tool("fping")


def canonical(results: list[HostResult]) -> list[list[str | None]]:
    """Every target's address and state, sorted by target."""
    return sorted([r.target, r.address, str(r.state.value)] for r in results)


def summarize(results: list[HostResult]) -> dict[str, Any]:
    """Hosts per state."""
    counts: dict[str, Any] = {"hosts": len(results)}
    for r in results:
        counts[r.state.value] = counts.get(r.state.value, 0) + 1
    return counts


def info(variant: str) -> dict[str, Any]:
    """How the anyio engine starts and reaps children here (asyncio's child watcher)."""
    if not variant.startswith("anyio"):
        return {"child_watcher": "subprocess (blocking waitpid per thread)"}
    from scanner.net.spawn import make_spawner

    name = make_spawner("auto").name
    if variant == "anyio-trio":
        return {"child_watcher": f"{name} (trio)"}
    return {"child_watcher": f"{name} (asyncio)"}


WORKLOAD = Workload(
    name="ping",
    prepare=_prepare,
    canonical=canonical,
    summarize=summarize,
    info=info,
    warm_input=lambda job: replace(job, targets=job.targets[:1]),
    variants={
        **scheduler_variants(
            anyio_run=_anyio,
            threads=_threads,
            classic=("thread-per-host", _thread_per_host),
            sequential=_sequential,
        ),
        "icmp": Variant(
            "icmp",
            _icmp,
            "async",
            description="anyio engine, ICMP socket probe",
            warm=partial(warm_backend, "asyncio"),
            unavailable=_icmp_unavailable,
        ),
        "cluster": cluster_variant(sweep_on_local_cluster),
        "xargs -P": Variant(
            "xargs -P",
            _xargs,
            "anchor",
            checked=False,
            unavailable=lambda p: missing_tool("xargs"),
        ),
        "fping": Variant(
            "fping",
            _fping,
            "anchor",
            checked=False,
            concurrent=False,
            unavailable=_fping_unavailable,
        ),
    },
)
