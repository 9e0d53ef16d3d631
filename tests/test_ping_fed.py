"""The ``ping`` probe fed a whole sweep without a task per host (``scanner.net.probes.
ping_fed``): chosen where it applies, the same results as the task per host, retries,
names, reply records, a child refused for want of descriptors, an early stop, a bug in the
loop's callbacks. The sh fake ping, and the real ``ping`` on 127.0.0.1 only. Every async test
runs on asyncio and trio."""

from __future__ import annotations

import errno
import os
import shutil
import socket
import uuid
from dataclasses import replace
from pathlib import Path

import anyio
import pytest

from scanner.labs.fakeping import MARKER_PREFIX, Behaviour, Kind, write_fake_ping
from scanner.net.config import ProbeMethod, SweepConfig
from scanner.net.engine import sweep
from scanner.net.model import HostResult, HostState
from scanner.net.probes import open_probe
from scanner.net.probes.ping import PingProbe
from scanner.net.probes.ping_fed import FedPingProbe
from scanner.net.replies import LiveHost, Reply
from scanner.net.spawn import make_spawner
from tests.fakeping_hosts import MIXED_HOSTS
from tests.test_ping_sweep import ScriptedSpawner, assert_no_leftovers, read_pids, targets

pytestmark = pytest.mark.anyio


def cfg_for(ping: Path, **kwargs: object) -> SweepConfig:
    return SweepConfig(method=ProbeMethod.PING, ping=str(ping), **kwargs)  # type: ignore[arg-type]


async def collect(cfg: SweepConfig, *specs: str, **kwargs: object) -> dict[str, HostResult]:
    results: dict[str, HostResult] = {}

    async def on_result(result: HostResult) -> None:
        assert result.target not in results, "one result per host"
        results[result.target] = result

    await sweep(targets(*specs), cfg, on_result, **kwargs)  # type: ignore[arg-type]
    return results


def comparable(result: HostResult) -> HostResult:
    """A result without its timing (which no two runs share)."""
    return replace(result, elapsed_s=0.0)


async def test_the_fed_probe_is_the_default_without_a_rate(tmp_path: Path) -> None:
    fake = write_fake_ping(tmp_path)
    async with open_probe(cfg_for(fake)) as probe:
        assert isinstance(probe, FedPingProbe)
    # --rate, a spawner without threads and a scripted one keep the task per host
    async with open_probe(cfg_for(fake, rate=100.0)) as probe:
        assert type(probe) is PingProbe
    async with open_probe(cfg_for(fake, spawner="posix-inline")) as probe:
        assert type(probe) is PingProbe
    async with open_probe(cfg_for(fake), spawner=ScriptedSpawner()) as probe:
        assert type(probe) is PingProbe


async def test_fed_and_task_per_host_give_the_same_results(tmp_path: Path) -> None:
    fake = write_fake_ping(tmp_path, behaviours=MIXED_HOSTS, latency_ms=0.2, jitter_ms=1.0)
    cfg = cfg_for(fake, timeout=0.2, count=3, interval=0.01, retries=1, backoff=0.01)
    fed = await collect(cfg, "127.0.0.1-6")
    # the highest rate paces nothing here, and keeps a task per host
    per_host = await collect(replace(cfg, rate=100_000.0), "127.0.0.1-6")
    assert {k: comparable(v) for k, v in fed.items()} == {
        k: comparable(v) for k, v in per_host.items()
    }
    assert fed["127.0.0.2"].attempts == 2  # silent: retried once
    assert fed["127.0.0.1"].attempts == 1


async def test_names_resolve_and_missing_ones_are_results(tmp_path: Path) -> None:
    async def lookup(host: str, family: int) -> list[str]:
        if host == "loop.test":
            return ["127.0.0.1"]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    got = await collect(cfg_for(write_fake_ping(tmp_path)), "loop.test", "nope.test", lookup=lookup)
    assert (got["loop.test"].state, got["loop.test"].address) == (HostState.ALIVE, "127.0.0.1")
    assert got["nope.test"].state is HostState.UNRESOLVED


async def test_reply_records_come_before_their_host(tmp_path: Path) -> None:
    fake = write_fake_ping(tmp_path, behaviours={"127.0.0.2": Behaviour(Kind.LOSS, every=2)})
    order: list[tuple[str, str]] = []

    async def on_result(result: HostResult) -> None:
        order.append(("host", result.target))

    async def on_reply(reply: Reply) -> None:
        order.append(("reply", reply.target))

    cfg = cfg_for(fake, count=4, interval=0.01, timeout=0.2)
    await sweep(targets("127.0.0.1-2"), cfg, on_result, on_reply=on_reply)
    for host in ("127.0.0.1", "127.0.0.2"):
        mine = [kind for kind, who in order if who == host]
        assert mine == ["reply"] * 4 + ["host"]


