"""The ICMP prober against a fake network (tests/icmp_fake.py): matching, duplicates, foreign
traffic, ICMP errors, datagram sockets' identifier rewrite and error queue, send errors,
retries, the deadline, the packet budget. Every test runs on asyncio and trio."""

from __future__ import annotations

import errno
import socket
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import anyio
import pytest

from scanner.net.config import ProbeMethod, SweepConfig
from scanner.net.engine import sweep
from scanner.net.feed import _FEED_BATCH
from scanner.net.icmp.access import SocketKind
from scanner.net.icmp.attempt import Attempt
from scanner.net.icmp.family import _COMPACT_AT, BACKLOG, Family
from scanner.net.icmp.pacer import Pacer
from scanner.net.icmp.prober import IcmpProber, open_icmp_prober
from scanner.net.model import HostResult, HostState
from scanner.net.targets import expand, parse_target_spec
from tests.icmp_fake import FakeNetwork, echo_reply_for, error_for, ipv4_header

pytestmark = pytest.mark.anyio

#: What the fake network does with one request: the messages to send back, as
#: (source, ICMP message) pairs.
Script = Callable[[str, bytes], Sequence[tuple[str, bytes]]]


def answer(dst: str, request: bytes) -> Sequence[tuple[str, bytes]]:
    return [(dst, echo_reply_for(request, 6 if ":" in dst else 4))]


def cfg_for(**kwargs: object) -> SweepConfig:
    # a long timeout: hosts that answer never wait for it, and a starved machine cannot turn
    # a slow fake network into a lost reply; tests of silence give a short one
    base: dict[str, object] = {"method": ProbeMethod.ICMP, "timeout": 5.0, "interval": 0.01}
    base.update(kwargs)
    return SweepConfig(**base)  # type: ignore[arg-type]


@asynccontextmanager
async def _closing(net: FakeNetwork) -> AsyncIterator[None]:
    try:
        yield
    finally:
        net.close()


@asynccontextmanager
async def fake_prober(
    script: Script, *, kind: SocketKind = SocketKind.RAW, **cfg: object
) -> AsyncIterator[tuple[IcmpProber, FakeNetwork]]:
    """The prober on a fake network that answers each request as ``script`` says."""
    net = FakeNetwork()
    async with (
        _closing(net),
        open_icmp_prober(cfg_for(**cfg), kind=kind, rate=10_000, opener=net.opener) as prober,
        anyio.create_task_group() as tg,
    ):

        async def serve(version: int) -> None:
            while True:
                await anyio.wait_readable(net.ends[version])
                for dst, request in net.requests(version):
                    for source, message in script(dst, request):
                        net.deliver(version, source, message)

        for version in net.ends:
            tg.start_soon(serve, version)
        yield prober, net
        tg.cancel_scope.cancel()


async def test_replies_are_matched_to_their_requests() -> None:
    async with fake_prober(answer, count=3) as (prober, _):
        result = await prober.probe("127.0.0.9", "127.0.0.9")
    assert result.state is HostState.ALIVE and result.cause is None
    assert (result.sent, result.received, result.loss_pct) == (3, 3, 0.0)
    assert result.rtt_min is not None and result.rtt_max is not None
    assert result.rtt_min <= result.rtt_max
    assert result.percentiles is not None and set(result.percentiles) == {"p50", "p90", "p99"}


async def test_ipv6_host_on_the_v6_socket() -> None:
    async with fake_prober(answer) as (prober, _):
        result = await prober.probe("::1", "::1")
    assert result.state is HostState.ALIVE and result.received == 1


async def test_a_duplicate_reply_is_never_a_second_reply() -> None:
    def twice(dst: str, request: bytes) -> Sequence[tuple[str, bytes]]:
        return [*answer(dst, request), *answer(dst, request)]

    async with fake_prober(twice, count=2) as (prober, _):
        result = await prober.probe("127.0.0.9", "127.0.0.9")
    assert (result.sent, result.received, result.loss_pct) == (2, 2, 0.0)


