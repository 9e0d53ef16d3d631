"""Target parsing and lazy, deduplicated expansion (property tests against brute force)."""

from __future__ import annotations

import io
import ipaddress
import itertools
import tracemalloc
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.errors import UsageProblem
from scanner.net.targets import (
    Target,
    TargetError,
    TargetSpec,
    count_targets,
    expand,
    parse_target_file,
    parse_target_spec,
    read_target_file,
)

P = parse_target_spec


def hosts(specs: Sequence[TargetSpec], excludes: Sequence[TargetSpec] = ()) -> list[str]:
    return [t.host for t in expand(specs, excludes)]


def brute(text: str) -> list[str]:
    """The addresses a spec stands for, computed the slow, obvious way."""
    if "/" in text:
        net = ipaddress.ip_network(text, strict=False)
        if net.version == 4:
            return [str(a) for a in net.hosts()]  # no network/broadcast below /31
        return [str(a) for a in net]
    if "-" in text:
        start_text, end_text = text.split("-")
        start = ipaddress.ip_address(start_text)
        if "." in end_text or ":" in end_text:
            end = ipaddress.ip_address(end_text)
        else:
            end = ipaddress.ip_address(f"{start_text.rsplit('.', 1)[0]}.{end_text}")
        return [str(ipaddress.ip_address(n)) for n in range(int(start), int(end) + 1)]
    return [str(ipaddress.ip_address(text))]


def block(text: str) -> set[str]:
    """Everything an exclude removes: the whole block, network and broadcast included."""
    if "/" in text:
        return {str(a) for a in ipaddress.ip_network(text, strict=False)}
    return set(brute(text))


# --- parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "host", "size"),
    [
        ("10.0.0.1", "ip", "10.0.0.1", 1),
        ("::1", "ip", "::1", 1),
        ("0:0:0:0:0:0:0:1", "ip", "::1", 1),
        ("fe80::1%eth0", "ip", "fe80::1%eth0", 1),
        ("fe80::1%3", "ip", "fe80::1%3", 1),
        ("localhost", "name", "localhost", 1),
        ("my-host.example.org.", "name", "my-host.example.org.", 1),
        ("_srv.example", "name", "_srv.example", 1),
        ("10.0.0.0/24", "cidr", "10.0.0.0", 254),
        ("10.0.0.77/24", "cidr", "10.0.0.0", 254),  # host bits set: the enclosing block
        ("10.0.0.0/31", "cidr", "10.0.0.0", 2),
        ("10.0.0.9/32", "cidr", "10.0.0.9", 1),
        ("0.0.0.0/0", "cidr", "0.0.0.0", 2**32 - 2),
        ("2001:db8::/120", "cidr", "2001:db8::", 256),
        ("fe80::%eth0/126", "cidr", "fe80::", 4),
        ("10.0.0.1-20", "range", "10.0.0.1", 20),
        ("10.0.0.250-10.0.1.4", "range", "10.0.0.250", 11),
        ("10.0.0.5-5", "range", "10.0.0.5", 1),
        ("2001:db8::1-2001:db8::ff", "range", "2001:db8::1", 255),
        ("2001:db8::1-1f", "range", "2001:db8::1", 31),
    ],
)
def test_parse(text: str, kind: str, host: str, size: int) -> None:
    spec = P(text)
    assert (spec.text, spec.kind, spec.host, spec.size) == (text, kind, host, size)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("-c", "cannot start with '-'"),
        ("-", "cannot start with '-'"),
        ("--help", "cannot start with '-'"),
        ("-10.0.0.1", "cannot start with '-'"),
        ("a;b", "character ';'"),
        ("a b", "character space"),
        ("$(reboot)", "character '$'"),
        ("`id`", "character '`'"),
        ("a|b", "character '|'"),
        ("a&b", "character '&'"),
        ("a>b", "character '>'"),
        ("'host'", 'character "\'"'),
        ('"host"', "character '\"'"),
        ("host\n", "character '\\n'"),
        ("a\x00b", "character '\\x00'"),
        ("hôte", "character 'ô'"),
        ("10.0.0.5-1", "reversed"),
        ("10.0.1.0-10.0.0.255", "reversed"),
        ("2001:db8::9-2001:db8::1", "reversed"),
        ("10.0.0.1-256", "not an octet"),
        ("10.0.0.1-::1", "different IP versions"),
        ("10.0.0.1-", "no end"),
        ("10.0.0.0/33", "prefix length"),
        ("10.0.0.0/-1", "prefix length"),
        ("10.0.0.0/", "prefix length"),
        ("10.0.0.0/x", "prefix length"),
        ("::/129", "prefix length"),
        ("10.0.0.0/8/8", "more than one '/'"),
        ("300.1.1.1/8", "not a valid IPv4 or IPv6 address"),
        ("10.0.0.256", "all-numeric"),
        ("1.2.3", "all-numeric"),
        ("2130706433", "all-numeric"),
        ("10.0.0-5", "not a valid IPv4 or IPv6 address"),
        ("host:80", "not a valid IPv4 or IPv6 address"),
        ("1:2:3:4:5:6:7:8:9", "not a valid IPv4 or IPv6 address"),
        ("10.0.0.1%eth0", "only valid on an IPv6"),
        ("fe80::1%", "bad IPv6 zone"),
        ("fe80::1-5%eth0", "zones"),
        ("a..b", "empty label"),
        ("bad-.example", "bad label"),
        ("x" * 64 + ".example", "bad label"),
        (("a" * 60 + ".") * 5, "longer than 253"),
    ],
)
def test_invalid_targets(text: str, why: str) -> None:
    with pytest.raises(TargetError) as info:
        P(text)
    message = str(info.value)
    assert message.startswith("invalid target ")
    assert why in message
    assert "\n" not in message and "\x00" not in message  # one clean line
    assert isinstance(info.value, UsageProblem)  # the CLI maps it to exit code 3


