"""Reply lines and records (``fping -c`` style): one per request, through the real CLI (the
fake ping, real sockets on 127.0.0.1, a pty for the terminal default), the ping reply-line
reader, and the engine's stand-in for probes that report nothing. Loopback only."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from scanner import exit_codes
from scanner.labs.fakeping import HOST_UNREACHABLE, Behaviour, Kind, write_fake_ping
from scanner.net import probes
from scanner.net.config import ProbeMethod, SweepConfig
from scanner.net.engine import sweep
from scanner.net.model import HostResult, HostState
from scanner.net.ping_cmd import PingFlavor
from scanner.net.ping_replies import LiveReplies, ping_requests
from scanner.net.replies import REPLY_RECORD_FIELDS, HostTally, Reply, Request
from scanner.net.targets import expand, parse_target_spec
from tests.cli_helpers import REPO, drain_pty, run_cli, start_cli
from tests.test_ping_tcp import closed_port, listener_fixture  # noqa: F401  (a fixture)

#: A reply line: target, sequence number, what happened, running average and loss.
LINE = re.compile(r"^(?P<who>\S+) : \[(?P<seq>\d+)\], (?P<what>.+) \((?P<so_far>[^()]+)\)$")


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    # .1 alive, .4 loses every second request, .5 silent, .6 host unreachable
    return write_fake_ping(
        tmp_path,
        behaviours={
            "127.0.0.4": Behaviour(Kind.LOSS, every=2),
            "127.0.0.5": Behaviour(Kind.SILENT, wait=False),
            "127.0.0.6": HOST_UNREACHABLE,
        },
    )


def reply_lines(text: str) -> dict[str, list[dict[str, str]]]:
    got: dict[str, list[dict[str, str]]] = {}
    for line in text.splitlines():
        if m := LINE.match(line):
            got.setdefault(m["who"], []).append(m.groupdict())
    return got


def test_reply_lines_per_request_then_the_host_line(fake: Path) -> None:
    ran = run_cli(
        "ping", "--ping", str(fake), "--replies", "-c", "3", "-i", "10ms", "127.0.0.1", "127.0.0.4"
    )
    assert ran.code == exit_codes.OK, ran.err
    got = reply_lines(ran.text)
    assert [(r["seq"], r["what"], r["so_far"]) for r in got["127.0.0.1"]] == [
        ("0", "64 bytes, 0.000 ms", "0.000 avg, 0% loss"),
        ("1", "64 bytes, 0.000 ms", "0.000 avg, 0% loss"),
        ("2", "64 bytes, 0.000 ms", "0.000 avg, 0% loss"),
    ]
    assert [(r["what"], r["so_far"]) for r in got["127.0.0.4"]] == [
        ("64 bytes, 0.000 ms", "0.000 avg, 0% loss"),
        ("timed out", "0.000 avg, 50% loss"),
        ("64 bytes, 0.000 ms", "0.000 avg, 33.3333% loss"),
    ]
    lines = ran.text.splitlines()
    # a host's reply lines come before its host line
    for host in ("127.0.0.1", "127.0.0.4"):
        mine = [i for i, line in enumerate(lines) if line.startswith(f"{host} ")]
        assert lines[mine[-1]].startswith(f"{host} is alive (")
        assert len(mine) == 4


def test_lost_and_refused_requests_say_why(fake: Path) -> None:
    ran = run_cli("ping", "--ping", str(fake), "--replies", "-c", "2", "-i", "10ms", "127.0.0.5-6")
    assert ran.code == exit_codes.PARTIAL
    got = reply_lines(ran.text)
    assert [r["what"] for r in got["127.0.0.5"]] == ["timed out", "timed out"]
    assert got["127.0.0.5"][1]["so_far"] == "100% loss"
    assert {r["what"] for r in got["127.0.0.6"]} == {"unreachable (Destination Host Unreachable)"}


def test_jsonl_reply_records_only_when_asked(fake: Path) -> None:
    args = ["ping", "--ping", str(fake), "-c", "2", "-i", "10ms", "--jsonl", "127.0.0.4"]
    plain = [json.loads(line) for line in run_cli(*args).out.splitlines()]
    assert [r["record"] for r in plain] == ["host", "summary"]
    recs = [json.loads(line) for line in run_cli(*args, "--replies").out.splitlines()]
    assert [r["record"] for r in recs] == ["reply", "reply", "host", "summary"]
    first, second = recs[0], recs[1]
    assert list(first)[2:] == list(REPLY_RECORD_FIELDS)
    assert (first["seq"], first["outcome"], first["bytes"], first["rtt_ms"]) == (
        0,
        "reply",
        64,
        0.0,
    )
    assert (second["seq"], second["outcome"], second["rtt_ms"], second["cause"]) == (
        1,
        "timeout",
        None,
        "timeout",
    )
    assert (second["sent"], second["received"], second["loss_pct"]) == (2, 1, 50.0)


def test_csv_and_json_leave_replies_out(fake: Path) -> None:
    args = ["ping", "--ping", str(fake), "-c", "2", "-i", "10ms", "--replies", "127.0.0.1"]
    doc = json.loads(run_cli(*args, "--json").out)
    assert [h["target"] for h in doc["hosts"]] == ["127.0.0.1"]
    assert "replies" not in doc
    assert len(run_cli(*args, "--csv").text.splitlines()) == 2  # header + the host


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_tcp_reply_lines_per_port(listener: int, backend: str) -> None:
    closed = closed_port()
    args = f"--backend {backend} -m tcp -p {listener},{closed} -c 2 -i 10ms --replies"
    ran = run_cli("ping", *args.split(), "127.0.0.1")
    assert ran.code == exit_codes.OK, ran.err
    got = reply_lines(ran.text)
    assert [(r["seq"], r["what"].split(",")[0]) for r in got[f"127.0.0.1:{listener}"]] == [
        ("0", "open"),
        ("1", "open"),
    ]
    assert [r["what"].split(",")[0] for r in got[f"127.0.0.1:{closed}"]] == ["closed", "closed"]
    assert all(r["so_far"].endswith(" avg, 0% loss") for rs in got.values() for r in rs)


def _run_on_a_terminal(*args: str) -> str:
    """stdout and stderr of ``scanner ping ARGS`` on a pseudo-terminal."""
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "scanner", "ping", *args],
            stdout=slave,
            stderr=slave,
            cwd=REPO,
        )
        os.close(slave)
        slave = -1
        seen = drain_pty(master)
        proc.wait(timeout=60)
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    return seen.decode(errors="replace").replace("\r\n", "\n")


def test_reply_lines_by_default_on_a_terminal_with_count(fake: Path) -> None:
    base = ["--ping", str(fake), "-i", "10ms", "127.0.0.1"]
    assert len(reply_lines(_run_on_a_terminal(*base, "-c", "2"))["127.0.0.1"]) == 2
    assert reply_lines(_run_on_a_terminal(*base, "-c", "2", "--no-replies")) == {}
    assert reply_lines(_run_on_a_terminal(*base)) == {}  # one request: the host line says it
    # not on a pipe (the host lines are the data there)
    assert reply_lines(run_cli("ping", *base, "-c", "2").text) == {}


# --- the ping reply-line reader ----------------------------------------------------------

IPUTILS = """PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.
64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.034 ms
64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.090 ms (DUP!)
From 10.0.0.1 icmp_seq=3 Destination Host Unreachable
64 bytes from 127.0.0.1: icmp_seq=4 ttl=64 time=12.5 ms