async def test_other_processes_traffic_is_ignored() -> None:
    def foreign(dst: str, request: bytes) -> Sequence[tuple[str, bytes]]:
        reply = echo_reply_for(request, 4)
        other_id = echo_reply_for(request[:4] + bytes([request[4] ^ 1]) + request[5:], 4)
        other_cookie = echo_reply_for(request[:8] + b"someoneX" + request[16:], 4)
        other_seq = echo_reply_for(request[:6] + bytes([request[6] ^ 1]) + request[7:], 4)
        damaged = reply[:-1] + bytes([reply[-1] ^ 0xFF])
        # and the right reply from another address than the one asked
        return [
            (dst, other_id),
            (dst, other_cookie),
            (dst, other_seq),
            (dst, damaged),
            ("127.0.0.99", reply),
        ]

    async with fake_prober(foreign, timeout=0.3) as (prober, _):
        result = await prober.probe("127.0.0.9", "127.0.0.9")
    assert result.state is HostState.UNREACHABLE
    assert (result.cause, result.sent, result.received) == ("timeout", 1, 0)


@pytest.mark.parametrize(
    ("address", "kind", "code", "cause"),
    [
        ("198.18.1.5", 3, 1, "Destination Host Unreachable"),
        ("198.18.1.5", 11, 0, "Time to live exceeded"),
        ("2001:db8::5", 1, 3, "Destination unreachable: Address unreachable"),
    ],
)
async def test_icmp_errors_quoting_our_probe_are_results_with_their_cause(
    address: str, kind: int, code: int, cause: str
) -> None:
    version = 6 if ":" in address else 4
    router = "2001:db8::1" if version == 6 else "198.18.0.2"

    def refuse(dst: str, request: bytes) -> Sequence[tuple[str, bytes]]:
        here = "::1" if version == 6 else "127.0.0.1"
        return [(router, error_for(request, here, dst, version, kind=kind, code=code))]

    async with fake_prober(refuse, timeout=30.0) as (prober, _):
        result = await prober.probe(address, address)  # does not wait out the 30 s timeout
    assert result.state is HostState.UNREACHABLE
    assert (result.cause, result.sent, result.received) == (cause, 1, 0)


async def test_datagram_socket_matches_the_identifier_the_kernel_wrote() -> None:
    async with fake_prober(answer, kind=SocketKind.DGRAM, count=2) as (prober, _):
        result = await prober.probe("127.0.0.9", "127.0.0.9")
    assert (result.state, result.received) == (HostState.ALIVE, 2)


@pytest.mark.parametrize(
    ("address", "origin", "kind", "code", "cause"),
    [
        ("198.18.1.5", 2, 3, 10, "Destination Host Prohibited"),  # origin ICMP
        ("2001:db8::5", 3, 1, 3, "Destination unreachable: Address unreachable"),  # ICMP6
    ],
)
async def test_datagram_socket_reads_errors_from_the_error_queue(
    address: str, origin: int, kind: int, code: int, cause: str
) -> None:
    holder: list[FakeNetwork] = []
    version = 6 if ":" in address else 4

    def queue(dst: str, request: bytes) -> Sequence[tuple[str, bytes]]:
        holder[0].queue_error(version, request, dst, origin=origin, kind=kind, code=code)
        return []

    async with fake_prober(queue, kind=SocketKind.DGRAM, timeout=30.0) as (prober, net):
        holder.append(net)
        result = await prober.probe(address, address)
    assert (result.state, result.cause) == (HostState.UNREACHABLE, cause)


@pytest.mark.parametrize(
    ("err", "state", "cause"),
    [
        (errno.ENETUNREACH, HostState.UNREACHABLE, "Network is unreachable"),
        (errno.EACCES, HostState.ERROR, "Permission denied"),
    ],
)
async def test_a_failed_send_is_the_hosts_result(err: int, state: HostState, cause: str) -> None:
    async with fake_prober(answer, count=3) as (prober, net):
        net.sockets[4].send_errors["127.0.0.7"] = OSError(err, cause)
        result = await prober.probe("127.0.0.7", "127.0.0.7")
        other = await prober.probe("127.0.0.8", "127.0.0.8")
    assert (result.state, result.cause, result.sent) == (state, cause, 0)
    assert other.state is HostState.ALIVE