async def test_a_child_refused_for_want_of_descriptors_is_started_again(tmp_path: Path) -> None:
    fake = write_fake_ping(tmp_path)
    spawner = make_spawner("posix")
    libc = spawner._libc  # type: ignore[attr-defined]
    spawn = libc.spawn
    refusals = {"127.0.0.1": 2, "127.0.0.2": 1}

    def refusing(argv: list[str], *args: object) -> int:
        left = refusals.get(argv[-1], 0)
        if left:
            refusals[argv[-1]] = left - 1
            raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))
        return spawn(argv, *args)  # type: ignore[no-any-return]

    libc.spawn = refusing
    try:
        got = await collect(cfg_for(fake), "127.0.0.1-3", spawner=spawner)
    finally:
        spawner.close()  # type: ignore[attr-defined]
    assert {r.state for r in got.values()} == {HostState.ALIVE}
    assert refusals == {"127.0.0.1": 0, "127.0.0.2": 0}
    assert all(r.attempts == 1 for r in got.values())  # not a retry: the same attempt


def _reply_then_hang(directory: Path, pids: Path) -> Path:
    """A ping that answers its first request, then hangs (ignoring SIGTERM)."""
    ping = directory / "ping"
    ping.write_text(
        "#!/bin/sh\n"
        f"# {MARKER_PREFIX}-{uuid.uuid4().hex[:12]}\n"
        "[ \"$1\" = -V ] && { echo 'ping from iputils 20221126'; exit 0; }\n"
        f"echo $$ >> '{pids}'\n"
        "trap '' TERM INT HUP\n"
        "for last; do :; done\n"
        'echo "64 bytes from $last: icmp_seq=1 ttl=64 time=0.034 ms"\n'
        "sleep 3600\n"
    )
    ping.chmod(0o755)
    return ping


@pytest.mark.parametrize("with_replies", [False, True])
async def test_an_early_stop_kills_every_child_and_keeps_what_they_said(
    tmp_path: Path, with_replies: bool
) -> None:
    pids = tmp_path / "pids"
    ping = _reply_then_hang(tmp_path, pids)
    cfg = cfg_for(ping, count=3, interval=0.01, deadline=600, concurrency=4)
    live: dict[int, LiveHost] = {}
    replies: list[Reply] = []

    async def on_result(result: HostResult) -> None:
        raise AssertionError(f"no host can finish: {result}")

    async def on_reply(reply: Reply) -> None:
        replies.append(reply)

    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            tg.start_soon(
                lambda: sweep(
                    targets("127.0.0.1-4"),
                    cfg,
                    on_result,
                    live=live,
                    on_reply=on_reply if with_replies else None,
                )
            )
            # every child has printed its reply line, or is about to
            while len(read_pids(pids)) < 4 or (with_replies and len(replies) < 4):
                await anyio.sleep(0.01)
            await anyio.sleep(0.1)  # the lines are read
            tg.cancel_scope.cancel()
    assert_no_leftovers(ping, pids)
    # what an interrupted run prints: each host as far as its requests went
    summed = sorted((r.target, r.sent, r.received) for r in (h.result() for h in live.values()))
    assert summed == [(f"127.0.0.{i}", 1, 1) for i in range(1, 5)]


async def test_a_bug_in_the_loop_callbacks_is_raised_not_hung(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = write_fake_ping(tmp_path, pid_log=tmp_path / "pids")

    def broken(*args: object, **kwargs: object) -> HostResult:
        raise RuntimeError("parser bug")

    monkeypatch.setattr("scanner.net.probes.ping_fed.read_completed", broken)

    async def on_result(result: HostResult) -> None:
        raise AssertionError("no result can be made")

    with anyio.fail_after(20), pytest.raises(ExceptionGroup) as caught:
        await sweep(targets("127.0.0.1-8"), cfg_for(fake, concurrency=4), on_result)
    assert caught.group_contains(RuntimeError, match="parser bug")
    assert_no_leftovers(fake, tmp_path / "pids")


@pytest.mark.skipif(shutil.which("ping") is None, reason="no system ping")
@pytest.mark.parametrize("count", [1, 2])
async def test_real_ping_on_loopback(count: int) -> None:
    # retried: a raw ICMP socket sees every ICMP packet of the host, so another sweep of
    # the loopback running at the same time can overflow ping's socket and drop a reply
    cfg = SweepConfig(
        method=ProbeMethod.PING, count=count, interval=0.2, concurrency=8, retries=2, backoff=0.05
    )
    replies: list[Reply] = []

    async def keep(reply: Reply) -> None:
        replies.append(reply)

    got = await collect(cfg, "127.0.0.1-20", on_reply=keep if count > 1 else None)
    assert len(got) == 20
    assert [r for r in got.values() if r.state is not HostState.ALIVE] == []
    if count > 1:  # a reply record per request of every attempt
        for target, result in got.items():
            mine = [r for r in replies if r.target == target]
            assert len(mine) == count * result.attempts
