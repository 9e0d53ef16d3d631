"""The sweep engine: many hosts, one probe each, results streamed as they finish.

Shape (fping's, in anyio): the caller's targets are pulled lazily, one task per target is
started only when an in-flight slot is free (memory stays bounded for a /16), names are
resolved under their own limit, probes run under the concurrency limit (``-j``) and the
global token bucket (``--rate``), and every result goes through one channel to a single
consumer that calls ``on_result``, so output is never interleaved. A host that did not
answer is retried after a backoff *without* holding a probe slot.

Every failure is a result: a name that does not resolve is UNRESOLVED with the resolver's
cause, a ``ping`` that cannot be started, prints garbage or hangs past its deadline (it is
killed) is ERROR with the cause. Cancelling the sweep kills and reaps every child
(:mod:`scanner.net.spawn`).
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import time
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Iterable
from contextlib import aclosing
from dataclasses import dataclass, field

import anyio
from anyio.abc import ObjectSendStream

from scanner.net.config import ProbeMethod, SweepConfig, open_file_capacity
from scanner.net.model import HostResult, HostState
from scanner.net.ping_cmd import PingFlavor, detect_flavor, ping_argv
from scanner.net.ping_parse import classify, parse_ping_output
from scanner.net.ratelimit import TokenBucket
from scanner.net.resolve import LookupFunc, Resolver, system_lookup
from scanner.net.spawn import Spawner, make_spawner, use_pidfd_child_watcher
from scanner.net.targets import Target, TargetError
from scanner.net.tcp import tcp_probe

OnResult = Callable[[HostResult], Awaitable[None]]

#: Results waiting for the consumer; beyond this, probes wait (bounded memory).
_RESULT_BUFFER = 256
#: Longest wait between retries of one host.
_MAX_BACKOFF = 30.0


@dataclass
class SweepSummary:
    """Counts so far; updated in place while the sweep runs (progress reads it)."""

    total: int = 0
    alive: int = 0
    unreachable: int = 0
    unresolved: int = 0
    error: int = 0
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    def add(self, result: HostResult) -> None:
        """Count one result."""
        self.total += 1
        if result.state is HostState.ALIVE:
            self.alive += 1
        elif result.state is HostState.UNREACHABLE:
            self.unreachable += 1
        elif result.state is HostState.UNRESOLVED:
            self.unresolved += 1
        else:
            self.error += 1

    @property
    def elapsed_s(self) -> float:
        """Seconds from the start to the end (or to now, while running)."""
        end = time.monotonic() if self.finished is None else self.finished
        return end - self.started

    @property
    def hosts_per_s(self) -> float:
        """Results per second of wall time."""
        elapsed = self.elapsed_s
        return self.total / elapsed if elapsed > 0 else 0.0

    def as_dict(self) -> dict[str, float | int]:
        """Plain values for JSON summaries."""
        return {
            "total": self.total,
            "alive": self.alive,
            "unreachable": self.unreachable,
            "unresolved": self.unresolved,
            "error": self.error,
            "elapsed_s": round(self.elapsed_s, 6),
            "hosts_per_s": round(self.hosts_per_s, 3),
        }


def child_env() -> dict[str, str]:
    """The environment of every ``ping`` child: ours, with the C locale for parseable output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k != "LANG"}
    env["LC_ALL"] = "C"
    return env


def find_ping(ping: str) -> tuple[str | None, str | None]:
    """(absolute path, None) or (None, cause) for the configured ping executable."""
    if os.sep in ping or (os.altsep and os.altsep in ping):
        return os.path.abspath(ping), None  # a path: run it and let the OS say what is wrong
    found = shutil.which(ping)
    if found is None:
        return None, f"ping executable {ping!r} not found on PATH"
    return os.path.abspath(found), None