async def test_the_deadline_cuts_a_host_short() -> None:
    silent: Script = lambda dst, request: []  # noqa: E731
    async with fake_prober(silent, count=5, interval=5.0, deadline=0.2) as (prober, _):
        result = await prober.probe("127.0.0.9", "127.0.0.9")
    assert result.state is HostState.UNREACHABLE
    assert result.sent == 1
    assert result.cause == "no answer within the 0.2 s deadline"


async def test_a_missing_family_makes_its_hosts_errors() -> None:
    net = FakeNetwork()

    def only_v4(version: int, kind: SocketKind) -> socket.socket:
        if version == 6:
            raise OSError(errno.EAFNOSUPPORT, "Address family not supported by protocol")
        return net.opener(version, kind)

    async with (
        _closing(net),
        open_icmp_prober(cfg_for(), kind=SocketKind.RAW, rate=100, opener=only_v4) as p,
    ):
        result = await p.probe("::1", "::1")
    assert result.state is HostState.ERROR
    assert result.cause == (
        "cannot open an ICMPv6 socket: Address family not supported by protocol"
    )


async def test_sweep_retries_a_silent_host_through_the_engine() -> None:
    seen: dict[str, int] = {}

    def second_time(dst: str, request: bytes) -> Sequence[tuple[str, bytes]]:
        seen[dst] = seen.get(dst, 0) + 1
        return answer(dst, request) if seen[dst] >= 2 or dst.endswith(".1") else []

    results: list[HostResult] = []

    async def on_result(result: HostResult) -> None:
        results.append(result)

    cfg = cfg_for(retries=2, backoff=0.01, timeout=1.0)
    async with fake_prober(second_time, retries=2, backoff=0.01, timeout=1.0) as (prober, _):
        targets = expand([parse_target_spec("127.0.0.1-3")])
        summary = await sweep(targets, cfg, on_result, probe=prober)
    got = {r.target: r for r in results}
    assert summary.alive == 3
    assert {t: r.attempts for t, r in got.items()} == {
        "127.0.0.1": 1,
        "127.0.0.2": 2,
        "127.0.0.3": 2,
    }
    assert all(r.elapsed_s > 0 for r in results)


async def test_sweep_keeps_family_filter_and_error_shapes() -> None:
    results: list[HostResult] = []

    async def on_result(result: HostResult) -> None:
        results.append(result)

    cfg = cfg_for(family=4)
    async with fake_prober(answer, family=4) as (prober, _):
        specs = [parse_target_spec(s) for s in ("127.0.0.1", "::1")]
        await sweep(expand(specs), cfg, on_result, probe=prober)
    got = {r.target: r for r in results}
    assert got["127.0.0.1"].state is HostState.ALIVE
    assert got["::1"].state is HostState.ERROR
    assert got["::1"].cause == "not an IPv4 address (-4 given)"
    assert set(got["::1"].to_record()) == set(got["127.0.0.1"].to_record())


def test_pacer_spends_the_rate_and_says_how_long_to_wait() -> None:
    pacer = Pacer(1000.0, 0.0)
    assert pacer.available(0.0) == 1  # one token to start with
    pacer.spend(1)
    assert pacer.available(0.0) == 0
    assert pacer.wait() == pytest.approx(0.001)
    assert pacer.available(0.005) == 5
    assert pacer.available(10.0) == 10  # saved up to 10 ms worth, no more


async def test_a_sweep_larger_than_the_admission_backlog_gets_every_host_once() -> None:
    # 4,094 hosts: the feeder waits whenever 1,024 are admitted and unsent, and the fake
    # network's socket fills up now and then (the sender waits for it to drain)
    results: list[HostResult] = []

    async def on_result(result: HostResult) -> None:
        results.append(result)

    # every host answers: a long timeout costs nothing, and a starved test machine cannot
    # turn a slow fake network into a lost host
    cfg = cfg_for(concurrency=8192, timeout=30.0)
    longest = 0
    async with fake_prober(answer, concurrency=8192, timeout=30.0) as (prober, _):
        family = prober.families[4]
        admit = family.admit

        def admit_and_measure(host: Attempt) -> None:
            nonlocal longest
            admit(host)
            longest = max(longest, len(family.incoming))

        family.admit = admit_and_measure  # type: ignore[method-assign]
        summary = await sweep(expand([parse_target_spec("127.0.0.0/20")]), cfg, on_result,
                              probe=prober)  # fmt: skip
    assert summary.alive == summary.total == 4094
    assert len({r.target for r in results}) == 4094
    # the feeder asks whether the queue is crowded once a batch of targets
    assert longest < BACKLOG + _FEED_BATCH


