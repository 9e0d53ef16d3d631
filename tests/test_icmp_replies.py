"""Reply lines, loop mode and the summing-up of interrupted hosts with ``--method icmp``: the
prober reports each request (in sending order, a lost one when a later answer or the end of
the host shows it) to the fed sweep's tallies and to ``report()`` in the task-per-host path
(loop mode). Fake network for the logic (asyncio and trio); the CLI on real loopback sockets
where raw ICMP sockets may be opened."""

from __future__ import annotations

import json
import signal
from collections.abc import Sequence

import anyio
import pytest

from scanner import exit_codes
from scanner.net.engine import sweep
from scanner.net.icmp.access import SocketKind, detect_access
from scanner.net.model import HostResult, HostState
from scanner.net.replies import LiveHost, Reply
from scanner.net.targets import expand, parse_target_spec
from tests.cli_helpers import run_cli, start_cli
from tests.icmp_fake import error_for
from tests.test_icmp_prober import Script, answer, cfg_for, fake_prober

_RAW = detect_access(4, "raw").kind is SocketKind.RAW
needs_raw = pytest.mark.skipif(not _RAW, reason="raw ICMP sockets need root or CAP_NET_RAW")


def numbered(pattern: dict[str, str]) -> Script:
    """Answers each host's n-th request as ``pattern[host][n]`` says: ``r`` reply, ``-``
    nothing, ``u`` host unreachable (from a router)."""
    seen: dict[str, int] = {}

    def script(dst: str, request: bytes) -> Sequence[tuple[str, bytes]]:
        n = seen.get(dst, 0)
        seen[dst] = n + 1
        what = pattern.get(dst, "r")[n % len(pattern.get(dst, "r"))]
        if what == "r":
            return answer(dst, request)
        if what == "u":
            return [("198.18.0.2", error_for(request, "127.0.0.1", dst, 4, kind=3, code=1))]
        return []

    return script


class Collected:
    """What a sweep handed over."""

    def __init__(self) -> None:
        self.results: list[HostResult] = []
        self.replies: list[Reply] = []
        self.live: dict[int, LiveHost] = {}

    async def on_result(self, result: HostResult) -> None:
        self.results.append(result)

    async def on_reply(self, reply: Reply) -> None:
        self.replies.append(reply)

    def of(self, target: str) -> list[tuple[int, str, str | None]]:
        return [(r.seq, r.outcome, r.cause) for r in self.replies if r.target == target]


@pytest.mark.anyio
async def test_fed_sweep_reports_every_request_in_order() -> None:
    got = Collected()
    pattern = {"127.0.0.2": "r-r", "127.0.0.3": "u", "127.0.0.4": "-"}
    settings: dict[str, object] = {"count": 3, "interval": 0.02, "timeout": 0.15}
    async with fake_prober(numbered(pattern), kind=SocketKind.RAW, **settings) as (prober, _):
        targets = expand([parse_target_spec("127.0.0.1-4")])
        summary = await sweep(
            targets,
            cfg_for(**settings),
            got.on_result,
            probe=prober,
            on_reply=got.on_reply,
            live=got.live,
        )
    assert summary.total == 4 and not got.live  # every tally handed over
    assert got.of("127.0.0.1") == [(0, "reply", None), (1, "reply", None), (2, "reply", None)]
    # the lost one is reported when the next answer shows it, in sequence order
    assert got.of("127.0.0.2") == [(0, "reply", None), (1, "timeout", "timeout"),
                                   (2, "reply", None)]  # fmt: skip
    unreachable = "Destination Host Unreachable"
    assert got.of("127.0.0.3") == [(i, "unreachable", unreachable) for i in range(3)]
    assert got.of("127.0.0.4") == [(i, "timeout", "timeout") for i in range(3)]
    results = {r.target: r for r in got.results}
    for target, result in results.items():
        replies = [r for r in got.replies if r.target == target]
        assert replies[-1].sent == result.sent == 3
        assert replies[-1].received == result.received
        assert sum(r.answered for r in replies) == result.received
    assert results["127.0.0.2"].state is HostState.ALIVE
    assert (results["127.0.0.3"].state, results["127.0.0.3"].cause) == (
        HostState.UNREACHABLE,
        unreachable,
    )
    sizes = {r.size for r in got.replies if r.outcome == "reply"}
    assert sizes == {24}  # ICMP header and our 16-byte payload


