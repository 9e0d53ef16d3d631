"""Ping output parsers and classification, on recorded and documented output samples.

Every file in ``tests/data/ping/`` starts with ``#! key: value`` lines (flavor, exit status,
where the sample comes from, the command) followed by the output exactly as ping wrote it;
each one must have an expectation below, so a sample cannot be added and forgotten.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.net.model import HostResult, HostState, PingStats
from scanner.net.ping_cmd import PingFlavor
from scanner.net.ping_parse import classify, parse_ping_output
from scanner.quantiles import percentiles

DATA = Path(__file__).parent / "data" / "ping"


@dataclass(frozen=True)
class Sample:
    flavor: PingFlavor
    exit_code: int | None
    text: str


def load(name: str) -> Sample:
    """A sample's metadata and its output body (line ends kept as recorded)."""
    raw = (DATA / name).read_bytes().decode("utf-8")
    meta: dict[str, str] = {}
    body: list[str] = []
    for line in raw.splitlines(keepends=True):
        if line.startswith("#! "):
            key, _, value = line[3:].rstrip("\r\n").partition(": ")
            meta[key] = value
        else:
            body.append(line)
    exit_code = None if meta["exit"] == "killed" else int(meta["exit"])
    assert meta.get("source"), f"{name}: every sample names its source"
    return Sample(PingFlavor(meta["flavor"]), exit_code, "".join(body))


@dataclass(frozen=True)
class Want:
    sent: int
    received: int
    state: HostState
    loss: float
    rtt: tuple[float, float, float, float | None] | None = None
    duplicates: int = 0
    errors: int = 0
    replies: int | None = None  # len(rtts_ms), when it differs from received
    ttl: int | None = None
    summary: bool = True
    cause: str | None = None  # a substring of the cause


ALIVE, DOWN = HostState.ALIVE, HostState.UNREACHABLE
UNRES, ERR = HostState.UNRESOLVED, HostState.ERROR

