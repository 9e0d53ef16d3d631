"""The sweep engine against the sh fake ping, scripted spawners and resolvers, and the real
``ping`` on 127.0.0.0/8. Every async test runs on asyncio and trio."""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import anyio
import pytest

from scanner.labs.fakeping import (
    ALIVE,
    HANG,
    SILENT,
    Behaviour,
    Kind,
    marker_of,
    write_fake_ping,
)
from scanner.net.config import ProbeMethod, SweepConfig, default_concurrency
from scanner.net.engine import sweep
from scanner.net.model import HostResult, HostState, SweepSummary
from scanner.net.ratelimit import TokenBucket
from scanner.net.spawn import Completed
from scanner.net.targets import Target, expand, parse_target_spec
from tests.fakeping_hosts import MIXED_HOSTS

pytestmark = pytest.mark.anyio

SPAWNERS = ["posix", "posix-inline", "anyio"]


def targets(*specs: str) -> list[Target]:
    return list(expand([parse_target_spec(s) for s in specs]))


async def run(
    tgts: Sequence[Target] | Iterator[Target], cfg: SweepConfig, **kwargs: object
) -> tuple[list[HostResult], SweepSummary]:
    results: list[HostResult] = []

    async def on_result(result: HostResult) -> None:
        results.append(result)

    summary = await sweep(tgts, cfg, on_result, **kwargs)  # type: ignore[arg-type]
    return results, summary


def by_target(results: list[HostResult]) -> dict[str, HostResult]:
    return {r.target: r for r in results}


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    return write_fake_ping(
        tmp_path,
        behaviours=MIXED_HOSTS,
        latency_ms=0.2,
        jitter_ms=1.0,
    )


@pytest.mark.parametrize("spawner", SPAWNERS)
async def test_each_behaviour_becomes_the_right_result(fake: Path, spawner: str) -> None:
    cfg = SweepConfig(ping=str(fake), timeout=0.2, count=3, interval=0.01, spawner=spawner)
    results, summary = await run(targets("127.0.0.1-6"), cfg)
    got = by_target(results)
    assert len(results) == 6
    one = got["127.0.0.1"]
    assert one.state is HostState.ALIVE
    assert (one.sent, one.received, one.loss_pct) == (3, 3, 0.0)
    # the fake's latency model: 0.2 ms + 1 ms * 1/15, then +10% and +20%
    assert one.rtt_min == pytest.approx(0.266, abs=0.001)
    assert one.rtt_max == pytest.approx(0.319, abs=0.001)
    assert one.percentiles is not None
    assert one.percentiles["p50"] == pytest.approx(0.292, abs=0.001)
    assert got["127.0.0.2"].state is HostState.UNREACHABLE
    assert got["127.0.0.2"].cause == "timeout"
    assert got["127.0.0.3"].state is HostState.UNREACHABLE
    assert got["127.0.0.3"].cause == "Destination Host Unreachable"
    loss = got["127.0.0.4"]
    assert loss.state is HostState.ALIVE
    assert (loss.sent, loss.received) == (3, 2)
    assert loss.loss_pct == pytest.approx(33.3333, abs=0.001)
    assert got["127.0.0.5"].state is HostState.ERROR
    assert got["127.0.0.6"].state is HostState.ERROR
    assert got["127.0.0.6"].cause == "sendmsg: Operation not permitted"
    assert (summary.total, summary.alive, summary.unreachable, summary.error) == (6, 2, 2, 2)


@pytest.mark.parametrize("spawner", SPAWNERS)
async def test_hung_child_is_killed_at_the_deadline(tmp_path: Path, spawner: str) -> None:
    fake = write_fake_ping(tmp_path, default=HANG, pid_log=tmp_path / "pids")
    cfg = SweepConfig(ping=str(fake), timeout=0.1, deadline=0.5, spawner=spawner)
    with anyio.fail_after(10):
        results, _ = await run(targets("127.0.0.1-3"), cfg)
    assert {r.state for r in results} == {HostState.UNREACHABLE}
    assert all("deadline; ping killed" in (r.cause or "") for r in results)
    assert all(0.4 < r.elapsed_s < 5 for r in results)
    assert_no_leftovers(fake, tmp_path / "pids")


