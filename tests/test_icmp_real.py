"""The ICMP prober on real sockets: raw on 127.0.0.1 and ::1, datagram sockets and the
``auto`` fallback as ``nobody`` inside a fresh network namespace (``unshare -n``: its own
``net.ipv4.ping_group_range``, closed by default, so the machine's setting is never touched).
Everything targets loopback only."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from typing import Any

import pytest

from scanner import exit_codes
from scanner.net.config import ProbeMethod, SweepConfig
from scanner.net.engine import sweep
from scanner.net.icmp.access import SocketKind, detect_access
from scanner.net.model import HostResult, HostState
from scanner.net.targets import expand, parse_target_spec
from tests.cli_helpers import REPO, start_cli

_RAW = detect_access(4, "raw").kind is SocketKind.RAW
needs_raw = pytest.mark.skipif(not _RAW, reason="raw ICMP sockets need root or CAP_NET_RAW")
_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
_TOOLS = all(shutil.which(t) for t in ("unshare", "setpriv", "ip", "sysctl"))
needs_netns = pytest.mark.skipif(
    not (_ROOT and _TOOLS), reason="needs root and unshare, setpriv, ip, sysctl"
)
_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]


@needs_raw
@pytest.mark.anyio
async def test_raw_sockets_on_loopback_v4_and_v6() -> None:
    results: list[HostResult] = []

    async def on_result(result: HostResult) -> None:
        results.append(result)

    cfg = SweepConfig(method=ProbeMethod.ICMP, icmp_socket="raw", count=2, interval=0.05)
    specs = [parse_target_spec(s) for s in ("127.0.0.1-20", "::1")]
    summary = await sweep(expand(specs), cfg, on_result)
    assert summary.alive == 21
    assert all(r.state is HostState.ALIVE and (r.sent, r.received) == (2, 2) for r in results)


def scanner_in_netns(
    *args: str, setup: str = "", user: list[str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """``scanner ping ARGS`` inside a fresh network namespace (loopback up, ``setup`` run
    first), optionally as another user."""
    argv = [*(user or []), sys.executable, "-m", "scanner", "ping", *args]
    script = f'ip link set lo up && {setup or "true"} && exec "$@"'
    # another user cannot write coverage's data files beside the repository (CI runs the
    # suite under coverage, which follows subprocesses through these variables)
    env = {k: v for k, v in os.environ.items() if not (user and k.startswith("COVERAGE"))}
    return subprocess.run(
        ["unshare", "-n", "sh", "-c", script, "sh", *argv],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )


def records(done: subprocess.CompletedProcess[bytes]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in done.stdout.decode().splitlines()]


_OPEN_RANGE = "sysctl -qw net.ipv4.ping_group_range='0 2147483647'"


@needs_netns
def test_datagram_sockets_on_loopback_v4_and_v6() -> None:
    done = scanner_in_netns(
        "--jsonl", "--method", "icmp", "--icmp-socket", "dgram", "-c", "2", "-i", "50ms",
        "127.0.0.1-5", "::1", setup=_OPEN_RANGE,
    )  # fmt: skip
    assert done.returncode == exit_codes.OK, done.stderr
    recs = records(done)
    hosts = [r for r in recs if r["record"] == "host"]
    assert len(hosts) == 6 and all(h["received"] == 2 for h in hosts)
    assert recs[-1]["method"] == "icmp"


@needs_netns
def test_auto_uses_datagram_sockets_when_the_group_range_admits_nobody() -> None:
    done = scanner_in_netns("--jsonl", "127.0.0.1", setup=_OPEN_RANGE, user=_NOBODY)
    assert done.returncode == exit_codes.OK, done.stderr
    assert "method icmp (datagram ICMP sockets: gid 65534" in done.stderr.decode()
    assert records(done)[-1]["method"] == "icmp"


@needs_netns
def test_without_permission_auto_falls_back_to_ping_and_icmp_exits_4() -> None:
    # a fresh namespace's ping_group_range is "1 0": closed; nobody has no CAP_NET_RAW
    auto = scanner_in_netns("--jsonl", "127.0.0.1", "127.0.0.2", user=_NOBODY)
    err = auto.stderr.decode()
    note = [line for line in err.splitlines() if "method ping" in line]
    assert note == [
        "scanner: method ping (no ICMP socket: net.ipv4.ping_group_range is '1 0' (closed); "
        "no CAP_NET_RAW for raw sockets (not root))"
    ]
    recs = records(auto)
    assert recs[-1]["method"] == "ping"
    assert [r["state"] for r in recs if r["record"] == "host"] == ["alive", "alive"]

    icmp = scanner_in_netns("--method", "icmp", "127.0.0.1", user=_NOBODY)
    assert icmp.returncode == exit_codes.FAILURE
    lines = icmp.stderr.decode().splitlines()
    assert len(lines) == 1
    assert "no ICMP socket may be opened" in lines[0]
    assert "ping_group_range" in lines[0] and "CAP_NET_RAW" in lines[0]
    assert icmp.stdout == b""


@needs_raw
def test_records_have_the_same_shape_for_both_methods() -> None:
    def sweep_with(method: str) -> list[dict[str, Any]]:
        done = subprocess.run(
            [sys.executable, "-m", "scanner", "ping", "--jsonl", "-m", method, "-c", "2",
             "-i", "50ms", "127.0.0.1-3"],
            cwd=REPO, capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == exit_codes.OK, done.stderr
        return records(done)

    icmp, ping = sweep_with("icmp"), sweep_with("ping")
    assert [list(r) for r in icmp] == [list(r) for r in ping]
    assert sorted(r["target"] for r in icmp[:-1]) == sorted(r["target"] for r in ping[:-1])
    assert all(r["state"] == "alive" and r["received"] == 2 for r in icmp[:-1] + ping[:-1])


@needs_raw
def test_ctrl_c_stops_an_icmp_sweep_and_ends_with_the_summary() -> None:
    child = start_cli("ping", "--jsonl", "--yes", "127.0.0.0/16")
    assert child.stdout is not None
    first = child.stdout.readline()  # the sweep is under way (1,000 requests/s: a minute)
    child.send_signal(signal.SIGINT)
    rest = child.stdout.read()  # through the same buffer as the first line
    assert child.wait(timeout=60) == 130
    child.stdout.close()
    assert child.stderr is not None
    child.stderr.close()
    recs = [json.loads(line) for line in (first + rest).decode().splitlines()]
    assert recs[-1]["record"] == "summary" and recs[-1]["interrupted"] is True
    assert recs[-1]["total"] == len(recs) - 1 < 65_534
    assert all(r["record"] == "host" for r in recs[:-1])


@needs_raw
def test_reply_records_and_loop_mode_with_icmp() -> None:
    def run(*args: str) -> list[dict[str, Any]]:
        done = subprocess.run(
            [sys.executable, "-m", "scanner", "ping", "--jsonl", "-m", "icmp", *args],
            cwd=REPO, capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == exit_codes.OK, done.stderr
        return records(done)

    recs = run("-c", "3", "-i", "50ms", "--replies", "127.0.0.1")
    replies = [r for r in recs if r["record"] == "reply"]
    assert [(r["seq"], r["outcome"], r["sent"], r["received"]) for r in replies] == [
        (0, "reply", 1, 1), (1, "reply", 2, 2), (2, "reply", 3, 3)
    ]  # fmt: skip
    host = next(r for r in recs if r["record"] == "host")
    assert (host["sent"], host["received"]) == (3, 3)
    looped = run("-l", "-i", "100ms", "--deadline", "350ms", "::1")
    rounds = [r for r in looped if r["record"] == "reply"]
    assert len(rounds) >= 2 and all(r["outcome"] == "reply" for r in rounds)
    host = next(r for r in looped if r["record"] == "host")
    assert host["sent"] == host["received"] == len(rounds)