EXPECTED: dict[str, Want] = {
    # --- recorded on this machine (iputils 20221126, BusyBox 1.35) -------------------
    "iputils_alive_3.txt": Want(3, 3, ALIVE, 0.0, (0.031, 0.038, 0.044, 0.005), ttl=64),
    "iputils_alive_v6.txt": Want(1, 1, ALIVE, 0.0, (0.017, 0.017, 0.017, 0.0), ttl=64),
    "iputils_netns_lo.txt": Want(2, 2, ALIVE, 0.0, (0.021, 0.039, 0.058, 0.018), ttl=64),
    "iputils_partial_loss.txt": Want(3, 2, ALIVE, 33.3333, (0.054, 0.054, 0.055, 0.0), ttl=64),
    "iputils_broadcast_dup.txt": Want(
        2, 2, ALIVE, 0.0, (0.040, 0.065, 0.101, 0.025), duplicates=1, ttl=64
    ),
    "iputils_timeout.txt": Want(1, 0, DOWN, 100.0, cause="timeout"),
    "iputils_host_unreachable_errors.txt": Want(
        4, 0, DOWN, 100.0, errors=4, cause="Destination Host Unreachable"
    ),
    "iputils_network_unreachable.txt": Want(
        0, 0, DOWN, 100.0, summary=False, cause="Network is unreachable"
    ),
    "iputils_unknown_host.txt": Want(
        0, 0, UNRES, 100.0, summary=False, cause="Temporary failure in name resolution"
    ),
    "iputils_killed_no_summary.txt": Want(
        2, 2, ALIVE, 0.0, (0.032, 0.037, 0.041, 0.004), ttl=64, summary=False
    ),
    "busybox_alive_3.txt": Want(3, 3, ALIVE, 0.0, (0.036, 0.053, 0.062, None), ttl=64),
    "busybox_partial_loss.txt": Want(3, 2, ALIVE, 33.3333, (0.079, 0.082, 0.086, None), ttl=64),
    "busybox_broadcast.txt": Want(
        2, 2, ALIVE, 0.0, (0.191, 0.210, 0.230, None), duplicates=1, ttl=64
    ),
    "busybox_timeout.txt": Want(1, 0, DOWN, 100.0, cause="timeout"),
    "busybox_host_unreachable.txt": Want(4, 0, DOWN, 100.0, cause="timeout"),
    "busybox_network_unreachable.txt": Want(
        0, 0, DOWN, 100.0, summary=False, cause="Network is unreachable"
    ),
    "busybox_unknown_host.txt": Want(0, 0, UNRES, 100.0, summary=False, cause="bad address"),
    "inetutils_partial_loss.txt": Want(3, 2, ALIVE, 33.3333, (0.874, 0.893, 0.912, 0.019), ttl=64),
    # --- macOS, FreeBSD, OpenBSD (hand-written from their sources) ----------------------
    "macos_alive_3.txt": Want(3, 3, ALIVE, 0.0, (2.870, 3.448, 4.327, 0.632), ttl=64),
    "macos_partial_loss.txt": Want(3, 2, ALIVE, 33.3333, (11.876, 12.040, 12.204, 0.164), ttl=64),
    "macos_duplicates.txt": Want(
        2, 2, ALIVE, 0.0, (0.498, 0.581, 0.733, 0.108), duplicates=1, ttl=64
    ),
    "macos_timeout.txt": Want(2, 0, DOWN, 100.0, cause="timeout"),
    "macos_host_unreachable.txt": Want(
        2, 0, DOWN, 100.0, errors=2, cause="Destination Host Unreachable"
    ),
    "macos_unknown_host.txt": Want(0, 0, UNRES, 100.0, summary=False, cause="Unknown host"),
    "freebsd_alive_3.txt": Want(3, 3, ALIVE, 0.0, (0.048, 0.054, 0.061, 0.005), ttl=64),
    "freebsd_alive_v6.txt": Want(1, 1, ALIVE, 0.0, (0.071, 0.071, 0.071, 0.0), ttl=64),
    "freebsd_timeout.txt": Want(3, 0, DOWN, 100.0, cause="timeout"),
    "freebsd_no_route.txt": Want(2, 0, DOWN, 100.0, cause="No route to host"),
    "freebsd_unknown_host.txt": Want(
        0, 0, UNRES, 100.0, summary=False, cause="nor servname provided"
    ),
    "openbsd_alive_3.txt": Want(3, 3, ALIVE, 0.0, (0.037, 0.041, 0.045, 0.003), ttl=255),
    # --- Windows (English), CRLF ---------------------------------------------------------
    "windows_alive_4.txt": Want(4, 4, ALIVE, 0.0, (0.0, 1.0, 3.0, None), ttl=64),
    "windows_alive_v6.txt": Want(2, 2, ALIVE, 0.0, (0.0, 0.0, 0.0, None)),
    "windows_partial_loss.txt": Want(3, 2, ALIVE, 33.3333, (87.0, 92.0, 97.0, None), ttl=51),
    "windows_timeout.txt": Want(4, 0, DOWN, 100.0, cause="timeout"),
    # Windows says "Received = 4, Lost = 0 (0% loss)" and exits 0: not alive
    "windows_dest_unreachable.txt": Want(
        4, 0, DOWN, 100.0, errors=4, cause="Destination host unreachable"
    ),
    "windows_ttl_expired.txt": Want(2, 0, DOWN, 100.0, errors=2, cause="TTL expired"),
    "windows_general_failure.txt": Want(2, 0, DOWN, 100.0, cause="General failure"),
    "windows_unknown_host.txt": Want(
        0, 0, UNRES, 100.0, summary=False, cause="could not find host"
    ),
    # --- not understood: never an exception, never "alive" -----------------------------
    "iputils_localised_de.txt": Want(0, 0, ERR, 100.0, summary=False, cause="not understood"),
    "garbage.txt": Want(0, 0, ERR, 100.0, summary=False, cause="not understood"),
}


