"""The TCP probe: port states (open, closed, filtered, error), ``-c`` connects per port, RTTs
rounded like ping's. Scripted connects for the rules, real sockets on 127.0.0.1/::1 for the
CLI, and a network namespace with an nftables DROP rule for a filtered port."""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from scanner import exit_codes
from scanner.net.config import ProbeMethod, SweepConfig
from scanner.net.engine import sweep
from scanner.net.model import HostResult, HostState, PortState
from scanner.net.probes import tcp
from scanner.net.replies import Request
from scanner.net.targets import expand, parse_target_spec
from tests.cli_helpers import REPO, run_cli


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (bound, never listening: connects are refused)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@pytest.fixture(name="listener")
def listener_fixture() -> Iterator[int]:
    """A port listening on 127.0.0.1 (the kernel completes handshakes; nobody accepts)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield int(server.getsockname()[1])


def host_records(out: bytes) -> list[dict[str, Any]]:
    recs = [json.loads(line) for line in out.decode().splitlines()]
    return [r for r in recs if r["record"] == "host"]


def is_rounded(value: float) -> bool:
    return round(value, 3) == value


# --- the rules, with scripted connects ---------------------------------------------------


def scripted(answers: dict[int, Sequence[str]]) -> tcp.ConnectFunc:
    """Each port answers in turn as listed (open, closed, filtered, error), 0.5 ms each."""
    calls: dict[int, int] = {}

    async def connect(address: str, port: int, timeout: float) -> Request:
        n = calls.get(port, 0)
        calls[port] = n + 1
        state = answers[port][n]
        answered = state in ("open", "closed")
        cause = {"closed": "Connection refused", "filtered": "timeout", "error": "Bad"}.get(state)
        return Request(state, answered, 0.5 + n if answered else None, port=port, cause=cause)

    return connect


async def probe(answers: dict[int, Sequence[str]], count: int = 1) -> HostResult:
    cfg = SweepConfig(
        method=ProbeMethod.TCP, ports=tuple(answers), count=count, interval=0.001, timeout=1.0
    )
    return await tcp.TcpProbe(cfg, connect=scripted(answers)).probe("h", "127.0.0.1")


@pytest.mark.anyio
async def test_each_port_gets_its_state_and_the_host_is_up_when_any_answered() -> None:
    got = await probe({1: ["open"], 2: ["closed"], 3: ["filtered"], 4: ["error"]})
    assert [(p.port, p.state) for p in got.ports] == [
        (1, PortState.OPEN),
        (2, PortState.CLOSED),
        (3, PortState.FILTERED),
        (4, PortState.ERROR),
    ]
    assert [p.cause for p in got.ports] == [None, "Connection refused", "timeout", "Bad"]
    assert (got.state, got.cause, got.sent, got.received) == (HostState.ALIVE, None, 4, 2)
    assert (got.rtt_min, got.rtt_avg, got.rtt_max) == (0.5, 0.5, 0.5)
    # a closed port alone proves the host is up (nmap -sn), the port still says closed
    only_closed = await probe({7: ["closed"]})
    assert only_closed.state is HostState.ALIVE
    assert only_closed.ports[0].state is PortState.CLOSED


@pytest.mark.anyio
async def test_no_answer_is_unreachable_and_a_local_error_is_an_error() -> None:
    silent = await probe({1: ["filtered"], 2: ["filtered"]})
    assert (silent.state, silent.cause, silent.sent, silent.received) == (
        HostState.UNREACHABLE,
        "timeout",
        2,
        0,
    )
    assert silent.rtt_avg is None
    broken = await probe({1: ["filtered"], 2: ["error"]})
    assert (broken.state, broken.cause) == (HostState.ERROR, "Bad")


@pytest.mark.anyio
async def test_count_connects_per_port_with_loss_and_stats() -> None:
    got = await probe({1: ["filtered", "open", "open"], 2: ["closed"] * 3}, count=3)
    first, second = got.ports
    assert (first.state, first.sent, first.received, first.loss_pct) == (
        PortState.OPEN,
        3,
        2,
        33.3333,
    )
    assert (first.rtt_min, first.rtt_avg, first.rtt_max) == (1.5, 2.0, 2.5)
    assert first.rtt.percentiles is not None
    assert (second.state, second.sent, second.received) == (PortState.CLOSED, 3, 3)
    assert (got.sent, got.received) == (6, 5)


def test_errnos_map_to_port_states() -> None:
    assert tcp._request(80, 0, 0.1).outcome == "open"
    assert tcp._request(80, errno.ECONNREFUSED, 0.1).outcome == "closed"
    for code in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT):
        got = tcp._request(80, code, 0.1)
        assert (got.outcome, got.answered, got.rtt_ms) == ("filtered", False, None)
        assert got.cause == os.strerror(code)
    assert tcp._request(80, errno.EACCES, None).outcome == "error"


# --- real sockets on loopback --------------------------------------------------------------


@pytest.mark.anyio
async def test_connect_once_open_and_closed_are_timed_and_rounded(listener: int) -> None:
    opened = await tcp.connect_once("127.0.0.1", listener, 2.0)
    closed = await tcp.connect_once("127.0.0.1", closed_port(), 2.0)
    assert (opened.outcome, opened.answered, opened.cause) == ("open", True, None)
    assert (closed.outcome, closed.answered, closed.cause) == (
        "closed",
        True,
        os.strerror(errno.ECONNREFUSED),
    )
    for got in (opened, closed):
        assert got.rtt_ms is not None
        assert got.rtt_ms >= 0
        assert is_rounded(got.rtt_ms)


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.anyio
async def test_sweep_reports_every_port_of_every_host(listener: int) -> None:
    hosts = ["127.0.0.1", "127.0.0.2"] + (["::1"] if _ipv6_loopback() else [])
    cfg = SweepConfig(method=ProbeMethod.TCP, ports=(listener, closed_port()), timeout=2.0)
    results: list[HostResult] = []

    async def on_result(result: HostResult) -> None:
        results.append(result)

    await sweep(expand([parse_target_spec(h) for h in hosts]), cfg, on_result)
    got = {r.target: [p.state for p in r.ports] for r in results}
    # the listener is bound to 127.0.0.1 only: elsewhere both ports refuse
    assert got.pop("127.0.0.1") == [PortState.OPEN, PortState.CLOSED]
    assert all(states == [PortState.CLOSED, PortState.CLOSED] for states in got.values())
    assert all(r.state is HostState.ALIVE for r in results)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_cli_text_lines_per_port_and_the_host_line(listener: int, backend: str) -> None:
    closed = closed_port()
    ran = run_cli(
        "ping", "--backend", backend, "-m", "tcp", "-p", f"{listener},{closed}", "127.0.0.1"
    )
    assert ran.code == exit_codes.OK, ran.err
    lines = ran.text.splitlines()
    assert len(lines) == 3, lines
    assert lines[0].startswith(f"127.0.0.1:{listener} open (")
    assert lines[1].startswith(f"127.0.0.1:{closed} closed (")
    assert lines[2].startswith("127.0.0.1 is alive (")
    assert all(line.endswith(" ms)") for line in lines)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_cli_jsonl_has_port_and_state_and_honours_count(listener: int, backend: str) -> None:
    closed = closed_port()
    ran = run_cli(
        "ping",
        "--backend",
        backend,
        "-m",
        "tcp",
        "-p",
        f"{listener},{closed}",
        "-c",
        "3",
        "-i",
        "10ms",
        "--jsonl",
        "127.0.0.1",
    )
    assert ran.code == exit_codes.OK, ran.err
    rows = host_records(ran.out)
    assert [(r["port"], r["port_state"]) for r in rows] == [(listener, "open"), (closed, "closed")]
    assert all(r["state"] == "alive" and r["target"] == "127.0.0.1" for r in rows)
    assert [(r["sent"], r["received"]) for r in rows] == [(3, 3), (3, 3)]
    assert rows[1]["cause"] == os.strerror(errno.ECONNREFUSED)
    rtts = [r[k] for r in rows for k in ("rtt_min_ms", "rtt_avg_ms", "rtt_max_ms", "p50_ms")]
    assert all(isinstance(v, float) and is_rounded(v) for v in rtts)


def test_cli_csv_and_alive_filter_with_ports(listener: int) -> None:
    closed = closed_port()
    ports = f"{listener},{closed}"
    ran = run_cli("ping", "-m", "tcp", "-p", ports, "--csv", "127.0.0.1")
    header, *rows = ran.text.splitlines()
    assert header.split(",")[4:6] == ["port", "port_state"]
    assert [row.split(",")[4:6] for row in rows] == [
        [str(listener), "open"],
        [str(closed), "closed"],
    ]
    # -a prints a host once, however many ports it has
    ran = run_cli("ping", "-m", "tcp", "-p", ports, "-a", "127.0.0.1")
    assert ran.text == "127.0.0.1\n"


# --- filtered: a DROP rule in a network namespace of our own ------------------------------


def _nft_netns() -> tuple[bool, str]:
    if os.geteuid() != 0:
        return False, "needs root (unshare -n, nft)"
    for tool in ("unshare", "ip", "nft"):
        if shutil.which(tool) is None:
            return False, f"{tool} not installed"
    probe = subprocess.run(
        ["unshare", "-n", "nft", "add", "table", "inet", "probe"],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        return False, f"nftables unusable here: {probe.stderr.decode(errors='replace').strip()}"
    return True, "ok"


_NFT_OK, _NFT_WHY = _nft_netns()

# Runs inside `unshare -n` (a fresh namespace: loopback only, nothing can leave): port 7001
# listens, 7002 refuses, 7003's SYNs are dropped by nftables; then the real CLI probes them.
_IN_NAMESPACE = """
import socket, subprocess, sys
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
rules = "table inet t { chain in { type filter hook input priority 0; tcp dport 7003 drop; }; }"
subprocess.run(["nft", "-f", "-"], input=rules.encode(), check=True)
server = socket.socket()
server.bind(("127.0.0.1", 7001))
server.listen(8)
done = subprocess.run([sys.executable, "-m", "scanner", "ping", *sys.argv[1:]])
sys.exit(done.returncode)
"""


@pytest.mark.netns
@pytest.mark.skipif(not _NFT_OK, reason=_NFT_WHY)
@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_dropped_syns_are_filtered(backend: str) -> None:
    def in_namespace(*args: str) -> subprocess.CompletedProcess[bytes]:
        argv = ["unshare", "-n", sys.executable, "-c", _IN_NAMESPACE, "--backend", backend]
        return subprocess.run(
            [*argv, "-m", "tcp", "-t", "300ms", *args],
            capture_output=True,
            cwd=REPO,
            timeout=60,
            check=False,
        )

    done = in_namespace("-p", "7001,7002,7003", "--jsonl", "127.0.0.1")
    assert done.returncode == exit_codes.OK, done.stderr
    rows = host_records(done.stdout)
    assert [(r["port"], r["port_state"]) for r in rows] == [
        (7001, "open"),
        (7002, "closed"),
        (7003, "filtered"),
    ]
    assert rows[2]["cause"] == "timeout"
    assert (rows[2]["received"], rows[2]["rtt_avg_ms"]) == (0, None)
    # only the dropped port: nothing answered, so the host is down (exit 1)
    done = in_namespace("-p", "7003", "127.0.0.1")
    assert done.returncode == exit_codes.PARTIAL, done.stderr
    assert done.stdout.decode().splitlines() == [
        "127.0.0.1:7003 filtered (timeout)",
        "127.0.0.1 is unreachable (timeout)",
    ]