--- 127.0.0.1 ping statistics ---
4 packets transmitted, 2 received, +1 duplicates, +1 errors, 50% packet loss, time 3004ms
"""


def test_ping_reader_orders_by_sequence_and_fills_the_gaps() -> None:
    got = ping_requests(IPUTILS, flavor=PingFlavor.IPUTILS, sent=4)
    assert [(r.outcome, r.rtt_ms, r.size, r.cause) for r in got] == [
        ("reply", 0.034, 64, None),
        ("timeout", None, None, "timeout"),
        ("unreachable", None, None, "Destination Host Unreachable"),
        ("reply", 12.5, 64, None),
    ]


def test_ping_reader_busybox_and_windows() -> None:
    busybox = "64 bytes from 127.0.0.1: seq=0 ttl=64 time=0.052 ms\n"
    got = ping_requests(busybox, flavor=PingFlavor.BUSYBOX, sent=2)
    assert [(r.outcome, r.rtt_ms) for r in got] == [("reply", 0.052), ("timeout", None)]
    windows = "Reply from 127.0.0.1: bytes=32 time<1ms TTL=128\r\nRequest timed out.\r\n"
    got = ping_requests(windows, flavor=PingFlavor.WINDOWS, sent=2)
    assert [(r.outcome, r.rtt_ms, r.size) for r in got] == [
        ("reply", 1.0, 32),
        ("timeout", None, None),
    ]
    assert ping_requests("garbage", flavor=PingFlavor.IPUTILS, sent=0) == []


# --- probes that report nothing get their one request reported for them -------------------


class _Quiet:
    """A probe that returns results without reporting requests (as a new prober may)."""

    name = "quiet"

    async def probe(self, target: str, address: str) -> HostResult:
        alive = address == "127.0.0.1"
        return HostResult(
            target=target,
            address=address,
            state=HostState.ALIVE if alive else HostState.UNREACHABLE,
            cause=None if alive else "timeout",
            sent=1,
            received=int(alive),
            loss_pct=0.0 if alive else 100.0,
            rtt_min=0.5 if alive else None,
            rtt_avg=0.5 if alive else None,
            rtt_max=0.5 if alive else None,
        )


@asynccontextmanager
async def _open_quiet(cfg: SweepConfig) -> AsyncIterator[_Quiet]:
    yield _Quiet()


class _Collected:
    """A sweep's replies and results, as its hooks got them."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.results: list[HostResult] = []

    async def on_reply(self, reply: Reply) -> None:
        self.replies.append(reply)

    async def on_result(self, result: HostResult) -> None:
        self.results.append(result)