class _Prober:
    """Probes one host (with retries); shared state of one sweep."""

    def __init__(
        self,
        cfg: SweepConfig,
        *,
        spawner: Spawner | None,
        ping_path: str | None,
        ping_missing: str | None,
        flavor: PingFlavor,
        lookup: LookupFunc,
    ) -> None:
        self.cfg = cfg
        self.spawner = spawner
        self.ping_path = ping_path
        self.ping_missing = ping_missing
        self.flavor = flavor
        self.env = child_env()
        capacity = open_file_capacity()
        slots = cfg.concurrency if capacity is None else min(cfg.concurrency, capacity)
        self.probe_slots = anyio.CapacityLimiter(slots)
        self.bucket = TokenBucket(cfg.rate) if cfg.rate is not None else None
        self.resolver = Resolver(
            concurrency=cfg.resolve_concurrency,
            timeout=cfg.resolve_timeout,
            family=cfg.family,
            lookup=lookup,
        )

    async def host(self, target: Target) -> HostResult:
        """The final result for one target."""
        start = time.monotonic()
        address = target.host
        if target.kind == "name":
            resolved = await self.resolver.resolve(target.host)
            if resolved.address is None:
                return HostResult(
                    target=target.text,
                    address=None,
                    state=HostState.UNRESOLVED,
                    cause=resolved.cause,
                    sent=0,
                    attempts=0,
                    elapsed_s=time.monotonic() - start,
                )
            address = resolved.address
        elif self.cfg.family and _version(address) != self.cfg.family:
            return HostResult(
                target=target.text,
                address=address,
                state=HostState.ERROR,
                cause=f"not an IPv{self.cfg.family} address (-{self.cfg.family} given)",
                attempts=0,
            )
        attempt = 0
        while True:
            attempt += 1
            async with self.probe_slots:
                if self.bucket is not None:
                    await self.bucket.acquire(self.cfg.tokens_per_probe)
                result = await self.probe_once(target.text, address)
            if result.state is not HostState.UNREACHABLE or attempt > self.cfg.retries:
                break
            await anyio.sleep(min(_MAX_BACKOFF, self.cfg.backoff * 2 ** (attempt - 1)))
        return _with_timing(result, attempt, time.monotonic() - start)

    async def probe_once(self, text: str, address: str) -> HostResult:
        """One ping run (or one round of TCP connects) for ``address``."""
        if self.cfg.method is ProbeMethod.TCP:
            return await self._tcp(text, address)
        return await self._icmp(text, address)

    async def _tcp(self, text: str, address: str) -> HostResult:
        outcome = await tcp_probe(address, self.cfg.ports, self.cfg.timeout)
        rtt = outcome.rtt_ms
        return HostResult(
            target=text,
            address=address,
            state=outcome.state,
            cause=outcome.cause,
            sent=outcome.tried,
            received=1 if outcome.state is HostState.ALIVE else 0,
            loss_pct=100.0 * (outcome.tried - 1) / outcome.tried
            if outcome.state is HostState.ALIVE
            else 100.0,
            rtt_min=rtt,
            rtt_avg=rtt,
            rtt_max=rtt,
        )

    async def _icmp(self, text: str, address: str) -> HostResult:
        if self.ping_path is None or self.spawner is None:
            return _error(text, address, self.ping_missing or "no ping executable")
        cfg = self.cfg
        try:
            argv = ping_argv(
                address,
                flavor=self.flavor,
                count=cfg.count,
                timeout_s=cfg.timeout,
                interval_s=cfg.interval if cfg.count > 1 else None,
                ipv6=cfg.family == 6,
                ping_path=self.ping_path,
            )
        except (TargetError, ValueError) as exc:
            return _error(text, address, str(exc))
        pause = 0.005
        while True:
            try:
                done = await self.spawner.run(argv, env=self.env, deadline=cfg.effective_deadline)
                break
            except OSError as exc:
                # out of descriptors (something else holds them): wait for running probes
                # to free theirs instead of failing the host, within its deadline
                if exc.errno in (errno.EMFILE, errno.ENFILE) and pause < cfg.effective_deadline:
                    await anyio.sleep(pause)
                    pause *= 2
                    continue
                return _error(text, address, f"cannot run {argv[0]}: {exc.strerror or exc}")
        stats = parse_ping_output(
            done.output.decode("utf-8", "replace"), flavor=self.flavor, exit_code=done.returncode
        )
        if done.truncated:
            return HostResult.from_stats(
                text, address, stats, HostState.ERROR, "ping killed: runaway output"
            )
        state, cause = classify(stats, done.returncode, self.flavor)
        code = done.returncode
        if code is not None and code < 0 and not done.timed_out and state is not HostState.ALIVE:
            # a signal we did not send (a crash, an OOM kill, kill -9 from outside): an error,
            # not "no reply before the deadline", which classify assumes for negative codes
            state, cause = HostState.ERROR, f"ping killed by {_signal_name(-code)}"
        if done.timed_out and state is not HostState.ALIVE:
            cause = f"no answer within the {cfg.effective_deadline:g} s deadline; ping killed"
        return HostResult.from_stats(text, address, stats, state, cause)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _version(address: str) -> int:
    return 6 if ":" in address else 4


