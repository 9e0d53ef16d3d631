"""ICMP/ICMPv6 packets: checksums, echo requests, and what is read back (crafted bytes)."""

from __future__ import annotations

import random
import socket

import pytest

from scanner.net.icmp.packet import (
    checksum,
    echo_builder,
    echo_request,
    error_cause,
    parse_icmp,
    quoted_request,
)
from tests.icmp_fake import echo_reply_for, error_for, ipv4_header, ipv6_header, with_checksum

COOKIE = b"cookie01"
HERE = socket.inet_aton("127.0.0.1")
ROUTER = socket.inet_aton("198.51.100.1")


def test_checksum_of_the_rfc_1071_example() -> None:
    assert checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D
    assert checksum(b"\x01") == ~0x0100 & 0xFFFF  # odd length: padded with a zero byte


def _word_sum_checksum(data: bytes) -> int:
    """RFC 1071 word by word, with end-around carries: what the fast checksum must equal."""
    if len(data) % 2:
        data += b"\0"
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def test_checksum_equals_the_word_by_word_sum_on_every_kind_of_input() -> None:
    # the sum is computed as the bytes' value modulo 0xFFFF: the edge cases are all-zero
    # data, sums that are multiples of 0xFFFF (negative zero) and odd lengths
    rng = random.Random(14)
    cases = [b"", b"\0", b"\0\0", b"\xff\xff", b"\xff\xff\xff\xff", b"\x01", b"\xff\xfe\x00\x01"]
    for _ in range(3000):
        size = rng.choice((1, 2, 7, 8, 24, 36, 37, 64))
        cases.append(bytes(rng.choice((0, 0xFF, rng.randrange(256))) for _ in range(size)))
    for data in cases:
        assert checksum(data) == _word_sum_checksum(data), data.hex()


def test_echo_requests_from_the_builder_are_those_of_echo_request() -> None:
    rng = random.Random(14)
    for version in (4, 6):
        identifier, cookie = rng.randrange(1 << 16), rng.randbytes(8)
        build = echo_builder(version, identifier, cookie)
        for _ in range(500):
            seq, sent_ns = rng.randrange(1 << 16), rng.choice((0, rng.randrange(1 << 64)))
            packet = build(seq, sent_ns)
            assert packet == echo_request(version, identifier, seq, cookie, sent_ns)
            assert len(packet) == 24
            if version == 4:
                assert _word_sum_checksum(packet) == 0
            else:
                assert packet[2:4] == b"\0\0"  # the kernel's to fill in


def test_echo_request_v4_carries_identifier_sequence_cookie_and_time() -> None:
    packet = echo_request(4, 0x1234, 0xFFFF + 2, COOKIE, 123_456_789)
    assert packet[0] == 8 and packet[1] == 0
    assert packet[4:6] == b"\x12\x34"
    assert packet[6:8] == b"\x00\x01"  # sequences wrap at 16 bits
    assert checksum(packet) == 0  # a correct checksum sums to zero
    reply = echo_reply_for(packet, 4)
    got = parse_icmp(reply, HERE, version=4, ip_header=False)
    assert got is not None and got.is_reply
    assert (got.identifier, got.sequence, got.cookie, got.sent_ns) == (0x1234, 1, COOKIE, 123456789)


def test_echo_request_v6_leaves_the_checksum_to_the_kernel() -> None:
    packet = echo_request(6, 7, 9, COOKIE, 1)
    assert packet[0] == 128 and packet[2:4] == b"\0\0"
    got = parse_icmp(echo_reply_for(packet, 6), b"\0" * 15 + b"\1", version=6, ip_header=False)
    assert got is not None and got.is_reply and (got.identifier, got.sequence) == (7, 9)


def test_raw_v4_reply_with_ip_header_gives_ttl_and_bad_checksums_are_dropped() -> None:
    reply = echo_reply_for(echo_request(4, 1, 2, COOKIE, 3), 4)
    got = parse_icmp(
        ipv4_header("127.0.0.1", "127.0.0.1", ttl=61) + reply, HERE, version=4, ip_header=True
    )
    assert got is not None and got.ttl == 61
    damaged = reply[:-1] + bytes([reply[-1] ^ 0xFF])
    assert (
        parse_icmp(ipv4_header("127.0.0.1", "127.0.0.1") + damaged, HERE, version=4, ip_header=True)
        is None
    )