_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:%/")


@given(st.text(max_size=40))
def test_nothing_unsafe_gets_through(text: str) -> None:
    try:
        spec = P(text)
    except TargetError:
        return
    assert not spec.text.startswith("-")
    assert spec.text and set(spec.text) <= _HOST_CHARS
    for target in itertools.islice(expand([spec]), 3):
        assert not target.host.startswith("-")


# --- expansion: properties against brute force ---------------------------------------------

ipv4 = st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n)))


@given(ipv4, st.integers(21, 32))
def test_ipv4_cidr_size_and_uniqueness(addr: str, prefix: int) -> None:
    spec = P(f"{addr}/{prefix}")
    got = hosts([spec])
    expected = 2 ** (32 - prefix) - 2 if prefix < 31 else 2 ** (32 - prefix)
    assert len(got) == expected == len(set(got)) == count_targets([spec]) == spec.size
    assert got == brute(f"{addr}/{prefix}")


@given(st.integers(0, 2**128 - 1), st.integers(119, 128))
def test_ipv6_small_prefixes_keep_every_address(n: int, prefix: int) -> None:
    text = f"{ipaddress.IPv6Address(n)}/{prefix}"
    got = hosts([P(text)])
    assert len(got) == 2 ** (128 - prefix) == len(set(got)) == count_targets([P(text)])
    assert got == brute(text)


# Specs inside 10.0.0.0/22 so that they overlap often.
_octet = st.integers(0, 255)
_third = st.integers(0, 3)
_single = st.builds(lambda c, d: f"10.0.{c}.{d}", _third, _octet)
_cidr = st.builds(lambda c, d, p: f"10.0.{c}.{d}/{p}", _third, _octet, st.integers(22, 32))
_short = st.builds(lambda c, d, e: f"10.0.{c}.{min(d, e)}-{max(d, e)}", _third, _octet, _octet)
_long = st.builds(
    lambda a, b: f"10.0.{min(a, b) >> 8}.{min(a, b) & 255}-10.0.{max(a, b) >> 8}.{max(a, b) & 255}",
    st.integers(0, 1023),
    st.integers(0, 1023),
)
any_spec = st.one_of(_single, _cidr, _short, _long)


@given(st.lists(any_spec, min_size=1, max_size=8))
def test_overlapping_specs_are_deduplicated_in_first_seen_order(texts: list[str]) -> None:
    specs = [P(t) for t in texts]
    got = hosts(specs)
    expected = list(dict.fromkeys(a for t in texts for a in brute(t)))
    assert got == expected
    assert count_targets(specs) == len(expected)


@given(st.lists(any_spec, min_size=1, max_size=5), st.lists(any_spec, max_size=5))
def test_exclusions_hold(texts: list[str], excluded_texts: list[str]) -> None:
    specs = [P(t) for t in texts]
    excludes = [P(t) for t in excluded_texts]
    got = hosts(specs, excludes)
    removed = set().union(*(block(t) for t in excluded_texts)) if excluded_texts else set()
    wanted = [a for a in dict.fromkeys(a for t in texts for a in brute(t)) if a not in removed]
    assert got == wanted  # nothing excluded appears, everything else does, once
    assert count_targets(specs, excludes) == len(wanted)