def test_every_sample_has_an_expectation() -> None:
    on_disk = {p.name for p in DATA.glob("*.txt")}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample(name: str) -> None:
    sample = load(name)
    want = EXPECTED[name]
    stats = parse_ping_output(sample.text, flavor=sample.flavor, exit_code=sample.exit_code)
    assert (stats.sent, stats.received) == (want.sent, want.received)
    assert stats.duplicates == want.duplicates
    assert stats.errors == want.errors
    assert stats.loss_pct == want.loss
    assert stats.summary_seen is want.summary
    assert stats.ttl == want.ttl
    assert len(stats.rtts_ms) == (want.received if want.replies is None else want.replies)
    got_rtt = (stats.rtt_min, stats.rtt_avg, stats.rtt_max, stats.rtt_mdev)
    if want.rtt is None:
        assert got_rtt == (None, None, None, None)
    else:
        assert got_rtt == pytest.approx(want.rtt, abs=1e-9)
        assert stats.rtt_min is not None and stats.rtt_max is not None
        assert all(stats.rtt_min <= r <= stats.rtt_max for r in stats.rtts_ms)
    state, cause = classify(stats, sample.exit_code, sample.flavor)
    assert state is want.state
    if want.state is HostState.ALIVE:
        assert cause is None
    else:
        assert cause is not None and want.cause is not None and want.cause in cause


def test_duplicates_are_left_out_of_the_rtts() -> None:
    # iputils prints no "(DUP!)" for broadcast replies: the repeated icmp_seq tells
    stats = parse_ping_output(
        load("iputils_broadcast_dup.txt").text, flavor=PingFlavor.IPUTILS, exit_code=0
    )
    assert stats.rtts_ms == (0.056, 0.040)


def test_line_ends_do_not_matter() -> None:
    sample = load("windows_partial_loss.txt")
    assert "\r\n" in sample.text
    crlf = parse_ping_output(sample.text, flavor=PingFlavor.WINDOWS, exit_code=0)
    lf = parse_ping_output(
        sample.text.replace("\r\n", "\n"), flavor=PingFlavor.WINDOWS, exit_code=0
    )
    assert crlf == lf


@pytest.mark.parametrize("flavor", list(PingFlavor))
def test_empty_output_is_an_error_not_an_exception(flavor: PingFlavor) -> None:
    stats = parse_ping_output("", flavor=flavor, exit_code=1)
    assert stats == PingStats()
    assert classify(stats, 1, flavor) == (
        HostState.ERROR,
        "ping output not understood (exit status 1)",
    )


def test_killed_without_output_is_unreachable() -> None:
    # the engine killed the child at its deadline (exit_code None): silence, not an error
    stats = parse_ping_output(
        "PING 10.0.0.1 (10.0.0.1) 56(84) bytes of data.\n",
        flavor=PingFlavor.IPUTILS,
        exit_code=None,
    )
    assert classify(stats, None, PingFlavor.IPUTILS) == (
        HostState.UNREACHABLE,
        "no reply before the deadline",
    )


def test_warnings_are_not_causes() -> None:
    text = (
        "ping: Warning: source address might be selected on device other than: eth0\n"
        "PING 10.0.0.9 (10.0.0.9) 56(84) bytes of data.\n"
        "From 10.0.0.254 icmp_seq=1 Destination Host Unreachable\n\n"
        "--- 10.0.0.9 ping statistics ---\n"
        "1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms\n"
    )
    stats = parse_ping_output(text, flavor=PingFlavor.IPUTILS, exit_code=1)
    assert classify(stats, 1, PingFlavor.IPUTILS) == (
        HostState.UNREACHABLE,
        "Destination Host Unreachable",
    )


def test_iputils_loss_fraction_matches_what_ping_printed() -> None:
    # iputils prints "%g": 1 of 7 lost -> "14.2857% packet loss"
    text = "7 packets transmitted, 6 received, 14.2857% packet loss, time 6009ms\n"
    stats = parse_ping_output(text, flavor=PingFlavor.IPUTILS, exit_code=0)
    assert stats.loss_pct == 14.2857
    assert stats.summary_seen


def test_iputils_summary_with_every_extra() -> None:
    text = (
        "5 packets transmitted, 3 received, +2 duplicates, +1 corrupted, +2 errors, "
        "40% packet loss, time 4005ms\n"
        "rtt min/avg/max/mdev = 0.282/0.642/11.699/0.699 ms, pipe 2, ipg/ewma 1.770/0.782 ms\n"
    )
    stats = parse_ping_output(text, flavor=PingFlavor.IPUTILS, exit_code=0)
    assert (stats.sent, stats.received, stats.duplicates, stats.errors) == (5, 3, 2, 2)
    assert stats.loss_pct == 40.0
    assert (stats.rtt_min, stats.rtt_avg, stats.rtt_max, stats.rtt_mdev) == (
        0.282,
        0.642,
        11.699,
        0.699,
    )


