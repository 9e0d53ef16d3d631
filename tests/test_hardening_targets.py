"""Hardening: hostile and nonsensical ping targets through the real CLI.

Every target is validated before any argv is built: an invalid one stops the run with exit 3
and a one-line message, and no ping is ever started (a fake ping logs every start). Sweeps
here reach only 127.0.0.0/8 or run inside ``unshare -n`` (nothing can leave).
The target grammar itself is unit-tested in tests/test_net_targets.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from scanner import exit_codes
from scanner.labs.fakeping import write_fake_ping
from scanner.net.model import HostState
from scanner.net.ping_cmd import PingFlavor
from scanner.net.ping_parse import classify, parse_ping_output
from tests.cli_helpers import run_cli

INVALID = [
    ("127.0.0.0/33", "prefix length"),
    ("127.0.0.300", "not a valid IPv4 address"),
    ("127.0.0.9-1", "reversed"),
    ("127.0.0.2-127.0.0.1", "reversed"),
    ("127.0.0.1-", "no end"),
    ("127.0.0.1-256", "not an octet"),
    ("::1/129", "prefix length"),
    ("127.0.0.1;id", "';' is not allowed"),
    ("$(id)", "'$' is not allowed"),
    ("`id`", "'`' is not allowed"),
    ("a|b", "'|' is not allowed"),
    ("a&b", "'&' is not allowed"),
    ("a>b", "'>' is not allowed"),
    ("a b", "space is not allowed"),
    ("a\nb", "not allowed"),
    ("-c", "cannot start with '-'"),
    ("-oProxyCommand=x", "cannot start with '-'"),
    ("", "empty"),
    ("host..invalid", "empty label"),
    ("a" * 64 + ".invalid", ""),
]


@pytest.fixture
def fake(tmp_path: Path) -> tuple[Path, Path]:
    """A fake ping that logs every start to ``starts``."""
    starts = tmp_path / "starts"
    return write_fake_ping(tmp_path, pid_log=starts), starts


@pytest.mark.parametrize(("target", "message"), INVALID, ids=[repr(t) for t, _ in INVALID])
def test_invalid_target_stops_the_run_before_any_ping(
    fake: tuple[Path, Path], target: str, message: str
) -> None:
    ping, starts = fake
    # valid targets around the bad one: nothing may run before the whole list is checked
    ran = run_cli("ping", "--ping", str(ping), "127.0.0.1", "--", target, "127.0.0.2")
    assert ran.code == exit_codes.USAGE, ran.err
    assert ran.out == b"" and "Traceback" not in ran.err
    assert message in ran.err
    assert len(ran.err.strip().splitlines()) == 1  # one line
    assert not starts.exists()


def test_invalid_line_in_a_target_file_is_refused(fake: tuple[Path, Path], tmp_path: Path) -> None:
    ping, starts = fake
    hosts = tmp_path / "hosts.txt"
    hosts.write_text("# comment\n127.0.0.1\n\n127.0.0.1 ; reboot\n")
    ran = run_cli("ping", "--ping", str(ping), "-f", str(hosts))
    assert ran.code == exit_codes.USAGE and "Traceback" not in ran.err
    assert "not allowed" in ran.err
    assert not starts.exists()


@pytest.mark.parametrize("content", ["", "# only comments\n\n   \n"])
def test_an_empty_target_file_is_a_usage_error(tmp_path: Path, content: str) -> None:
    hosts = tmp_path / "hosts.txt"
    hosts.write_text(content)
    ran = run_cli("ping", "-f", str(hosts))
    assert ran.code == exit_codes.USAGE
    assert "no targets" in ran.err


@pytest.mark.parametrize("target", ["0.0.0.0/0", "::/0", "127.0.0.0/8"])
def test_huge_sweeps_need_yes(fake: tuple[Path, Path], target: str) -> None:
    ping, starts = fake
    ran = run_cli("ping", "--ping", str(ping), target)  # counted lazily: instant
    assert ran.code == exit_codes.USAGE
    assert "add --yes" in ran.err and "--max-hosts 65,536" in ran.err
    assert not starts.exists()


def test_max_hosts_applies_after_deduplication_and_excludes(fake: tuple[Path, Path]) -> None:
    ping, _ = fake
    args = ["ping", "--ping", str(ping), "--max-hosts", "4", "-q", "--jsonl"]
    ran = run_cli(*args, "127.0.0.1-8", "-E", "127.0.0.5-8")
    assert ran.code == exit_codes.OK, ran.err
    assert run_cli(*args, "127.0.0.1-5").code == exit_codes.USAGE


def test_duplicate_targets_are_pinged_once(fake: tuple[Path, Path]) -> None:
    ping, starts = fake
    ran = run_cli(
        "ping", "--ping", str(ping), "--jsonl", "-q",
        "127.0.0.1", "127.0.0.1", "127.0.0.1/32", "127.0.0.0-127.0.0.1", "127.0.0.1-1",
    )  # fmt: skip
    assert ran.code == exit_codes.OK, ran.err
    hosts = [json.loads(line) for line in ran.out.splitlines()][:-1]
    assert sorted(h["address"] for h in hosts) == ["127.0.0.0", "127.0.0.1"]
    assert len(starts.read_text().split()) == 2


def test_ping_diagnostics_are_understood_when_ping_runs_by_path() -> None:
    # iputils prefixes errors with argv[0]; the sweep runs ping by its full path
    text = "/usr/bin/ping: fe80::1%nosuch0: Name or service not known\n"
    stats = parse_ping_output(text, flavor=PingFlavor.IPUTILS, exit_code=2)
    state, cause = classify(stats, 2, PingFlavor.IPUTILS)
    assert (state, cause) == (HostState.UNRESOLVED, "fe80::1%nosuch0: Name or service not known")


@pytest.mark.skipif(shutil.which("ping") is None, reason="needs the system ping")
def test_an_ipv6_scope_that_does_not_exist_is_a_result_with_its_cause() -> None:
    ran = run_cli("ping", "--jsonl", "-q", "fe80::1%nosuch0", "::1")
    assert ran.code in (exit_codes.PARTIAL, exit_codes.UNRESOLVED), ran.err
    hosts = {h["target"]: h for h in map(json.loads, ran.out.splitlines()) if "target" in h}
    bad = hosts["fe80::1%nosuch0"]
    assert bad["state"] in ("unresolved", "error")
    assert "not understood" not in bad["cause"]  # ping's own message, not a shrug
    assert set(hosts) == {"fe80::1%nosuch0", "::1"}  # the good target is still reported


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], check=False).returncode == 0


@pytest.mark.skipif(not _unshare_works(), reason="needs unshare -n (root)")
def test_thousands_of_unresolvable_names_each_get_a_result(tmp_path: Path) -> None:
    # RFC 2606: .invalid never resolves. Inside an empty network namespace the resolver fails
    # at once (no route to any DNS server), so this is bounded and nothing leaves the machine.
    names = [f"h{i}.invalid" for i in range(5_000)]
    hosts = tmp_path / "names.txt"
    hosts.write_text("\n".join(names) + "\n")
    ran = run_cli("ping", "-q", "--jsonl", "-f", str(hosts), prefix=("unshare", "-n"))
    assert ran.code == exit_codes.UNRESOLVED, ran.err
    recs = [json.loads(line) for line in ran.out.splitlines()]
    assert recs[-1]["record"] == "summary" and recs[-1]["unresolved"] == len(names)
    results = {r["target"]: r for r in recs[:-1]}
    assert set(results) == set(names)  # none dropped, none twice
    assert all(r["state"] == "unresolved" and r["cause"] for r in results.values())