async def test_names_resolve_through_the_fed_sweep() -> None:
    async def lookup(host: str, family: int) -> list[str]:
        if host == "here.test":
            return ["127.0.0.5"]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    results: list[HostResult] = []

    async def on_result(result: HostResult) -> None:
        results.append(result)

    cfg = cfg_for()
    async with fake_prober(answer) as (prober, _):
        specs = [parse_target_spec(s) for s in ("here.test", "nowhere.test")]
        summary = await sweep(expand(specs), cfg, on_result, probe=prober, lookup=lookup)
    got = {r.target: r for r in results}
    assert (summary.alive, summary.unresolved) == (1, 1)
    assert got["here.test"].address == "127.0.0.5" and got["here.test"].state is HostState.ALIVE
    assert got["nowhere.test"].state is HostState.UNRESOLVED
    assert got["nowhere.test"].cause == "Name or service not known"
    assert got["nowhere.test"].attempts == 0


async def test_answered_hosts_behind_a_silent_one_are_not_held_until_it_expires() -> None:
    # Hosts wait for their timeout in sending order; those that answered leave the queue
    # from its front. A silent host at the front holds the rest behind it for its timeout
    # (a second: ~10,000 answered hosts at this rate): they are swept out of the queue
    # once they are most of it, so memory follows the hosts in flight, not the rate.
    def all_but_the_first(dst: str, request: bytes) -> Sequence[tuple[str, bytes]]:
        return [] if dst == "127.0.0.1" else answer(dst, request)

    results: list[HostResult] = []
    longest = 0

    async def on_result(result: HostResult) -> None:
        results.append(result)

    cfg = cfg_for(concurrency=16_384, timeout=1.0)
    async with fake_prober(all_but_the_first, concurrency=16_384, timeout=1.0) as (prober, _):
        family = prober.families[4]

        async def watch() -> None:
            nonlocal longest
            while True:
                longest = max(longest, len(family.expiring))
                await anyio.sleep(0.005)

        async with anyio.create_task_group() as tg:
            tg.start_soon(watch)
            await sweep(expand([parse_target_spec("127.0.0.0/18")]), cfg, on_result,
                        probe=prober)  # fmt: skip
            tg.cancel_scope.cancel()
    states = {r.target: (r.state, r.cause) for r in results}
    assert len(states) == 16_382
    assert states.pop("127.0.0.1") == (HostState.UNREACHABLE, "timeout")
    assert set(states.values()) == {(HostState.ALIVE, None)}
    assert longest <= 2 * _COMPACT_AT, longest
    assert all(host.finished for host in family.expiring)


async def test_a_raw_reply_damaged_anywhere_in_its_icmp_message_is_dropped() -> None:
    # A raw IPv4 socket's reply to our request is checked from its unpacked fields (no
    # checksum pass over the bytes): every single-bit flip of its ICMP message is caught
    # there or by the identifier, sequence and cookie checks; the intact reply counts once.
    net = FakeNetwork()
    results: list[HostResult] = []
    try:
        sock = net.opener(4, SocketKind.RAW)
        family = Family(4, sock, SocketKind.RAW, cfg_for(), Pacer(1000.0, 0.0))
        host = Attempt("127.0.0.9", "127.0.0.9", socket.inet_aton("127.0.0.9"), 1,
                       lambda _, result: results.append(result))  # fmt: skip
        family.admit(host)
        assert family._send(host, 0.0)
        [(_, request)] = net.requests()
        reply = ipv4_header("127.0.0.9", "127.0.0.1") + echo_reply_for(request, 4)
        now_ns = time.time_ns()
        for at in range(20, len(reply)):
            for bit in range(8):
                damaged = bytearray(reply)
                damaged[at] ^= 1 << bit
                family._received(bytes(damaged), "127.0.0.9", now_ns)
        assert not host.rtts and not results
        family._received(reply, "127.0.0.9", now_ns)
        family._received(reply, "127.0.0.9", now_ns)
        assert [r.state for r in results] == [HostState.ALIVE]
    finally:
        net.close()
        family.sock.close()