@pytest.mark.anyio
async def test_engine_reports_for_a_probe_that_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(probes.OPENERS, ProbeMethod.TCP, _open_quiet)
    seen = _Collected()
    cfg = SweepConfig(method=ProbeMethod.TCP, ports=(1,))
    targets = expand([parse_target_spec("127.0.0.1-2")])
    await sweep(targets, cfg, seen.on_result, on_reply=seen.on_reply)
    replies, results = seen.replies, seen.results
    got = {r.target: r for r in replies}
    assert (got["127.0.0.1"].outcome, got["127.0.0.1"].rtt_ms, got["127.0.0.1"].seq) == (
        "reply",
        0.5,
        0,
    )
    assert (got["127.0.0.2"].outcome, got["127.0.0.2"].loss_pct) == ("timeout", 100.0)
    assert len(results) == 2


def test_live_reader_settles_requests_as_lines_complete() -> None:
    live = LiveReplies(PingFlavor.IPUTILS)
    assert live.feed(b"PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.\n64 bytes from 1") == []
    got = live.feed(b"27.0.0.1: icmp_seq=1 ttl=64 time=0.034 ms\n")
    assert [(r.outcome, r.rtt_ms) for r in got] == [("reply", 0.034)]
    # seq 2 was skipped: a timeout as soon as seq 3 shows it
    got = live.feed(b"64 bytes from 127.0.0.1: icmp_seq=3 ttl=64 time=0.05 ms\n")
    assert [r.outcome for r in got] == ["timeout", "reply"]
    # seq 2 answering late is not reported again; an unterminated last line still counts
    assert live.feed(b"64 bytes from 127.0.0.1: icmp_seq=2 ttl=64 time=1500 ms\n") == []
    live.feed(b"From 10.0.0.1 icmp_seq=4 Destination Host Unreachable")
    got = live.finish(5)
    assert [(r.outcome, r.cause) for r in got] == [
        ("unreachable", "Destination Host Unreachable"),
        ("timeout", "timeout"),
    ]


