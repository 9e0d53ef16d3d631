"""``--method auto`` per address family: the permission checks faked (``detect``), the
split sweep on a fake ICMP network and the fake ``ping``, and on real sockets as root.
Every address pinged is on loopback; async tests run on asyncio and trio."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest

from scanner import exit_codes
from scanner.errors import OperationFailed, UsageProblem
from scanner.labs.fakeping import SILENT, write_fake_ping
from scanner.net.config import ProbeMethod, SweepConfig
from scanner.net.engine import sweep
from scanner.net.icmp.access import Access, SocketKind, detect_access
from scanner.net.icmp.method import choose_method
from scanner.net.model import HostResult, HostState
from scanner.net.probes.by_family import ByFamilyProbe
from scanner.net.probes.ping import open_ping_probe
from scanner.net.targets import expand, parse_target_spec
from tests.cli_helpers import REPO
from tests.test_icmp_prober import answer, fake_prober

RAW = Access(SocketKind.RAW, "raw ICMP sockets: CAP_NET_RAW")
DGRAM = Access(SocketKind.DGRAM, "datagram ICMP sockets: gid 0 in ping_group_range")
NO_V6 = Access(None, "raw ICMP socket: Address family not supported by protocol")
CLOSED = Access(None, "net.ipv4.ping_group_range is '1 0' (closed); no CAP_NET_RAW")


def detector(v4: Access, v6: Access, asked: list[int] | None = None) -> Callable[..., Access]:
    def detect(version: int, choice: str = "auto") -> Access:
        if asked is not None:
            asked.append(version)
        return v4 if version == 4 else v6

    return detect


def test_auto_runs_icmp_where_every_family_may_open_a_socket() -> None:
    got = choose_method(ProbeMethod.AUTO, detect=detector(RAW, RAW))
    assert (got.method, got.ping_families) == (ProbeMethod.ICMP, ())
    assert got.note == "method icmp (raw ICMP sockets: CAP_NET_RAW)"


def test_auto_splits_by_family_where_only_icmpv4_may_be_opened() -> None:
    got = choose_method(ProbeMethod.AUTO, detect=detector(RAW, NO_V6))
    assert (got.method, got.ping_families) == (ProbeMethod.ICMP, (6,))
    assert got.note == (
        "method icmp for IPv4 (raw ICMP sockets: CAP_NET_RAW), ping for IPv6 (no ICMPv6 "
        "socket: raw ICMP socket: Address family not supported by protocol)"
    )


def test_auto_splits_by_family_where_only_icmpv6_may_be_opened() -> None:
    got = choose_method(ProbeMethod.AUTO, detect=detector(CLOSED, DGRAM))
    assert (got.method, got.ping_families) == (ProbeMethod.ICMP, (4,))
    assert got.note is not None
    assert got.note.startswith("method icmp for IPv6 (datagram ICMP sockets")
    assert "ping for IPv4 (no ICMPv4 socket: net.ipv4.ping_group_range" in got.note


def test_only_the_families_of_the_targets_are_asked_about() -> None:
    asked: list[int] = []
    got = choose_method(ProbeMethod.AUTO, families={4}, detect=detector(RAW, NO_V6, asked))
    assert asked == [4]
    assert (got.method, got.ping_families) == (ProbeMethod.ICMP, ())
    assert got.note == "method icmp (raw ICMP sockets: CAP_NET_RAW)"
    asked.clear()
    got = choose_method(ProbeMethod.AUTO, family=6, detect=detector(RAW, NO_V6, asked))
    assert asked == [6]
    assert got.method is ProbeMethod.PING
    assert got.note == f"method ping (no ICMP socket: {NO_V6.why})"


def test_without_any_socket_auto_is_ping_and_icmp_fails() -> None:
    got = choose_method(ProbeMethod.AUTO, detect=detector(CLOSED, CLOSED))
    assert (got.method, got.ping_families) == (ProbeMethod.PING, ())
    assert got.note == f"method ping (no ICMP socket: {CLOSED.why})"  # said once, not twice
    with pytest.raises(OperationFailed, match="no ICMP socket may be opened: ICMPv4: net"):
        choose_method(ProbeMethod.ICMP, detect=detector(CLOSED, NO_V6))


def test_method_icmp_runs_where_one_family_may_open_a_socket() -> None:
    # asked for by name: no fallback; the other family's hosts are errors with the cause
    got = choose_method(ProbeMethod.ICMP, detect=detector(CLOSED, RAW))
    assert (got.method, got.note, got.ping_families) == (ProbeMethod.ICMP, None, ())
    for other in (ProbeMethod.PING, ProbeMethod.TCP):
        assert choose_method(other, detect=detector(CLOSED, CLOSED)).method is other


def test_the_config_names_each_familys_method() -> None:
    split = SweepConfig(method=ProbeMethod.ICMP, ping_families=(6,))
    assert split.methods() == {"ipv4": "icmp", "ipv6": "ping"}
    assert SweepConfig(method=ProbeMethod.PING, family=4).methods() == {"ipv4": "ping"}
    with pytest.raises(UsageProblem, match="ping_families is for method icmp"):
        SweepConfig(method=ProbeMethod.PING, ping_families=(6,))
    with pytest.raises(UsageProblem, match="no family to method icmp"):
        SweepConfig(method=ProbeMethod.ICMP, ping_families=(4, 6))


@asynccontextmanager
async def split_probe(
    cfg: SweepConfig, ping: Path, seen: list[str]
) -> AsyncIterator[ByFamilyProbe]:
    """The split probe over the fake ICMP network (which records each destination) and the
    fake ``ping``."""

    def script(dst: str, request: bytes) -> Sequence[tuple[str, bytes]]:
        seen.append(dst)
        return answer(dst, request)

    async with (
        fake_prober(script) as (prober, _),
        open_ping_probe(SweepConfig(ping=str(ping), timeout=cfg.timeout)) as by_ping,
        anyio.create_task_group() as tg,
    ):
        yield ByFamilyProbe(cfg, prober, by_ping, tg, prober.families[4].pacer)


@pytest.mark.anyio
@pytest.mark.parametrize("retries", [0, 1])
async def test_a_split_sweep_pings_each_family_by_its_method(tmp_path: Path, retries: int) -> None:
    ping = write_fake_ping(tmp_path, behaviours={"::2": SILENT})
    cfg = SweepConfig(
        method=ProbeMethod.ICMP, ping_families=(6,), timeout=0.2, retries=retries, backoff=0.01
    )
    seen: list[str] = []
    results: list[HostResult] = []

    async def on_result(result: HostResult) -> None:
        results.append(result)

    specs = [parse_target_spec(s) for s in ("127.0.0.1-3", "::1", "::2")]
    async with split_probe(cfg, ping, seen) as probe:
        summary = await sweep(expand(specs), cfg, on_result, probe=probe)
    got = {r.target: r for r in results}
    assert sorted(seen) == ["127.0.0.1", "127.0.0.2", "127.0.0.3"]  # no IPv6 on the socket
    assert summary.total == 5 and summary.alive == 4
    assert all(got[t].state is HostState.ALIVE for t in ("127.0.0.1", "127.0.0.3", "::1"))
    assert got["::1"].address == "::1" and got["::1"].sent == 1
    assert got["::2"].state is HostState.UNREACHABLE and got["::2"].attempts == 1 + retries


@pytest.mark.anyio
async def test_a_split_sweep_reports_the_ping_hosts_requests(tmp_path: Path) -> None:
    ping = write_fake_ping(tmp_path)
    cfg = SweepConfig(method=ProbeMethod.ICMP, ping_families=(6,), timeout=0.5)
    replies: list[str] = []

    async def on_result(result: HostResult) -> None:
        pass

    async def on_reply(reply: object) -> None:
        replies.append(getattr(reply, "target", ""))

    specs = [parse_target_spec(s) for s in ("127.0.0.1", "::1")]
    async with split_probe(cfg, ping, []) as probe:
        await sweep(expand(specs), cfg, on_result, probe=probe, on_reply=on_reply)
    assert sorted(replies) == ["127.0.0.1", "::1"]


_RAW_OK = detect_access(4, "raw").kind is SocketKind.RAW and detect_access(6, "raw").kind


@pytest.mark.skipif(not _RAW_OK, reason="raw ICMP sockets need root or CAP_NET_RAW")
def test_the_cli_splits_a_sweep_where_icmpv6_is_refused() -> None:
    # the ICMPv6 check made to fail in the child before the command runs: the one-line
    # note, both families alive, and each family's method in the summary
    patch = (
        "import sys, scanner.net.icmp.access as a, scanner.net.icmp.method as m\n"
        "import scanner.net.icmp.probe as p\n"
        "real = a.detect_access\n"
        "def fake(version=4, choice='auto'):\n"
        "    if version == 6:\n"
        "        return a.Access(None, 'ICMPv6 refused by the test')\n"
        "    return real(version, choice)\n"
        "a.detect_access = m.detect_access = p.detect_access = fake\n"
        "sys.argv[1:] = ['ping', '--jsonl', '127.0.0.1', '::1']\n"
        "from scanner.entry import run\n"
        "run()\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", patch], capture_output=True, cwd=REPO, timeout=60, check=False
    )
    err = ran.stderr.decode()
    assert ran.returncode == exit_codes.OK, err
    notes = [line for line in err.splitlines() if "method" in line]
    assert notes == [
        "scanner: method icmp for IPv4 (raw ICMP sockets: CAP_NET_RAW), ping for IPv6 "
        "(no ICMPv6 socket: ICMPv6 refused by the test)"
    ]
    records = [json.loads(line) for line in ran.stdout.decode().splitlines()]
    hosts = {r["target"]: r["state"] for r in records if r["record"] == "host"}
    assert hosts == {"127.0.0.1": "alive", "::1": "alive"}
    assert records[-1]["method"] == "icmp"
    assert records[-1]["methods"] == {"ipv4": "icmp", "ipv6": "ping"}