@pytest.mark.parametrize("spawner", SPAWNERS)
async def test_cancellation_kills_and_reaps_every_child(tmp_path: Path, spawner: str) -> None:
    fake = write_fake_ping(tmp_path, default=HANG, pid_log=tmp_path / "pids")
    cfg = SweepConfig(ping=str(fake), deadline=600, concurrency=8, spawner=spawner)
    results: list[HostResult] = []

    async def on_result(result: HostResult) -> None:
        results.append(result)

    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            tg.start_soon(sweep, targets("127.0.0.1-20"), cfg, on_result)
            # every child has started (each appends its pid) and ignores SIGTERM by now
            while len(read_pids(tmp_path / "pids")) < 8:
                await anyio.sleep(0.01)
            tg.cancel_scope.cancel()
    assert results == []
    assert len(read_pids(tmp_path / "pids")) == 8
    assert_no_leftovers(fake, tmp_path / "pids")


async def test_a_failing_consumer_cancels_the_sweep_and_its_children(tmp_path: Path) -> None:
    fake = write_fake_ping(
        tmp_path, default=HANG, behaviours={"127.0.0.1": ALIVE}, pid_log=tmp_path / "pids"
    )
    cfg = SweepConfig(ping=str(fake), deadline=600, concurrency=4)

    async def on_result(result: HostResult) -> None:
        raise RuntimeError(f"consumer failed on {result.target}")

    with anyio.fail_after(20), pytest.raises(ExceptionGroup) as caught:
        await sweep(targets("127.0.0.1-4"), cfg, on_result)
    assert caught.group_contains(RuntimeError, match="127.0.0.1")
    assert_no_leftovers(fake, tmp_path / "pids")


def read_pids(log: Path) -> list[int]:
    return [int(x) for x in log.read_text().split()] if log.exists() else []