def _long_ping(tmp_path: Path, args: str) -> subprocess.Popen[bytes]:
    """``scanner ping ARGS`` of 127.0.0.1 with the fake ping, 200 requests 50 ms apart (10 s);
    the fake writes its process id to ``tmp_path / "pids"`` as it starts."""
    fake = write_fake_ping(tmp_path, pid_log=tmp_path / "pids")
    argv = ["ping", "--ping", str(fake), "-c", "200", "-i", "50ms", *args.split(), "127.0.0.1"]
    return start_cli(*argv)


@pytest.mark.parametrize(("backend", "spawner"), [("asyncio", "posix"), ("trio", "anyio")])
def test_ping_reply_lines_stream_and_ctrl_c_sums_up_the_host(
    tmp_path: Path, backend: str, spawner: str
) -> None:
    proc = _long_ping(tmp_path, f"--backend {backend} --spawner {spawner} --replies")
    assert proc.stdout is not None
    # the lines of a ping still running (200 requests 50 ms apart take 10 s)
    head = [proc.stdout.readline().decode() for _ in range(3)]
    assert [m["seq"] for m in map(LINE.match, head) if m] == ["0", "1", "2"]
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == exit_codes.INTERRUPTED, err
    lines = head + rest.decode().splitlines(keepends=True)
    n = sum(1 for line in lines if LINE.match(line))
    assert lines[-1].startswith(f"127.0.0.1 is alive ({n}/{n} received, 0% loss, rtt ")
    assert "interrupted after 1 host: 1 alive" in err.decode()


def test_tally_numbers_requests_and_folds_them_into_the_host() -> None:
    tally = HostTally("h", "127.0.0.1")
    seen = [
        tally.add(Request("reply", True, 1.0, size=64)),
        tally.add(Request("timeout", False, cause="timeout")),
        tally.add(Request("reply", True, 2.0, size=64)),
    ]
    assert [(r.seq, r.sent, r.received, r.avg_ms, r.loss_pct) for r in seen] == [
        (0, 1, 1, 1.0, 0.0),
        (1, 2, 1, 1.0, 50.0),
        (2, 3, 2, 1.5, 33.3333),
    ]
    got = tally.result(attempts=3, elapsed_s=1.0)
    assert (got.state, got.sent, got.received, got.rtt_min, got.rtt_avg, got.rtt_max) == (
        HostState.ALIVE,
        3,
        2,
        1.0,
        1.5,
        2.0,
    )
    assert (got.attempts, got.ports) == (3, ())
    # TCP: numbered per port, one port result each
    tcp = HostTally("h", "127.0.0.1")
    tcp.add(Request("filtered", False, port=81, cause="timeout"))
    tcp.add(Request("closed", True, 0.5, port=80, cause="Connection refused"))
    second = tcp.add(Request("filtered", False, port=81, cause="timeout"))
    assert (second.seq, second.loss_pct, second.avg_ms) == (1, 100.0, None)
    host = tcp.result()
    assert [(p.port, p.state.value, p.sent) for p in host.ports] == [
        (81, "filtered", 2),
        (80, "closed", 1),
    ]
    assert (host.state, host.sent, host.received) == (HostState.ALIVE, 3, 1)
    # nothing answered at all: unreachable, with the last cause
    silent = HostTally("h", "127.0.0.1")
    silent.add(Request("unreachable", False, cause="Destination Host Unreachable"))
    assert (silent.result().state, silent.result().cause) == (
        HostState.UNREACHABLE,
        "Destination Host Unreachable",
    )


