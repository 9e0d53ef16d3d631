"""``--method icmp`` against ``--method ping`` in network-namespace labs, through the real CLI.

The routed lab (``scanner.labs.netns.netns_routed_lab``): the far namespace routes
198.19.0.0/16 — a few of its own addresses answer, 198.19.255.0/24 is answered with ICMP
"Destination Host Unreachable", the rest is silently dropped. The neighbour lab
(``netns_lab``): unassigned addresses on the link (no ARP reply). Every sweep runs inside the
near namespace. CI runs as root and runs these.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from scanner import exit_codes
from scanner.labs.netns import (
    NetnsLab,
    RoutedLab,
    netns_available,
    netns_lab,
    netns_routed_lab,
)
from tests.cli_helpers import REPO

_OK, _WHY = netns_available()
pytestmark = [pytest.mark.netns, pytest.mark.skipif(not _OK, reason=_WHY)]

ALIVE = ("198.19.0.1", "198.19.0.3", "198.19.0.8", "198.19.100.7")
TARGETS = ("198.19.0.1-10", "198.19.100.7", "198.19.255.1-3")
EXPECTED = {
    **{f"198.19.0.{i}": "unreachable" for i in range(1, 11)},
    **dict.fromkeys(ALIVE, "alive"),
    **{f"198.19.255.{i}": "unreachable" for i in range(1, 4)},
}


@pytest.fixture(scope="module")
def lab() -> Iterator[RoutedLab]:
    with netns_routed_lab(ALIVE) as made:
        # datagram ICMP sockets for root in the near namespace too (its own sysctl)
        made.run(["sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647"])
        yield made


def sweep_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "scanner", "ping", "--jsonl", "-t", "0.5", *args]


def hosts_of(stdout: bytes) -> dict[str, dict[str, Any]]:
    recs = [json.loads(line) for line in stdout.decode().splitlines()]
    return {r["target"]: r for r in recs if r["record"] == "host"}


def test_icmp_and_ping_report_the_same_state_for_every_host(lab: RoutedLab) -> None:
    got = {}
    for method in ("icmp", "ping"):
        done = lab.run(sweep_argv("-m", method, *TARGETS), cwd=REPO)
        assert done.returncode == exit_codes.PARTIAL, done.stderr
        got[method] = hosts_of(done.stdout)
    for method, hosts in got.items():
        assert {t: h["state"] for t, h in hosts.items()} == EXPECTED, method
    icmp, ping = got["icmp"], got["ping"]
    for target in EXPECTED:
        assert list(icmp[target]) == list(ping[target])
        causes = {icmp[target]["cause"], ping[target]["cause"]}
        if target.startswith("198.19.255."):
            # the router's error, in the same words; an error the router held back (its
            # per-destination limit on ICMP errors, net.ipv4.route.error_cost/error_burst,
            # met when both methods run back to back) reads as a timeout, either method
            assert causes <= {"Destination Host Unreachable", "timeout"}, target
        else:
            assert len(causes) == 1, target
    refused = [icmp[f"198.19.255.{i}"]["cause"] for i in range(1, 4)]
    assert "Destination Host Unreachable" in refused
    assert icmp["198.19.0.2"]["cause"] == "timeout"


@pytest.mark.parametrize("socket_kind", ["raw", "dgram"])
def test_no_cross_talk_with_other_pingers_in_parallel(lab: RoutedLab, socket_kind: str) -> None:
    count = "5"

    def icmp_sweep(kind: str) -> list[str]:
        return sweep_argv("-m", "icmp", "--icmp-socket", kind, "-c", count, "-i", "20ms", *TARGETS)

    ours = icmp_sweep(socket_kind)
    others = [
        lab.exec_argv(["ping", "-q", "-i", "0.01", "-c", "100", "198.19.0.1"]),
        lab.exec_argv(["ping", "-q", "-i", "0.01", "-c", "100", "198.19.255.1"]),
        lab.exec_argv(icmp_sweep("raw")),
        lab.exec_argv(icmp_sweep("dgram")),
    ]
    background = [
        subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for argv in others
    ]
    try:
        done = lab.run(ours, cwd=REPO)
    finally:
        outputs = [p.communicate(timeout=60) for p in background]
    sweeps = [hosts_of(done.stdout), hosts_of(outputs[2][0]), hosts_of(outputs[3][0])]
    for hosts in sweeps:
        assert {t: h["state"] for t, h in hosts.items()} == EXPECTED
        for target, host in hosts.items():
            want = int(count) if host["state"] == "alive" else 0
            assert (host["sent"], host["received"]) == (int(count), want), target


def _link_local(lab: NetnsLab, interface: str) -> str:
    """The far side's IPv6 link-local address, zoned to the near side's interface, once it
    answers (duplicate address detection may hold it back for a moment)."""
    found = None
    for _ in range(100):  # the kernel adds it a moment after the link comes up
        shown = subprocess.run(
            ["ip", "-n", lab.far, "-6", "-o", "addr", "show", "scope", "link"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout  # fmt: skip
        found = re.search(r"inet6 (fe80::[0-9a-f:]+)/64", shown)
        if found is not None:
            break
        time.sleep(0.05)
    assert found is not None, "no link-local address on the far side"
    address = f"{found.group(1)}%{interface}"
    for _ in range(50):
        if lab.run(["ping", "-c1", "-W1", address]).returncode == 0:
            break
    return address


def test_icmp_on_the_neighbour_lab_matches_ping() -> None:
    with netns_lab(alive=4) as lab:  # .1-.5 answer; .6 and up have no ARP reply
        link_local = _link_local(lab, lab.near[:-1] + "a")  # the lab names its veth end so
        got = {}
        for method in ("icmp", "ping"):
            done = lab.run(sweep_argv("-m", method, "198.18.0.1-12", link_local), cwd=REPO)
            got[method] = {t: h["state"] for t, h in hosts_of(done.stdout).items()}
    expected = {f"198.18.0.{i}": "alive" if i <= 5 else "unreachable" for i in range(1, 13)}
    expected[link_local] = "alive"  # ICMPv6 echo to a link-local address with its zone
    assert got["icmp"] == got["ping"] == expected