def _processes() -> Iterator[tuple[int, int, int, bytes]]:
    """(pid, ppid, pgrp, cmdline) of every live process."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            cmdline = Path(entry.path, "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            yield int(entry.name), int(fields[1]), int(fields[2]), b"<zombie>" + cmdline
        else:
            yield int(entry.name), int(fields[1]), int(fields[2]), cmdline


def assert_no_leftovers(fake: Path, pid_log: Path) -> None:
    """Nothing running the fake, nothing alive in a fake's process group, no zombie child.

    A killed fake's own ``sleep`` is reparented to init, which reaps it in its own time: a
    zombie whose parent is not this process is dead and not ours to reap.
    A SIGKILL takes effect when the victim is next scheduled, so a killed ``sleep 3600``
    may be seen for a moment: wait a little for the group to empty (it cannot by itself).
    """
    pids = set(read_pids(pid_log))
    assert pids, "the fake never ran"
    marker = marker_of(fake).encode()
    script = os.fsencode(fake)
    me = os.getpid()
    for _ in range(300):
        left = []
        for pid, ppid, pgrp, cmd in _processes():
            zombie = cmd.startswith(b"<zombie>")
            if zombie and ppid == me:
                left.append((pid, "zombie child"))
            elif not zombie and (script in cmd or marker in cmd or pgrp in pids or pid in pids):
                left.append((pid, cmd.decode(errors="replace")))
        if not left:
            return
        time.sleep(0.01)
    assert left == []


async def test_missing_ping_binary_is_an_error_per_host(tmp_path: Path) -> None:
    results, summary = await run(
        targets("127.0.0.1-3"), SweepConfig(ping=str(tmp_path / "no-such-ping"))
    )
    assert summary.error == 3
    assert all(r.state is HostState.ERROR for r in results)
    assert all("No such file or directory" in (r.cause or "") for r in results)
    results, _ = await run(targets("127.0.0.1"), SweepConfig(ping="scanner-no-such-ping"))
    assert results[0].cause == "ping executable 'scanner-no-such-ping' not found on PATH"


async def test_ping_that_is_not_executable_is_an_error_per_host(tmp_path: Path) -> None:
    fake = write_fake_ping(tmp_path)
    fake.chmod(0o644)
    results, _ = await run(targets("127.0.0.1-2"), SweepConfig(ping=str(fake)))
    assert [r.state for r in results] == [HostState.ERROR, HostState.ERROR]
    assert all("Permission denied" in (r.cause or "") for r in results)


async def test_retries_with_backoff_for_hosts_that_did_not_answer(tmp_path: Path) -> None:
    fake = write_fake_ping(tmp_path, behaviours={"127.0.0.2": Behaviour(Kind.SILENT, wait=False)})
    cfg = SweepConfig(ping=str(fake), retries=2, backoff=0.05)
    results, _ = await run(targets("127.0.0.1-2"), cfg)
    got = by_target(results)
    assert got["127.0.0.1"].attempts == 1
    assert got["127.0.0.2"].attempts == 3
    assert got["127.0.0.2"].state is HostState.UNREACHABLE
    # two backoffs: 0.05 s then 0.1 s
    assert got["127.0.0.2"].elapsed_s >= 0.15


async def test_results_stream_in_completion_order(tmp_path: Path) -> None:
    fake = write_fake_ping(tmp_path, behaviours={"127.0.0.1": Behaviour(latency_ms=300)})
    results, _ = await run(targets("127.0.0.1-4"), SweepConfig(ping=str(fake)))
    assert results[-1].target == "127.0.0.1"
    assert results[-1].rtt_avg == pytest.approx(300.0)


# --- scripted spawner and resolver: logic without processes ------------------------------


class ScriptedSpawner:
    """Answers like iputils after ``delay`` and records concurrency and start times."""

    name = "scripted"

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.running = 0
        self.most = 0
        self.starts: list[float] = []
        self.argvs: list[list[str]] = []

    async def run(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None, deadline: float | None
    ) -> Completed:
        assert env is not None
        assert env["LC_ALL"] == "C"
        self.argvs.append(list(argv))
        self.starts.append(anyio.current_time())
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await anyio.sleep(self.delay)
        finally:
            self.running -= 1
        addr = argv[-1]
        text = (
            f"PING {addr} ({addr}) 56(84) bytes of data.\n"
            f"64 bytes from {addr}: icmp_seq=1 ttl=64 time=0.050 ms\n\n"
            f"--- {addr} ping statistics ---\n"
            "1 packets transmitted, 1 received, 0% packet loss, time 0ms\n"
            "rtt min/avg/max/mdev = 0.050/0.050/0.050/0.000 ms\n"
        )
        return Completed(returncode=0, output=text.encode())


async def test_concurrency_limit_holds(tmp_path: Path) -> None:
    spawner = ScriptedSpawner(delay=0.02)
    cfg = SweepConfig(ping=str(write_fake_ping(tmp_path)), concurrency=5)
    results, _ = await run(targets("127.0.0.1-40"), cfg, spawner=spawner)
    assert len(results) == 40
    assert spawner.most == 5


async def test_argv_is_built_by_ping_argv_and_never_a_shell(tmp_path: Path) -> None:
    fake = write_fake_ping(tmp_path)
    spawner = ScriptedSpawner()
    cfg = SweepConfig(ping=str(fake), count=3, interval=0.2, timeout=0.5)
    await run(targets("127.0.0.1"), cfg, spawner=spawner)
    assert spawner.argvs == [[str(fake), "-n", "-c", "3", "-W", "0.5", "-i", "0.2", "127.0.0.1"]]


async def test_rate_limit_spaces_the_probes(tmp_path: Path) -> None:
    spawner = ScriptedSpawner()
    cfg = SweepConfig(ping=str(write_fake_ping(tmp_path)), rate=50.0)
    await run(targets("127.0.0.1-6"), cfg, spawner=spawner)
    first, *rest = sorted(spawner.starts)
    assert len(rest) == 5
    # probe i may start no earlier than i/50 s after the first (a few ms of slack for the
    # first probe's own start-up); single gaps may be shorter when one sleeper wakes late
    assert all(t - first >= i * 0.02 - 0.005 for i, t in enumerate(rest, 1))


def test_token_bucket_reservations() -> None:
    now = [100.0]
    bucket = TokenBucket(10.0, burst=2.0, clock=lambda: now[0])
    assert [bucket.reserve() for _ in range(2)] == [0.0, 0.0]  # the burst
    assert bucket.reserve() == pytest.approx(0.1)
    assert bucket.reserve() == pytest.approx(0.2)  # queued behind the debt
    now[0] += 1.0  # 10 tokens refill the debt of 2 and the burst of 2, no more
    assert bucket.reserve(3) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(0)


async def test_targets_are_pulled_lazily(tmp_path: Path) -> None:
    pulled = 0

    def many() -> Iterator[Target]:
        nonlocal pulled
        for t in expand([parse_target_spec("127.0.0.0/8")]):  # scripted: never pinged
            pulled += 1
            yield t

    spawner = ScriptedSpawner(delay=0.001)
    cfg = SweepConfig(ping=str(write_fake_ping(tmp_path)), concurrency=4)
    seen = 0

    async def on_result(result: HostResult) -> None:
        nonlocal seen
        seen += 1

    with anyio.move_on_after(10) as scope:
        async with anyio.create_task_group() as tg:

            async def body() -> None:
                await sweep(many(), cfg, on_result, spawner=spawner)

            tg.start_soon(body)
            while seen < 100:
                await anyio.sleep(0.005)
            tg.cancel_scope.cancel()
    assert not scope.cancelled_caught
    # in flight is bounded by 2 x concurrency plus the result buffer, not by the /8
    assert 100 <= pulled <= 100 + 2 * 4 + 256 + 1


async def fake_lookup(host: str, family: int) -> list[str]:
    if host == "two.test":
        return ["::1", "127.0.0.1"]
    if host == "slow.test":
        await anyio.sleep(60)
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


async def test_names_resolve_concurrently_and_failures_are_results(tmp_path: Path) -> None:
    spawner = ScriptedSpawner()
    cfg = SweepConfig(ping=str(write_fake_ping(tmp_path)), resolve_timeout=0.2)
    results, summary = await run(
        targets("two.test", "nope.test", "slow.test"), cfg, lookup=fake_lookup, spawner=spawner
    )
    got = by_target(results)
    assert got["two.test"].state is HostState.ALIVE
    assert got["two.test"].address == "::1"  # resolver order when no family is asked for
    assert got["nope.test"].state is HostState.UNRESOLVED
    assert got["nope.test"].cause == "Name or service not known"
    assert got["nope.test"].address is None
    assert got["slow.test"].state is HostState.UNRESOLVED
    assert got["slow.test"].cause == "name lookup timed out after 0.2 s"
    assert summary.unresolved == 2


async def test_family_preference(tmp_path: Path) -> None:
    spawner = ScriptedSpawner()
    cfg = SweepConfig(ping=str(write_fake_ping(tmp_path)), family=4)
    results, _ = await run(
        targets("two.test", "::1", "127.0.0.1"), cfg, lookup=fake_lookup, spawner=spawner
    )
    got = by_target(results)
    assert got["two.test"].address == "127.0.0.1"
    assert got["::1"].state is HostState.ERROR
    assert got["::1"].cause == "not an IPv4 address (-4 given)"
    assert got["127.0.0.1"].state is HostState.ALIVE


# --- configuration -----------------------------------------------------------------------


def test_default_concurrency_follows_cpus_and_the_open_file_limit() -> None:
    assert default_concurrency(open_file_limit=1 << 20, cpus=2) == 256
    assert default_concurrency(open_file_limit=1024, cpus=8) == (1024 - 64) // 2
    assert default_concurrency(open_file_limit=100, cpus=64) == 18
    assert default_concurrency(open_file_limit=None, cpus=64) == 1024


def test_config_validation() -> None:
    from scanner.errors import UsageProblem

    with pytest.raises(UsageProblem, match="count must be at least 1; rate must be positive"):
        SweepConfig(count=0, rate=-1)
    assert SweepConfig(count=3, interval=0.5, timeout=1).effective_deadline == 4.0
    assert SweepConfig(method=ProbeMethod.TCP, ports=(1, 2)).tokens_per_probe == 2
    assert SweepConfig(count=3).tokens_per_probe == 3


# --- the real ping on loopback ----------------------------------------------------------

needs_ping = pytest.mark.skipif(shutil.which("ping") is None, reason="no system ping")


@needs_ping
@pytest.mark.parametrize("spawner", [*SPAWNERS, "anyio-pidfd"])
async def test_real_ping_on_loopback_all_alive(spawner: str) -> None:
    # retries: another process sweeping the loopback at the same moment (a benchmark, a
    # parallel test run) can take a reply's place in the kernel's queues
    cfg = SweepConfig(timeout=1.0, spawner=spawner, retries=2, backoff=0.05)
    results, summary = await run(targets("127.0.0.1-20", "::1"), cfg)
    assert summary.alive == 21, [r for r in results if not r.alive]
    assert sorted(r.target for r in results) == sorted(
        t.text for t in targets("127.0.0.1-20", "::1")
    )
    assert all(r.rtt_avg is not None and r.rtt_avg < 100 for r in results)


@needs_ping
async def test_real_ping_with_count_gives_percentiles() -> None:
    results, _ = await run(targets("127.0.0.1"), SweepConfig(count=3, interval=0.2))
    assert results[0].received == 3
    assert results[0].percentiles is not None
    assert set(results[0].percentiles) == {"p50", "p90", "p99"}


# --- the fake itself ---------------------------------------------------------------------


def test_fake_ping_looks_like_iputils_and_refuses_unsafe_patterns(tmp_path: Path) -> None:
    import subprocess

    from scanner.net.ping_cmd import PingFlavor, detect_flavor

    fake = write_fake_ping(tmp_path, latency_ms=150)
    assert detect_flavor("Linux", str(fake)) is PingFlavor.IPUTILS
    done = subprocess.run(
        [str(fake), "-n", "-c", "1", "-W", "1", "::1"], capture_output=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.decode().splitlines() == [
        "PING ::1(::1) 56 data bytes",
        "64 bytes from ::1: icmp_seq=1 ttl=64 time=150 ms",
        "",
        "--- ::1 ping statistics ---",
        "1 packets transmitted, 1 received, 0% packet loss, time 0ms",
        "rtt min/avg/max/mdev = 150.000/150.000/150.000/0.000 ms",
    ]
    assert marker_of(fake).startswith("scanner-fake-ping-")
    with pytest.raises(ValueError, match="unsafe fake-ping pattern"):
        write_fake_ping(tmp_path, behaviours={"127.0.0.1; rm -rf /": SILENT})
    with pytest.raises(ValueError, match="unsafe fake-ping message"):
        write_fake_ping(tmp_path, behaviours={"127.0.0.1": Behaviour(Kind.FAIL, message="$(x)")})


@pytest.mark.parametrize("spawner", SPAWNERS)
async def test_cancellation_at_any_moment_leaves_nothing(tmp_path: Path, spawner: str) -> None:
    # cancel while children are being started, some half-way through their start-up
    fake = write_fake_ping(tmp_path, default=HANG, pid_log=tmp_path / "pids")
    cfg = SweepConfig(ping=str(fake), deadline=600, concurrency=24, spawner=spawner)

    async def on_result(result: HostResult) -> None:
        raise AssertionError(f"no host can finish: {result}")

    for delay in (0.0, 0.002, 0.01, 0.03, 0.1):
        with anyio.fail_after(20), anyio.move_on_after(delay):
            await sweep(targets("127.0.0.1-24"), cfg, on_result)
    if read_pids(tmp_path / "pids"):
        assert_no_leftovers(fake, tmp_path / "pids")


def test_a_batch_is_counted_as_its_results_one_by_one() -> None:
    states = [HostState.ALIVE, HostState.UNREACHABLE, HostState.ALIVE, HostState.UNRESOLVED]
    results = [HostResult(f"h{i}", None, s) for i, s in enumerate(states)]
    results.append(HostResult("h9", None, HostState.ERROR, "bad"))
    one_by_one, batched = SweepSummary(), SweepSummary()
    for result in results:
        one_by_one.add(result)
    batched.add_all(results[:2])
    batched.add_all(results[2:])
    keep = ("total", "alive", "unreachable", "unresolved", "error")
    assert [getattr(batched, k) for k in keep] == [getattr(one_by_one, k) for k in keep]
    assert [getattr(batched, k) for k in keep] == [5, 2, 1, 1, 1]