@pytest.mark.parametrize(
    ("kind", "code", "cause"),
    [
        (3, 1, "Destination Host Unreachable"),
        (3, 0, "Destination Net Unreachable"),
        (3, 13, "Packet filtered"),
        (11, 0, "Time to live exceeded"),
    ],
)
def test_v4_errors_quoting_our_request(kind: int, code: int, cause: str) -> None:
    request = echo_request(4, 0xBEEF, 42, COOKIE, 5)
    error = error_for(request, "127.0.0.1", "192.0.2.7", 4, kind=kind, code=code)
    got = parse_icmp(error, ROUTER, version=4, ip_header=False)
    assert got is not None and not got.is_reply
    assert got.cause == cause
    assert got.target == socket.inet_aton("192.0.2.7")  # the quoted destination
    assert got.source == ROUTER
    assert (got.identifier, got.sequence) == (0xBEEF, 42)


@pytest.mark.parametrize(
    ("kind", "code", "cause"),
    [
        (1, 3, "Destination unreachable: Address unreachable"),
        (1, 1, "Destination unreachable: Administratively prohibited"),
        (3, 0, "Time exceeded: Hop limit"),
    ],
)
def test_v6_errors_quoting_our_request(kind: int, code: int, cause: str) -> None:
    request = echo_request(6, 0xBEEF, 42, COOKIE, 5)
    error = error_for(request, "2001:db8::1", "2001:db8::99", 6, kind=kind, code=code)
    got = parse_icmp(error, b"\x20" * 16, version=6, ip_header=False)
    assert got is not None and got.cause == cause
    assert got.target == socket.inet_pton(socket.AF_INET6, "2001:db8::99")
    assert got.cookie == COOKIE  # ICMPv6 errors quote as much as fits


def test_errors_that_do_not_quote_an_echo_request_are_not_ours() -> None:
    udp = ipv4_header("127.0.0.1", "192.0.2.7", proto=17) + b"\0" * 8
    assert (
        parse_icmp(
            with_checksum(bytes([3, 3, 0, 0, 0, 0, 0, 0]) + udp), ROUTER, version=4, ip_header=False
        )
        is None
    )
    reply_quoted = error_for(
        echo_reply_for(echo_request(4, 1, 1, COOKIE, 1), 4),
        "127.0.0.1",
        "192.0.2.7",
        4,
        kind=3,
        code=1,
    )
    assert parse_icmp(reply_quoted, ROUTER, version=4, ip_header=False) is None
    tcp6 = ipv6_header("::1", "::2", next_header=6) + b"\0" * 8
    assert (
        parse_icmp(bytes([1, 0, 0, 0, 0, 0, 0, 0]) + tcp6, ROUTER, version=6, ip_header=False)
        is None
    )


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00", b"\x45" + b"\0" * 10, b"\x60" + b"\0" * 30, bytes([8, 0, 0, 0, 0, 1, 0, 1])],
)
def test_garbage_and_other_messages_are_ignored(data: bytes) -> None:
    assert parse_icmp(data, HERE, version=4, ip_header=True) is None
    assert parse_icmp(data, HERE, version=6, ip_header=False) is None


def test_quoted_request_and_error_causes_of_the_error_queue() -> None:
    assert quoted_request(echo_request(4, 9, 10, COOKIE, 0)) == (9, 10)
    assert quoted_request(echo_request(6, 9, 10, COOKIE, 0)) == (9, 10)
    assert quoted_request(b"\0\0") is None
    assert quoted_request(echo_reply_for(echo_request(4, 9, 10, COOKIE, 0), 4)) is None
    assert error_cause(4, 3, 10) == "Destination Host Prohibited"
    assert error_cause(4, 3, 99) == "Dest Unreachable, code 99"
    assert error_cause(6, 1, 0) == "Destination unreachable: No route"
    assert error_cause(6, 4, 0) == "ICMPv6 type 4, code 0"
