"""Loop mode (``-l``, fping -l): rounds until --deadline or Ctrl-C, a reply line per request,
each host's summary at the end; Ctrl-C exits 130. Real processes with SIGINT, the fake ping
and real sockets on 127.0.0.1, on asyncio and trio."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import ClassVar

import pytest

from scanner import exit_codes
from scanner.labs.fakeping import Behaviour, Kind, write_fake_ping
from scanner.net import probes
from scanner.net.config import ProbeMethod, SweepConfig
from scanner.net.engine import sweep
from scanner.net.model import HostResult, HostState
from scanner.net.targets import expand, parse_target_spec
from tests.cli_helpers import REPO, run_cli
from tests.test_ping_tcp import closed_port, listener_fixture  # noqa: F401  (a fixture)

SEQ = re.compile(r"^(\S+) : \[(\d+)\], ")


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    return write_fake_ping(tmp_path, behaviours={"127.0.0.2": Behaviour(Kind.LOSS, every=2)})


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_loop_until_the_deadline_then_each_host_once(fake: Path, backend: str) -> None:
    ran = run_cli(
        *f"ping --backend {backend} --ping {fake} -l -i 100ms --deadline 550ms".split(),
        "127.0.0.1",
        "127.0.0.2",
    )
    assert ran.code == exit_codes.OK, ran.err
    lines = ran.text.splitlines()
    seqs: dict[str, list[int]] = {}
    for line in lines:
        if m := SEQ.match(line):
            seqs.setdefault(m[1], []).append(int(m[2]))
    # rounds 100 ms apart for 550 ms: about 6, numbered from 0 without gaps
    for host in ("127.0.0.1", "127.0.0.2"):
        assert seqs[host] == list(range(len(seqs[host])))
        assert 3 <= len(seqs[host]) <= 7
    ones = [line for line in lines if line.startswith("127.0.0.1 is alive (")]
    n = len(seqs["127.0.0.1"])
    assert ones == [f"127.0.0.1 is alive ({n}/{n} received, 0% loss, {ones[0].split(', ')[2]}"]
    assert any(line.startswith("127.0.0.2 is alive (") and "% loss" in line for line in lines)
    assert "scanner: 2 hosts: 2 alive" in ran.err


def test_loop_jsonl_replies_add_up_to_the_host_record(fake: Path) -> None:
    ran = run_cli(
        *f"ping --ping {fake} -l -i 50ms --deadline 300ms --jsonl 127.0.0.2".split(),
    )
    recs = [json.loads(line) for line in ran.out.decode().splitlines()]
    replies = [r for r in recs if r["record"] == "reply"]
    (host,) = [r for r in recs if r["record"] == "host"]
    assert len(replies) >= 2
    assert host["sent"] == len(replies) == replies[-1]["sent"]
    assert host["received"] == sum(r["outcome"] == "reply" for r in replies)
    assert host["attempts"] == len(replies)  # one round per request


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_ctrl_c_prints_each_host_summary_and_exits_130(listener: int, backend: str) -> None:
    closed = closed_port()
    args = f"--backend {backend} -l -i 50ms -m tcp -p {listener},{closed} 127.0.0.1"
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanner", "ping", *args.split()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    assert proc.stdout is not None
    head = [proc.stdout.readline().decode() for _ in range(6)]  # three rounds of two ports
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == exit_codes.INTERRUPTED, err
    lines = head + rest.decode().splitlines(keepends=True)
    seqs = [m[2] for m in map(SEQ.match, head) if m]
    assert seqs == ["0", "0", "1", "1", "2", "2"]
    sent = sum(1 for line in lines if line.startswith(f"127.0.0.1:{listener} : ["))
    summary = [line for line in lines if not SEQ.match(line)]
    assert summary[0].startswith(f"127.0.0.1:{listener} open ({sent}/{sent} answered, 0% loss")
    assert summary[1].startswith(f"127.0.0.1:{closed} closed (")
    assert summary[2].startswith("127.0.0.1 is alive (")
    assert len(summary) == 3
    assert "scanner: interrupted after 1 host: 1 alive" in err.decode()


def test_ctrl_c_jsonl_host_counts_its_rounds(fake: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scanner",
            "ping",
            "--ping",
            str(fake),
            "-l",
            "-i",
            "50ms",
            "--jsonl",
            "127.0.0.1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    assert proc.stdout is not None
    head = [proc.stdout.readline() for _ in range(3)]
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == exit_codes.INTERRUPTED
    recs = [json.loads(line) for line in b"".join(head).splitlines() + rest.splitlines()]
    replies = [r for r in recs if r["record"] == "reply"]
    host, summary = recs[-2:]
    assert (host["record"], host["sent"], host["attempts"]) == ("host", len(replies), len(replies))
    assert (summary["record"], summary["interrupted"], summary["alive"]) == ("summary", True, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-l", "-c", "3"], "choose one of --count, --loop"),
        (["-l", "-r", "1"], "--retries has no meaning with --loop"),
    ],
)
def test_loop_usage_errors(args: list[str], message: str) -> None:
    ran = run_cli("ping", *args, "127.0.0.1")
    assert ran.code == exit_codes.USAGE
    assert message in ran.err


class _Broken:
    """A probe that cannot probe (sends nothing), counting its calls."""

    name = "broken"
    calls = 0

    async def probe(self, target: str, address: str) -> HostResult:
        _Broken.calls += 1
        return HostResult(target, address, HostState.ERROR, "no such tool", sent=0)


@asynccontextmanager
async def _open_broken(cfg: SweepConfig) -> AsyncIterator[_Broken]:
    yield _Broken()


@pytest.mark.anyio
async def test_a_host_that_cannot_be_probed_is_not_looped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(probes.OPENERS, ProbeMethod.TCP, _open_broken)
    _Broken.calls = 0
    results: list[HostResult] = []

    async def on_result(result: HostResult) -> None:
        results.append(result)

    cfg = SweepConfig(method=ProbeMethod.TCP, ports=(1,), loop=True, interval=0.01)
    await sweep(expand([parse_target_spec("127.0.0.1")]), cfg, on_result)
    assert [(r.state, r.cause) for r in results] == [(HostState.ERROR, "no such tool")]
    assert _Broken.calls == 1


class _Instant:
    """A probe that answers at once (one request, reported by the engine)."""

    name = "instant"
    seen: ClassVar[set[str]] = set()

    async def probe(self, target: str, address: str) -> HostResult:
        _Instant.seen.add(address)
        return HostResult(target, address, HostState.ALIVE, sent=1, received=1, rtt_avg=0.1)


@asynccontextmanager
async def _open_instant(cfg: SweepConfig) -> AsyncIterator[_Instant]:
    yield _Instant()


@pytest.mark.anyio
async def test_more_looping_hosts_than_slots_all_get_rounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # one probe slot, twenty hosts: a host waiting for its next round holds no slot, and
    # looping hosts are not limited to twice the slots in flight
    monkeypatch.setitem(probes.OPENERS, ProbeMethod.TCP, _open_instant)
    _Instant.seen = set()
    results: list[HostResult] = []
    started_when_the_first_ended: list[int] = []

    async def on_result(result: HostResult) -> None:
        if not results:
            started_when_the_first_ended.append(len(_Instant.seen))
        results.append(result)

    cfg = SweepConfig(
        method=ProbeMethod.TCP, ports=(1,), loop=True, interval=0.05, deadline=0.4, concurrency=1
    )
    await sweep(expand([parse_target_spec("127.0.0.1-20")]), cfg, on_result)
    assert len(results) == 20
    assert started_when_the_first_ended == [20]
    assert all(r.state is HostState.ALIVE and r.sent >= 2 for r in results)
    assert all(r.attempts == r.sent for r in results)