def _error(text: str, address: str | None, cause: str) -> HostResult:
    return HostResult(target=text, address=address, state=HostState.ERROR, cause=cause, sent=0)


def _with_timing(result: HostResult, attempts: int, elapsed: float) -> HostResult:
    from dataclasses import replace

    return replace(result, attempts=attempts, elapsed_s=round(elapsed, 6))


async def _iterate(
    targets: AsyncIterable[Target] | Iterable[Target],
) -> AsyncGenerator[Target, None]:
    if isinstance(targets, AsyncIterable):
        async for target in targets:
            yield target
    else:
        for target in targets:
            yield target


async def sweep(
    targets: AsyncIterable[Target] | Iterable[Target],
    cfg: SweepConfig,
    on_result: OnResult,
    *,
    summary: SweepSummary | None = None,
    lookup: LookupFunc = system_lookup,
    spawner: Spawner | None = None,
) -> SweepSummary:
    """Probe every target and call ``on_result`` once per host, in completion order.

    ``targets`` is pulled lazily (a generator over a /16 is fine); ``summary``, when given,
    is updated in place so a caller can still report counts after a cancellation.
    ``lookup`` and ``spawner`` replace the system resolver and the child-process runner
    (tests script them). Per-host failures are results; only bugs and cancellation raise.
    """
    summary = summary if summary is not None else SweepSummary()
    summary.started = time.monotonic()
    ping_path, missing = (None, None)
    flavor = PingFlavor.IPUTILS
    owned = None
    if cfg.method is ProbeMethod.ICMP:
        ping_path, missing = find_ping(cfg.ping)
        if ping_path is not None:
            if spawner is None:
                spawner = owned = make_spawner(cfg.spawner)
                if spawner.name == "anyio-pidfd":
                    use_pidfd_child_watcher()
            flavor = await anyio.to_thread.run_sync(
                lambda: detect_flavor(ping_path=ping_path), abandon_on_cancel=True
            )
    prober = _Prober(
        cfg,
        spawner=spawner,
        ping_path=ping_path,
        ping_missing=missing,
        flavor=flavor,
        lookup=lookup,
    )
    # Tasks in flight: probing, resolving or waiting to retry. Twice the probe slots keeps
    # the slots busy while some hosts back off, and bounds memory whatever the target count.
    in_flight = anyio.Semaphore(cfg.concurrency * 2)
    send, receive = anyio.create_memory_object_stream[HostResult](_RESULT_BUFFER)

    async def one(target: Target, out: ObjectSendStream[HostResult]) -> None:
        try:
            async with out:
                await out.send(await prober.host(target))
        finally:
            in_flight.release()

    async def produce() -> None:
        async with send, aclosing(_iterate(targets)) as pull, anyio.create_task_group() as probes:
            async for target in pull:
                await in_flight.acquire()
                probes.start_soon(one, target, send.clone())

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(produce)
            async with receive:
                async for result in receive:
                    summary.add(result)
                    await on_result(result)
    finally:
        summary.finished = time.monotonic()
        close = getattr(owned, "close", None)
        if close is not None:
            close()
    return summary


__all__ = [
    "OnResult",
    "SweepSummary",
    "child_env",
    "find_ping",
    "sweep",
]
