"""The ``ping`` probe: one system ``ping`` child per host attempt.

The work unit has two halves shared by every scheduler: :func:`ping_command` builds the argv
for this OS's ping flavor, and :func:`read_completed` turns what the child left behind into
a ``HostResult`` (parser, classification, and the cases the parser cannot see: a runaway
output, a deadline kill, a signal from outside). :class:`PingProbe` runs the child through a
``Spawner`` (posix_spawn + pidfd, or anyio's processes); the comparison module's thread and
sequential variants run the same argv with ``subprocess`` and read it with the same function.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import anyio
import anyio.to_thread

from scanner.net.config import SweepConfig
from scanner.net.model import HostResult, HostState
from scanner.net.ping_cmd import PingFlavor, detect_flavor, ping_argv
from scanner.net.ping_parse import classify, parse_ping_output
from scanner.net.ping_replies import LiveReplies
from scanner.net.replies import report, reporting_live
from scanner.net.spawn import (
    Completed,
    Spawner,
    make_spawner,
    streams_output,
    use_pidfd_child_watcher,
)
from scanner.net.targets import TargetError


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


def ping_command(address: str, cfg: SweepConfig, flavor: PingFlavor, ping_path: str) -> list[str]:
    """The argv that pings ``address`` once as ``cfg`` says (raises ``TargetError`` or
    ``ValueError`` for an address this flavor cannot take)."""
    return ping_argv(
        address,
        flavor=flavor,
        count=cfg.count,
        timeout_s=cfg.timeout,
        interval_s=cfg.interval if cfg.count > 1 else None,
        ipv6=cfg.family == 6,
        ping_path=ping_path,
    )


def read_completed(
    text: str,
    address: str,
    done: Completed,
    flavor: PingFlavor,
    deadline: float,
    *,
    attempts: int = 1,
    elapsed_s: float = 0.0,
) -> HostResult:
    """The result of one finished (or killed) ``ping`` child (``attempts`` and
    ``elapsed_s`` as given)."""
    stats = parse_ping_output(
        done.output.decode("utf-8", "replace"), flavor=flavor, exit_code=done.returncode
    )
    if done.truncated:
        runaway = "ping killed: runaway output"
        return HostResult.from_stats(
            text, address, stats, HostState.ERROR, runaway, attempts=attempts, elapsed_s=elapsed_s
        )
    state, cause = classify(stats, done.returncode, flavor)
    code = done.returncode
    if code is not None and code < 0 and not done.timed_out and state is not HostState.ALIVE:
        # a signal we did not send (a crash, an OOM kill, kill -9 from outside): an error,
        # not "no reply before the deadline", which classify assumes for negative codes
        state, cause = HostState.ERROR, f"ping killed by {_signal_name(-code)}"
    if done.timed_out and state is not HostState.ALIVE:
        cause = f"no answer within the {deadline:g} s deadline; ping killed"
    return HostResult.from_stats(
        text, address, stats, state, cause, attempts=attempts, elapsed_s=elapsed_s
    )


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def error_result(text: str, address: str | None, cause: str) -> HostResult:
    """A host that could not be probed at all (no request was sent)."""
    return HostResult(target=text, address=address, state=HostState.ERROR, cause=cause, sent=0)


class PingProbe:
    """Runs the system ``ping`` once per attempt through a ``Spawner``."""

    name = "ping"

    def __init__(
        self,
        cfg: SweepConfig,
        *,
        spawner: Spawner | None,
        ping_path: str | None,
        missing: str | None,
        flavor: PingFlavor,
    ) -> None:
        self.cfg = cfg
        self.spawner = spawner
        self.ping_path = ping_path
        self.missing = missing
        self.flavor = flavor
        self.env = child_env()

    async def probe(self, target: str, address: str) -> HostResult:
        """One ``ping`` run for ``address``."""
        if self.ping_path is None or self.spawner is None:
            return error_result(target, address, self.missing or "no ping executable")
        cfg = self.cfg
        try:
            argv = ping_command(address, cfg, self.flavor, self.ping_path)
        except (TargetError, ValueError) as exc:
            return error_result(target, address, str(exc))
        deadline = cfg.effective_deadline
        live = LiveReplies(self.flavor)
        spawner = self.spawner
        run = partial(spawner.run, argv, env=self.env, deadline=deadline)
        streamed = streams_output(spawner) and reporting_live()
        # The chunks read so far (the spawner's own objects: no copy), parsed only if the
        # run is cancelled; when reply lines are not shown, nothing is parsed while the
        # child runs (a flooding ping's megabyte of lines cost ~0.3 s of CPU, and a slow
        # reader let it reach the deadline before the output cap).
        chunks: list[bytes] = []
        if streamed:  # reply lines as they arrive

            async def on_output(chunk: bytes) -> None:
                for request in live.feed(chunk):
                    await report(request)

            run = partial(run, on_output=on_output)
        elif streams_output(spawner):

            async def keep(chunk: bytes) -> None:
                chunks.append(chunk)

            # wanted only if the run is cancelled: the spawner may hand them over at the
            # end (one wake-up of the loop per child)
            run = partial(run, on_output=keep, live=False)
        pause = 0.005
        while True:
            try:
                done = await run()
                break
            except anyio.get_cancelled_exc_class():
                if chunks:  # an interrupted sweep sums the host up from its lines so far
                    with anyio.CancelScope(shield=True):
                        for request in live.feed(b"".join(chunks)):
                            await report(request)
                raise
            except OSError as exc:
                # out of descriptors (something else holds them): wait for running probes
                # to free theirs instead of failing the host, within its deadline
                if exc.errno in (errno.EMFILE, errno.ENFILE) and pause < deadline:
                    await anyio.sleep(pause)
                    pause *= 2
                    continue
                return error_result(target, address, f"cannot run {argv[0]}: {exc.strerror or exc}")
        result = read_completed(target, address, done, self.flavor, deadline)
        settled = [] if streamed else live.feed(done.output)
        for request in settled + live.finish(result.sent):
            await report(request)
        return result


@asynccontextmanager
async def open_ping_probe(
    cfg: SweepConfig, *, spawner: Spawner | None = None
) -> AsyncIterator[PingProbe]:
    """Find the ping executable, tell its flavor (``ping -V``, off the event loop) and
    make the spawner; a missing ping makes every host an error result with the cause."""
    ping_path, missing = find_ping(cfg.ping)
    flavor = PingFlavor.IPUTILS
    owned: Spawner | None = None
    if ping_path is not None:
        if spawner is None:
            spawner = owned = make_spawner(cfg.spawner)
            if spawner.name == "anyio-pidfd":
                use_pidfd_child_watcher()
        path = ping_path
        flavor = await anyio.to_thread.run_sync(
            lambda: detect_flavor(ping_path=path), abandon_on_cancel=True
        )
    try:
        if ping_path is not None and cfg.rate is None and _threaded(spawner):
            # a whole sweep fed without a task per host (--rate keeps the task per host,
            # whose probe slots the token bucket paces)
            from scanner.net.probes.ping_fed import open_fed_ping_probe

            async with open_fed_ping_probe(
                cfg,
                spawner=spawner,  # type: ignore[arg-type]
                ping_path=ping_path,
                flavor=flavor,
            ) as fed:
                yield fed
        else:
            yield PingProbe(
                cfg, spawner=spawner, ping_path=ping_path, missing=missing, flavor=flavor
            )
    finally:
        close = getattr(owned, "close", None)
        if close is not None:
            close()


def _threaded(spawner: Spawner | None) -> bool:
    """True for the spawner-thread runner (:class:`FedPingProbe` feeds it a whole sweep)."""
    if getattr(spawner, "name", None) != "posix":
        return False
    from scanner.net.child_threads import ThreadedSpawner

    return isinstance(spawner, ThreadedSpawner)
