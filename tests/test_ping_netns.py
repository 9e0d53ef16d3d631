"""Sweeps in a two-namespace lab: some hosts alive, the rest unassigned (no ARP reply).

Every sweep runs inside the near namespace (``ip netns exec``), whose only routes are the lab
/24 and its loopback. The lab is made once for the module. CI runs as root and runs these.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from scanner import exit_codes
from scanner.labs.netns import NetnsLab, lab_namespaces, netns_available, netns_lab
from tests.cli_helpers import REPO

_OK, _WHY = netns_available()
pytestmark = [pytest.mark.netns, pytest.mark.skipif(not _OK, reason=_WHY)]


@pytest.fixture(scope="module")
def lab() -> Iterator[NetnsLab]:
    with netns_lab(alive=9) as made:  # .1 (near) and .2-.10 answer; .11-.254 do not
        yield made


def sweep_in_lab(lab: NetnsLab, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    done = lab.run([sys.executable, "-m", "scanner", "ping", "--jsonl", *args], cwd=REPO)
    recs = [json.loads(line) for line in done.stdout.decode().splitlines()]
    return done.returncode, recs, done.stderr.decode()


def states(recs: list[dict[str, Any]]) -> dict[str, str]:
    return {r["target"]: r["state"] for r in recs if r["record"] == "host"}


def test_lab_layout(lab: NetnsLab) -> None:
    assert lab.near_address == "198.18.0.1"
    assert lab.alive == tuple(f"198.18.0.{i}" for i in range(2, 11))
    assert lab.dead[0] == "198.18.0.11"
    assert lab.dead[-1] == "198.18.0.254"
    # the near namespace has no route out of the lab
    routes = lab.run(["ip", "route", "show", "table", "all"]).stdout.decode()
    assert "default" not in routes
    assert "198.18.0.0/24" in routes


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_real_ping_sweep_alive_and_dead(lab: NetnsLab, backend: str) -> None:
    code, recs, err = sweep_in_lab(lab, "--backend", backend, "-t", "0.5", "198.18.0.1-20")
    assert code == exit_codes.PARTIAL, err
    got = states(recs)
    assert got == {f"198.18.0.{i}": "alive" if i <= 10 else "unreachable" for i in range(1, 21)}
    dead = [r for r in recs if r.get("state") == "unreachable"]
    assert all(r["cause"] == "timeout" and r["sent"] == 1 for r in dead)
    assert recs[-1]["record"] == "summary"
    assert (recs[-1]["alive"], recs[-1]["unreachable"]) == (10, 10)


def test_only_alive_hosts_exit_0(lab: NetnsLab) -> None:
    code, recs, err = sweep_in_lab(lab, "-c", "2", "-i", "0.2", "198.18.0.1-10")
    assert code == exit_codes.OK, err
    hosts = [r for r in recs if r["record"] == "host"]
    assert len(hosts) == 10
    assert all(h["received"] == 2 and h["p50_ms"] is not None for h in hosts)


def test_retries_on_dead_hosts(lab: NetnsLab) -> None:
    code, recs, _ = sweep_in_lab(
        lab, "-t", "0.3", "--retries", "1", "--backoff", "0.05", "198.18.0.10-12"
    )
    assert code == exit_codes.PARTIAL
    attempts = {r["target"]: r["attempts"] for r in recs if r["record"] == "host"}
    assert attempts == {"198.18.0.10": 1, "198.18.0.11": 2, "198.18.0.12": 2}


def test_tcp_probe_rst_is_up_silence_is_down(lab: NetnsLab) -> None:
    # nothing listens on port 9 in the far namespace: its kernel answers with RST
    code, recs, err = sweep_in_lab(
        lab, "-m", "tcp", "-p", "9", "-t", "0.5", "198.18.0.2", "198.18.0.30"
    )
    assert code == exit_codes.PARTIAL, err
    hosts = {r["target"]: r for r in recs if r["record"] == "host"}
    assert hosts["198.18.0.2"]["state"] == "alive"
    assert hosts["198.18.0.30"]["state"] == "unreachable"
    assert hosts["198.18.0.30"]["cause"] == "timeout"
    assert (hosts["198.18.0.2"]["port"], hosts["198.18.0.2"]["port_state"]) == (9, "closed")
    assert hosts["198.18.0.30"]["port_state"] == "filtered"


@pytest.mark.skipif(shutil.which("fping") is None, reason="fping not installed")
def test_fping_agrees_with_us(lab: NetnsLab) -> None:
    fping = lab.run(["fping", "-a", "-r0", "-t500", "-g", "198.18.0.1", "198.18.0.20"])
    theirs = set(fping.stdout.decode().split())
    _, recs, _ = sweep_in_lab(lab, "-t", "0.5", "198.18.0.1-20")
    ours = {t for t, s in states(recs).items() if s == "alive"}
    assert ours == theirs == {f"198.18.0.{i}" for i in range(1, 11)}


def test_lab_is_removed_even_when_the_body_fails() -> None:
    before = set(lab_namespaces())
    with pytest.raises(RuntimeError, match="boom"), netns_lab(alive=1) as inner:
        assert {inner.near, inner.far} <= set(lab_namespaces())
        raise RuntimeError("boom")
    assert set(lab_namespaces()) == before