def _two_reply_ping(directory: Path, mark: Path) -> Path:
    """A ping that prints a reply, waits, prints a second one and its summary, and leaves
    ``mark`` behind just before it exits."""
    ping = directory / "ping"
    ping.write_text(
        "#!/bin/sh\n"
        "[ \"$1\" = -V ] && { echo 'ping from iputils 20221126'; exit 0; }\n"
        "echo '64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.034 ms'\n"
        "sleep 0.4\n"
        "echo '64 bytes from 127.0.0.1: icmp_seq=2 ttl=64 time=0.035 ms'\n"
        "echo '--- 127.0.0.1 ping statistics ---'\n"
        "echo '2 packets transmitted, 2 received, 0% packet loss, time 400ms'\n"
        "echo 'rtt min/avg/max/mdev = 0.034/0.034/0.035/0.001 ms'\n"
        f": > '{mark}'\n"
    )
    ping.chmod(0o755)
    return ping


@pytest.mark.anyio
@pytest.mark.parametrize("rate", [None, 1000.0], ids=["fed", "task-per-host"])
@pytest.mark.parametrize("with_replies", [True, False])
async def test_ping_output_is_parsed_live_only_for_reply_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_replies: bool, rate: float | None
) -> None:
    # Without reply lines nothing is parsed while the child runs (a flooding ping's lines
    # cost CPU per line, and a slow reader let it meet the deadline before the output cap):
    # the task per host (--rate) reads its requests from the whole output once it exited,
    # the fed probe (scanner.net.probes.ping_fed) reads none at all. With reply lines both
    # parse each line as it is read.
    mark = tmp_path / "exited"
    ping = _two_reply_ping(tmp_path, mark)
    exited_when_parsed: list[bool] = []
    feed = LiveReplies.feed

    def spy(self: LiveReplies, chunk: bytes) -> list[Request]:
        got = feed(self, chunk)
        exited_when_parsed.extend(mark.exists() for _ in got)
        return got

    monkeypatch.setattr(LiveReplies, "feed", spy)
    got = _Collected()
    cfg = SweepConfig(method=ProbeMethod.PING, ping=str(ping), count=2, interval=0.4, rate=rate)
    targets = expand([parse_target_spec("127.0.0.1")])
    await sweep(targets, cfg, got.on_result, on_reply=got.on_reply if with_replies else None)
    replies, results = got.replies, got.results
    assert [(r.state, r.received) for r in results] == [(HostState.ALIVE, 2)]
    if with_replies:
        assert len(exited_when_parsed) == 2
        assert exited_when_parsed[0] is False  # the first line, while the child slept
        assert [r.seq for r in replies] == [0, 1]
    elif rate is None:
        assert exited_when_parsed == []
    else:
        assert exited_when_parsed == [True, True]
        assert replies == []


def test_ctrl_c_sums_up_a_host_from_its_lines_without_reply_lines(tmp_path: Path) -> None:
    # Not parsed as they come, the lines of a ping that is still running are read when
    # the sweep is interrupted: the host is summed up as with --replies.
    proc = _long_ping(tmp_path, "--no-replies")
    # the ping runs 10 s: once it has started (however long that takes on a busy machine),
    # a second lets some of its replies come
    started = time.monotonic() + 60
    while not (tmp_path / "pids").exists() and time.monotonic() < started:
        time.sleep(0.02)
    try:
        proc.wait(timeout=1.0)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == exit_codes.INTERRUPTED, err
    lines = out.decode().splitlines()
    assert len(lines) == 1, lines
    m = re.match(r"^127\.0\.0\.1 is alive \((\d+)/(\d+) received, 0% loss, rtt ", lines[0])
    assert m is not None, lines
    assert m[1] == m[2] and int(m[1]) >= 1
    assert "interrupted after 1 host: 1 alive" in err.decode()