def test_excluding_a_block_removes_its_network_and_broadcast_from_a_wider_one() -> None:
    got = hosts([P("10.0.0.0/23")], [P("10.0.0.0/24")])
    assert got[0] == "10.0.1.0" and got[-1] == "10.0.1.254" and len(got) == 255


def test_single_addresses_keep_their_text() -> None:
    targets = list(expand([P("0:0:0:0:0:0:0:1"), P("::1"), P("10.0.0.0/30")]))
    assert targets == [
        Target(text="0:0:0:0:0:0:0:1", host="::1", kind="ip"),
        Target(text="10.0.0.1", host="10.0.0.1", kind="ip"),
        Target(text="10.0.0.2", host="10.0.0.2", kind="ip"),
    ]


def test_names_dedupe_and_exclude_by_spelling() -> None:
    specs = [P("Example.org"), P("example.org."), P("db.example"), P("127.0.0.1")]
    targets = list(expand(specs, [P("DB.example"), P("127.0.0.1")]))
    assert targets == [Target(text="Example.org", host="Example.org", kind="name")]
    assert count_targets(specs, [P("DB.example"), P("127.0.0.1")]) == 1


def test_ipv6_zones() -> None:
    specs = [P("fe80::1%eth0"), P("fe80::1%eth1"), P("fe80::1%eth0"), P("fe80::2%eth0")]
    assert hosts(specs) == ["fe80::1%eth0", "fe80::1%eth1", "fe80::2%eth0"]
    # an exclude without a zone applies to every zone
    assert hosts(specs, [P("fe80::1")]) == ["fe80::2%eth0"]
    assert hosts(specs, [P("fe80::1%eth1")]) == ["fe80::1%eth0", "fe80::2%eth0"]


def test_ipv4_and_ipv6_never_mix() -> None:
    # ::a00:1 is the integer of 10.0.0.1: different families, both kept
    assert hosts([P("10.0.0.1"), P("::a00:1")]) == ["10.0.0.1", "::a00:1"]
    assert hosts([P("10.0.0.1")], [P("::a00:1")]) == ["10.0.0.1"]


def test_expansion_is_lazy() -> None:
    tracemalloc.start()
    try:
        first = list(itertools.islice(expand([P("10.0.0.0/8"), P("0.0.0.0/0")]), 10))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [t.host for t in first] == [f"10.0.0.{i}" for i in range(1, 11)]
    assert peak < 256 * 1024  # a /8 of Target objects would be gigabytes


def test_counts_are_arithmetic() -> None:
    assert count_targets([P("0.0.0.0/0")]) == 2**32 - 2  # parses; the sweep's cap stops it
    assert count_targets([P("::/0")]) == 2**128
    assert count_targets([P("10.0.0.0/8")], [P("10.0.0.0/9")]) == 2**23 - 1
    assert count_targets([P("10.0.0.0/8"), P("10.0.0.0/16")]) == 2**24 - 2
    assert count_targets([]) == 0
    assert (
        sum(1 for _ in expand([P("10.9.0.0/16")])) == 2**16 - 2 == count_targets([P("10.9.0.0/16")])
    )


def test_many_single_addresses_merge() -> None:
    specs = [P(f"10.1.{i >> 8}.{i & 255}") for i in range(3000)]
    assert count_targets(specs) == 3000
    assert hosts([*specs, P("10.1.0.0/20")])[3000:] == [
        str(ipaddress.IPv4Address(n))
        for n in range(
            int(ipaddress.IPv4Address("10.1.11.184")), int(ipaddress.IPv4Address("10.1.15.255"))
        )
    ]


# --- target files -------------------------------------------------------------------------


def test_read_target_file() -> None:
    stream = io.StringIO(
        "# hosts to watch\n\n10.0.0.1\n  10.0.0.2   # the router\nlocalhost 10.0.0.0/30\n\t\n#end"
    )
    assert list(read_target_file(stream)) == [
        "10.0.0.1",
        "10.0.0.2",
        "localhost",
        "10.0.0.0/30",
    ]


def test_parse_target_file_names_the_line() -> None:
    stream = io.StringIO("10.0.0.1\n# ok\nfine.example bad;name\n")
    specs = parse_target_file(stream, "hosts.txt")
    assert next(specs).host == "10.0.0.1"
    assert next(specs).host == "fine.example"
    with pytest.raises(TargetError, match=r"^hosts\.txt:3: invalid target 'bad;name'"):
        next(specs)