@pytest.mark.anyio
async def test_loop_mode_runs_rounds_through_the_icmp_prober() -> None:
    got = Collected()
    settings: dict[str, object] = {"interval": 0.05, "timeout": 0.04}
    cfg = cfg_for(loop=True, deadline=0.32, **settings)
    async with fake_prober(numbered({"127.0.0.2": "r-"}), kind=SocketKind.RAW, **settings) as (
        prober,
        _,
    ):
        targets = expand([parse_target_spec("127.0.0.1-2")])
        await sweep(targets, cfg, got.on_result, probe=prober, on_reply=got.on_reply)
    results = {r.target: r for r in got.results}
    for target in ("127.0.0.1", "127.0.0.2"):
        seqs = [seq for seq, _, _ in got.of(target)]
        assert seqs == list(range(len(seqs))) and len(seqs) >= 3
        assert results[target].sent == len(seqs) == results[target].attempts
    assert results["127.0.0.1"].received == results["127.0.0.1"].sent
    twos = got.of("127.0.0.2")
    assert [outcome for _, outcome, _ in twos] == ["reply", "timeout"] * (len(twos) // 2) + [
        "reply"
    ] * (len(twos) % 2)
    assert results["127.0.0.2"].received == sum(o == "reply" for _, o, _ in twos)


@pytest.mark.anyio
@pytest.mark.parametrize("replies", [True, False])
async def test_interrupted_fed_sweep_leaves_the_hosts_in_flight_in_live(replies: bool) -> None:
    # with reply records the tallies count what was written; without, the prober's
    # attempts are summed up when the sweep stops (nothing is built per request)
    got = Collected()
    settings: dict[str, object] = {"count": 10, "interval": 0.05, "timeout": 0.5}
    on_reply = got.on_reply if replies else None
    async with fake_prober(numbered({"127.0.0.2": "r-"}), kind=SocketKind.RAW, **settings) as (
        prober,
        _,
    ):
        targets = expand([parse_target_spec("127.0.0.1-2")])
        with anyio.move_on_after(0.28):
            await sweep(targets, cfg_for(**settings), got.on_result, probe=prober,
                        on_reply=on_reply, live=got.live)  # fmt: skip
    assert not got.results
    summed = {r.target: r for r in (t.result() for t in got.live.values())}
    assert set(summed) == {"127.0.0.1", "127.0.0.2"}
    for target, result in summed.items():
        assert result.state is HostState.ALIVE and 2 <= result.sent < 10
        if target == "127.0.0.1":
            assert result.received == result.sent
        if replies:
            written = got.of(target)
            assert result.sent == len(written)
            assert result.received == sum(o == "reply" for _, o, _ in written)
    assert 1 <= summed["127.0.0.2"].received < summed["127.0.0.2"].sent


@needs_raw
@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_cli_icmp_count_replies_jsonl(backend: str) -> None:
    ran = run_cli(
        *f"ping --backend {backend} -m icmp -c 3 -i 20ms --replies --jsonl".split(),
        "127.0.0.1",
        "::1",
    )
    assert ran.code == exit_codes.OK, ran.err
    recs = [json.loads(line) for line in ran.out.decode().splitlines()]
    for target in ("127.0.0.1", "::1"):
        replies = [r for r in recs if r["record"] == "reply" and r["target"] == target]
        (host,) = [r for r in recs if r["record"] == "host" and r["target"] == target]
        assert [r["seq"] for r in replies] == [0, 1, 2]
        assert all(r["outcome"] == "reply" and r["bytes"] == 24 for r in replies)
        assert (host["sent"], host["received"]) == (3, 3)
        # a host's replies come before its host record
        assert recs.index(replies[-1]) < recs.index(host)
    assert recs[-1]["method"] == "icmp"


@needs_raw
@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_cli_icmp_loop_until_the_deadline(backend: str) -> None:
    ran = run_cli(
        *f"ping --backend {backend} -m icmp -l -i 50ms --deadline 300ms".split(), "127.0.0.1"
    )
    assert ran.code == exit_codes.OK, ran.err
    lines = ran.text.splitlines()
    replies = [line for line in lines if line.startswith("127.0.0.1 : [")]
    assert 3 <= len(replies) <= 8
    n = len(replies)
    assert lines[-1].startswith(f"127.0.0.1 is alive ({n}/{n} received, 0% loss")


@needs_raw
def test_cli_icmp_ctrl_c_sums_up_the_hosts_in_flight() -> None:
    args = "-m icmp -c 50 -i 50ms --replies --jsonl 127.0.0.1 ::1"
    proc = start_cli("ping", *args.split())
    assert proc.stdout is not None
    head = [proc.stdout.readline() for _ in range(6)]  # three requests of each host
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == exit_codes.INTERRUPTED, err
    recs = [json.loads(line) for line in b"".join(head).splitlines() + rest.splitlines()]
    hosts = {r["target"]: r for r in recs if r["record"] == "host"}
    assert set(hosts) == {"127.0.0.1", "::1"}
    for target, host in hosts.items():
        replies = [r for r in recs if r["record"] == "reply" and r["target"] == target]
        assert 3 <= host["sent"] == len(replies) < 50
        assert host["received"] == host["sent"]
    summary = recs[-1]
    assert (summary["record"], summary["interrupted"], summary["alive"]) == ("summary", True, 2)
    assert summary["method"] == "icmp"