def test_iputils_reply_with_names_and_timestamps() -> None:
    text = (
        "[1524930937.003555] 64 bytes from kix05s01-in-f14.1e100.net (172.217.26.110): "
        "icmp_seq=1 ttl=50 time=64.3 ms\n"
        "64 bytes from localhost (::1): icmp_seq=2 ttl=64 time=1000 ms\n"
    )
    stats = parse_ping_output(text, flavor=PingFlavor.IPUTILS, exit_code=None)
    assert stats.rtts_ms == (64.3, 1000.0)
    assert stats.ttl == 50
    assert classify(stats, None, PingFlavor.IPUTILS) == (HostState.ALIVE, None)


@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text: str) -> None:
    for flavor in (PingFlavor.IPUTILS, PingFlavor.WINDOWS):
        stats = parse_ping_output(text, flavor=flavor, exit_code=0)
        state, _cause = classify(stats, 0, flavor)
        assert 0.0 <= stats.loss_pct <= 100.0
        assert state in HostState


@given(
    st.lists(
        st.sampled_from(
            [
                "64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=0.5 ms",
                "64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=0.7 ms (DUP!)",
                "From 10.0.0.254 icmp_seq=2 Destination Host Unreachable",
                "3 packets transmitted, 1 received, +1 errors, 66.6667% packet loss",
                "rtt min/avg/max/mdev = 0.5/0.5/0.5/0.0 ms",
                "ping: sendmsg: Network is unreachable",
                "garbage \x1b[31m line",
                "",
            ]
        ),
        max_size=12,
    )
)
def test_shuffled_unix_lines_never_raise(lines: list[str]) -> None:
    stats = parse_ping_output("\n".join(lines), flavor=PingFlavor.IPUTILS, exit_code=1)
    assert stats.received <= max(stats.sent, len(stats.rtts_ms))
    assert classify(stats, 1, PingFlavor.IPUTILS)[0] in HostState


def test_percentiles() -> None:
    assert percentiles([]) == {}
    assert percentiles([4.0]) == {"p50": 4.0, "p90": 4.0, "p99": 4.0}
    got = percentiles([float(v) for v in range(1, 11)])  # 1..10
    assert got == pytest.approx({"p50": 5.5, "p90": 9.1, "p99": 9.91})
    assert percentiles([3.0, 1.0, math.nan, 2.0])["p50"] == 2.0


@given(st.lists(st.floats(0, 1e5, allow_nan=False), min_size=1, max_size=50))
def test_percentiles_are_ordered_and_bounded(values: list[float]) -> None:
    got = percentiles(values)
    assert min(values) <= got["p50"] <= got["p90"] <= got["p99"] <= max(values)


def test_host_result_record_from_stats() -> None:
    sample = load("iputils_alive_3.txt")
    stats = parse_ping_output(sample.text, flavor=sample.flavor, exit_code=0)
    state, cause = classify(stats, 0, sample.flavor)
    result = HostResult.from_stats(
        "127.0.0.1", "127.0.0.1", stats, state, cause, attempts=1, elapsed_s=0.25
    )
    rec = result.to_record()
    assert rec["record"] == "host" and rec["schema_version"] == 1
    assert rec["state"] == "alive" and rec["cause"] is None
    assert (rec["sent"], rec["received"], rec["loss_pct"]) == (3, 3, 0.0)
    assert (rec["rtt_min_ms"], rec["rtt_avg_ms"], rec["rtt_max_ms"]) == (0.031, 0.038, 0.044)
    assert rec["p50_ms"] == 0.041 and result.percentiles is not None
    one = parse_ping_output(
        load("iputils_alive_v6.txt").text, flavor=PingFlavor.IPUTILS, exit_code=0
    )
    single = HostResult.from_stats("::1", "::1", one, HostState.ALIVE, None)
    assert single.percentiles is None  # percentiles only when more than one reply
    assert single.to_record()["p50_ms"] is None
