"""Loop mode (``-l``, fping -l): rounds until --deadline or Ctrl-C, a reply line per request,
each host's summary at the end; Ctrl-C exits 130. Real processes with SIGINT, the fake ping
and real sockets on 127.0.0.1, on asyncio and trio."""

from __future__ import annotations

import json
import re
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from scanner import exit_codes
from scanner.labs.fakeping import Behaviour, Kind, write_fake_ping
from scanner.net import probes
from scanner.net.config import ProbeMethod, SweepConfig
from scanner.net.engine import sweep
from scanner.net.model import HostResult, HostState
from scanner.net.targets import expand, parse_target_spec
from tests.cli_helpers import run_cli, start_cli
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
    proc = start_cli("ping", *args.split())
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
    proc = start_cli("ping", "--ping", str(fake), "-l", "-i", "50ms", "--jsonl", "127.0.0.1")
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


class _Scripted:
    """A probe with a fixed answer that notes which addresses it was called for."""

    name = "scripted"

    def __init__(self, state: HostState, cause: str | None = None) -> None:
        self.state = state
        self.cause = cause
        self.calls: list[str] = []

    async def probe(self, target: str, address: str) -> HostResult:
        self.calls.append(address)
        if self.state is HostState.ERROR:
            return HostResult(target, address, self.state, self.cause, sent=0)
        return HostResult(target, address, self.state, sent=1, received=1, rtt_avg=0.1)


async def loop_with(
    monkeypatch: pytest.MonkeyPatch, probe: _Scripted, spec: str, **cfg: Any
) -> tuple[list[HostResult], int]:
    """Loop over ``spec`` with ``probe``: the results, and how many distinct hosts had been
    probed when the first result came."""

    @asynccontextmanager
    async def opener(_: SweepConfig) -> AsyncIterator[_Scripted]:
        yield probe

    monkeypatch.setitem(probes.OPENERS, ProbeMethod.TCP, opener)
    results: list[HostResult] = []
    started: list[int] = []

    async def on_result(result: HostResult) -> None:
        started.append(len(set(probe.calls)))
        results.append(result)

    config = SweepConfig(method=ProbeMethod.TCP, ports=(1,), loop=True, **cfg)
    await sweep(expand([parse_target_spec(spec)]), config, on_result)
    return results, started[0]


@pytest.mark.anyio
async def test_a_host_that_cannot_be_probed_is_not_looped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = _Scripted(HostState.ERROR, "no such tool")
    results, _ = await loop_with(monkeypatch, broken, "127.0.0.1", interval=0.01)
    assert [(r.state, r.cause) for r in results] == [(HostState.ERROR, "no such tool")]
    assert len(broken.calls) == 1


@pytest.mark.anyio
async def test_more_looping_hosts_than_slots_all_get_rounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # one probe slot, twenty hosts: a host waiting for its next round holds no slot, and
    # looping hosts are not limited to twice the slots in flight
    results, started = await loop_with(
        monkeypatch,
        _Scripted(HostState.ALIVE),
        "127.0.0.1-20",
        interval=0.05,
        deadline=0.4,
        concurrency=1,
    )
    assert len(results) == 20
    assert started == 20  # all were being probed when the first one's deadline came
    assert all(r.state is HostState.ALIVE and r.sent >= 2 for r in results)
    assert all(r.attempts == r.sent for r in results)
