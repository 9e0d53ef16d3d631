"""The ping argv per flavor, flavor detection, and the argv run for real on loopback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from scanner.net.model import HostState
from scanner.net.ping_cmd import PingFlavor, detect_flavor, ping_argv
from scanner.net.ping_parse import classify, parse_ping_output
from scanner.net.targets import TargetError
from tests.cli_helpers import run_cli

F = PingFlavor


@pytest.mark.parametrize(
    ("flavor", "expected"),
    [
        (F.IPUTILS, ["ping", "-n", "-c", "3", "-W", "0.5", "-i", "0.2", "-w", "5", "127.0.0.1"]),
        (F.BUSYBOX, ["ping", "-c", "3", "-W", "1", "-i", "0.2", "-w", "5", "127.0.0.1"]),
        (F.INETUTILS, ["ping", "-n", "-c", "3", "-W", "1", "-i", "0.2", "-w", "5", "127.0.0.1"]),
        (F.BSD, ["ping", "-n", "-c", "3", "-W", "500", "-i", "0.2", "-t", "5", "127.0.0.1"]),
        (F.MACOS, ["ping", "-n", "-c", "3", "-W", "500", "-i", "0.2", "-t", "5", "127.0.0.1"]),
        (F.NETBSD, ["ping", "-n", "-c", "3", "-i", "0.2", "-w", "5", "127.0.0.1"]),
        (F.OPENBSD, ["ping", "-n", "-c", "3", "-w", "1", "-i", "0.2", "127.0.0.1"]),
        (F.WINDOWS, ["ping", "-n", "3", "-w", "500", "-4", "127.0.0.1"]),
    ],
)
def test_ipv4_argv(flavor: PingFlavor, expected: list[str]) -> None:
    argv = ping_argv(
        "127.0.0.1", flavor=flavor, count=3, timeout_s=0.5, interval_s=0.2, deadline_s=4.2
    )
    assert argv == expected


@pytest.mark.parametrize(
    ("flavor", "expected"),
    [
        (F.IPUTILS, ["ping", "-n", "-c", "1", "-W", "2", "-6", "fe80::1%eth0"]),
        (F.BUSYBOX, ["ping", "-c", "1", "-W", "2", "-6", "fe80::1%eth0"]),
        (F.INETUTILS, ["ping6", "-n", "-c", "1", "-W", "2", "fe80::1%eth0"]),
        (F.BSD, ["ping", "-n", "-c", "1", "-W", "2000", "-6", "fe80::1%eth0"]),
        # macOS ping has no IPv6; its ping6 has neither -W nor -t (the engine's deadline rules)
        (F.MACOS, ["ping6", "-n", "-c", "1", "fe80::1%eth0"]),
        (F.NETBSD, ["ping6", "-n", "-c", "1", "fe80::1%eth0"]),
        (F.OPENBSD, ["ping", "-n", "-c", "1", "-w", "2", "-6", "fe80::1%eth0"]),
        (F.WINDOWS, ["ping", "-n", "1", "-w", "2000", "-6", "fe80::1%eth0"]),
    ],
)
def test_ipv6_argv(flavor: PingFlavor, expected: list[str]) -> None:
    assert ping_argv("fe80::1%eth0", flavor=flavor, timeout_s=2.0) == expected


def test_defaults_and_units() -> None:
    # one ping, 1 s per reply: no -i, no deadline
    assert ping_argv("127.0.0.1", flavor=F.IPUTILS) == [
        "ping",
        "-n",
        "-c",
        "1",
        "-W",
        "1",
        "127.0.0.1",
    ]
    # BSD/macOS -W is milliseconds: 1.5 s -> 1500, never "1.5" (read as 1 ms by strtol)
    assert ping_argv("::1", flavor=F.BSD, timeout_s=1.5)[5] == "1500"
    # integer-only options are rounded up: a 0.2 s timeout is 1 s, never 0 (= wait forever)
    assert ping_argv("127.0.0.1", flavor=F.BUSYBOX, timeout_s=0.2)[4] == "1"
    assert ping_argv("127.0.0.1", flavor=F.IPUTILS, deadline_s=0.1)[-2:] == ["1", "127.0.0.1"]
    # NetBSD has no reply timeout: the run is bounded by -w (requests + one wait)
    argv = ping_argv("127.0.0.1", flavor=F.NETBSD, count=3, timeout_s=2.0, interval_s=0.5)
    assert argv == ["ping", "-n", "-c", "3", "-i", "0.5", "-w", "3", "127.0.0.1"]


def test_ipv6_flag_for_names_and_ping_paths() -> None:
    assert ping_argv("localhost", flavor=F.IPUTILS, ipv6=True)[-2:] == ["-6", "localhost"]
    # an address literal picks its own family, whatever ``ipv6`` says
    assert "-6" not in ping_argv("127.0.0.1", flavor=F.IPUTILS, ipv6=True)
    assert ping_argv("127.0.0.1", flavor=F.WINDOWS, ipv6=True)[-2:] == ["-4", "127.0.0.1"]
    assert ping_argv("::1", flavor=F.WINDOWS)[-2:] == ["-6", "::1"]
    assert ping_argv("::1", flavor=F.MACOS, ping_path="/sbin/ping")[0] == "/sbin/ping6"
    # a custom binary (a fake ping) is never renamed
    assert ping_argv("::1", flavor=F.MACOS, ping_path="/tmp/fakeping")[0] == "/tmp/fakeping"
    assert ping_argv("::1", flavor=F.WINDOWS, ping_path=r"C:\Windows\System32\PING.EXE")[0] == (
        r"C:\Windows\System32\PING.EXE"
    )


@pytest.mark.parametrize(
    "address",
    ["-c", "-f", "--help", "/t", "-1.2.3.4", "10.0.0.0/24", "10.0.0.1-5", "a;b", "", "a b"],
)
def test_bad_addresses_are_refused(address: str) -> None:
    for flavor in PingFlavor:
        with pytest.raises(TargetError):
            ping_argv(address, flavor=flavor)


@pytest.mark.parametrize(
    "kwargs",
    [{"count": 0}, {"timeout_s": 0.0}, {"timeout_s": -1.0}, {"interval_s": 0.0}],
)
def test_bad_numbers_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ping_argv("127.0.0.1", flavor=F.IPUTILS, **kwargs)  # type: ignore[arg-type]


def test_the_address_is_always_last() -> None:
    for flavor in PingFlavor:
        for address in ("127.0.0.1", "::1", "host.example"):
            argv = ping_argv(address, flavor=flavor, count=2, deadline_s=3, interval_s=0.5)
            assert argv[-1] == address
            assert all(not a.startswith("-") or a in _FLAGS for a in argv[1:-1])


_FLAGS = {"-n", "-c", "-W", "-w", "-i", "-t", "-4", "-6"}


@pytest.mark.parametrize(
    ("system", "flavor"),
    [
        ("Darwin", F.MACOS),
        ("FreeBSD", F.BSD),
        ("DragonFly", F.BSD),
        ("NetBSD", F.NETBSD),
        ("OpenBSD", F.OPENBSD),
        ("Windows", F.WINDOWS),
        ("CYGWIN_NT-10.0", F.WINDOWS),
        ("SunOS", F.IPUTILS),
    ],
)
def test_detect_flavor_by_system(system: str, flavor: PingFlavor) -> None:
    assert detect_flavor(system) is flavor


def _script(path: Path, output: str) -> Path:
    path.write_text(f"#!/bin/sh\necho '{output}'\n")
    path.chmod(0o755)
    return path


def test_detect_flavor_on_linux_asks_the_binary(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    iputils = _script(tmp_path / "a" / "ping", "ping from iputils 20240117")
    inetutils = _script(tmp_path / "b" / "ping", "ping (GNU inetutils) 2.5")
    assert detect_flavor("Linux", str(iputils)) is F.IPUTILS
    assert detect_flavor("Linux", str(inetutils)) is F.INETUTILS
    assert detect_flavor("Linux", str(tmp_path / "missing")) is F.IPUTILS


@pytest.fixture
def busybox_ping(tmp_path: Path) -> Path:
    """A ``ping`` symlink to busybox (how busybox systems install it); skips without it."""
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox is not installed")
    link = tmp_path / "ping"
    link.symlink_to(busybox)
    return link


def test_detect_flavor_finds_busybox_behind_a_symlink(busybox_ping: Path) -> None:
    assert detect_flavor("Linux", str(busybox_ping)) is F.BUSYBOX


def test_this_machine() -> None:
    flavor = detect_flavor()
    assert flavor is detect_flavor()  # cached, stable
    ping = shutil.which("ping")
    if ping is None:
        pytest.skip("no ping on this machine")
    version, _code = _run([ping, "-V"])
    if "iputils" in version:
        assert flavor is F.IPUTILS


# --- the argv run for real (loopback only) ----------------------------------------------


def _run(argv: list[str]) -> tuple[str, int]:
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
        env={**os.environ, "LC_ALL": "C"},
    )
    return done.stdout + done.stderr, done.returncode


def _assert_alive(argv: list[str], flavor: PingFlavor, count: int) -> None:
    text, code = _run(argv)
    stats = parse_ping_output(text, flavor=flavor, exit_code=code)
    assert classify(stats, code, flavor) == (HostState.ALIVE, None), text
    assert (stats.sent, stats.received, stats.loss_pct) == (count, count, 0.0)
    assert len(stats.rtts_ms) == count and stats.summary_seen


def _needs_iputils() -> None:
    ping = shutil.which("ping")
    if ping is None or detect_flavor(ping_path=ping) is not F.IPUTILS:
        pytest.skip("iputils ping is not installed")


def test_real_iputils_on_loopback() -> None:
    _needs_iputils()
    argv = ping_argv("127.0.0.1", flavor=F.IPUTILS, count=2, interval_s=0.2, deadline_s=5)
    _assert_alive(argv, F.IPUTILS, 2)


def test_real_iputils_on_ipv6_loopback() -> None:
    _needs_iputils()
    if not Path("/proc/net/if_inet6").exists() or not Path("/proc/net/if_inet6").read_text():
        pytest.skip("IPv6 is disabled on this machine")
    _assert_alive(ping_argv("::1", flavor=F.IPUTILS), F.IPUTILS, 1)


def test_real_busybox_on_loopback(busybox_ping: Path) -> None:
    argv = ping_argv(
        "127.0.0.1", flavor=F.BUSYBOX, count=2, interval_s=0.2, ping_path=str(busybox_ping)
    )
    _assert_alive(argv, F.BUSYBOX, 2)


def test_scanner_info_shows_the_ping_command_line() -> None:
    ran = run_cli("info", "--json")
    assert ran.code == 0, ran.err
    info = json.loads(ran.text)["info"]
    assert info["ping_argv"] == ping_argv("127.0.0.1")
    assert info["ping_argv"][-1] == "127.0.0.1"
