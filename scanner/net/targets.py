"""Sweep targets: parse what the user wrote, then expand it lazily and without duplicates.

One spec is one item of the command line or of a ``-f`` file: an IPv4/IPv6 address (IPv6
may carry a zone, ``fe80::1%eth0``), a host name, a CIDR block (``10.0.0.0/24``,
``2001:db8::/120``) or a range (``10.0.0.1-20``, ``10.0.0.1-10.0.1.5``,
``2001:db8::1-2001:db8::ff``, ``2001:db8::1-ff``: the short form replaces the last group).

Validation is strict on purpose: whatever passes :func:`parse_target_spec` ends up as the
last element of a ``ping`` argv, so only host syntax is accepted (letters, digits, ``.``,
``-``, ``_``, ``:``, ``%`` and ``/``), never a leading ``-``, never whitespace, quotes, shell
metacharacters or control characters. All-numeric names such as ``10.1`` or ``2130706433``
are refused: the resolver would read them as ``inet_aton`` shorthand for an address.

Expansion works on integer intervals: a CIDR is ``(first, last)``, never a list, so a ``/8``
costs nothing until iterated; overlapping specs are deduplicated by subtracting the union of
the intervals already emitted (a sorted interval list), not by a set of every address.
Network and broadcast addresses are left out of IPv4 prefixes shorter than /31, as
``fping -g`` does. Names are not resolved here (the sweep engine does that concurrently); a
name is deduplicated and excluded by its spelling, case-insensitively.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final, Literal, TextIO

from scanner.errors import UsageProblem
from scanner.net.fastnew import positional_new
from scanner.output.sanitize import display_name

__all__ = [
    "Span",
    "Target",
    "TargetError",
    "TargetSpec",
    "count_targets",
    "expand",
    "parse_target_file",
    "parse_target_spec",
    "read_target_file",
    "spans",
]


class TargetError(UsageProblem):
    """A target the user wrote is not valid; nothing was run."""


@dataclass(frozen=True, slots=True)
class Target:
    """One host to ping: ``text`` as written (or the address a block produced), ``host``
    the address (canonical form) or the name to resolve, ``kind`` which of the two."""

    text: str
    host: str
    kind: Literal["ip", "name"]


#: ``Target(text, host, kind)`` without the frozen ``__init__``'s cost (a /16 makes 65,534).
_new_target = positional_new(Target)

SpecKind = Literal["ip", "cidr", "range", "name"]


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """One parsed target item.

    For address kinds, ``first``..``last`` is the whole block as integers (what an exclude
    removes); :attr:`span` is what it yields (without network and broadcast for IPv4
    prefixes shorter than /31). For names, ``host`` is the name and ``version`` is 0.
    """

    text: str
    kind: SpecKind
    host: str  # canonical address (first address for blocks) or the name
    version: int = 0  # 4, 6, or 0 for a name
    first: int = 0
    last: int = 0
    skip_ends: bool = False
    zone: str | None = None  # IPv6 zone ("eth0"), only on single addresses and prefixes

    @property
    def span(self) -> tuple[int, int] | None:
        """The interval of addresses this spec yields, or None (a name, or an empty block)."""
        if self.kind == "name":
            return None
        if self.skip_ends:
            return (self.first + 1, self.last - 1)
        return (self.first, self.last)

    @property
    def size(self) -> int:
        """How many targets this spec yields on its own."""
        span = self.span
        if span is None:
            return 1
        return span[1] - span[0] + 1


# --- validation -----------------------------------------------------------------------

_ALLOWED: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:%/")
# patterns, compiled (and cached by ``re``) at their first use: a sweep of addresses and
# blocks has no name, zone or short range to check, and start-up compiles none of them
_LABEL: Final = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\Z"
_ZONE: Final = r"[A-Za-z0-9_.]{1,64}\Z"  # an interface name or a number
_OCTET: Final = r"[0-9]{1,3}\Z"
_HEXTET: Final = r"[0-9A-Fa-f]{1,4}\Z"
_MAX_NAME: Final = 253
_DOTTED_RANGE: Final = frozenset("0123456789.-")


def _quote(text: str) -> str:
    # escaped for a terminal (control characters become visible), quoted like repr()
    shown = display_name(text)
    return f'"{shown}"' if "'" in shown else f"'{shown}'"


def _fail(text: str, why: str) -> TargetError:
    return TargetError(f"invalid target {_quote(text)}: {why}")


def _check_characters(text: str) -> None:
    if not text:
        raise TargetError("invalid target '': empty")
    if text.startswith("-"):
        raise _fail(text, "a target cannot start with '-' (it would be read as an option)")
    for ch in text:
        if ch not in _ALLOWED:
            shown = "space" if ch == " " else _quote(ch)
            raise _fail(text, f"character {shown} is not allowed in a host name or address")


def _parse_address(text: str, part: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(part)
    except ValueError:
        raise _fail(text, f"{part!r} is not a valid IPv4 or IPv6 address") from None


def _looks_numeric(name: str) -> bool:
    # "10.1", "10.0.0.256", "2130706433": a final all-digit label is never a real name
    # (RFC 3696 §2) and resolvers would parse these as inet_aton shorthand for addresses.
    return name.rstrip(".").rsplit(".", 1)[-1].isdigit()


def _parse_name(text: str) -> TargetSpec:
    if ":" in text or "%" in text or "/" in text:
        raise _fail(text, "not a valid address, prefix or host name")
    if _looks_numeric(text):
        raise _fail(text, "not a valid IPv4 address (and all-numeric host names are refused)")
    name = text[:-1] if text.endswith(".") else text
    if len(name) > _MAX_NAME:
        raise _fail(text, f"host name longer than {_MAX_NAME} characters")
    for label in name.split("."):
        if not label:
            raise _fail(text, "empty label in host name")
        if not re.match(_LABEL, label):
            raise _fail(
                text,
                f"bad label {label!r}: labels are 1-63 letters, digits, '-' or '_' and "
                "neither start nor end with '-'",
            )
    return TargetSpec(text=text, kind="name", host=text)


def _split_zone(text: str, part: str) -> tuple[str, str | None]:
    if "%" not in part:
        return part, None
    addr, zone = part.split("%", 1)
    if not re.match(_ZONE, zone):
        raise _fail(text, f"bad IPv6 zone {zone!r} (an interface name or index)")
    if ":" not in addr:
        raise _fail(text, "a zone (%...) is only valid on an IPv6 address")
    return addr, zone


def _single(text: str) -> TargetSpec:
    part, zone = _split_zone(text, text)
    addr = _parse_address(text, part)
    host = addr.compressed if zone is None else f"{addr.compressed}%{zone}"
    n = int(addr)
    return TargetSpec(
        text=text, kind="ip", host=host, version=addr.version, first=n, last=n, zone=zone
    )


def _cidr(text: str) -> TargetSpec:
    part, _, bits = text.partition("/")
    if "/" in bits:
        raise _fail(text, "more than one '/'")
    part, zone = _split_zone(text, part)
    addr = _parse_address(text, part)
    width = addr.max_prefixlen
    if not bits.isdigit() or len(bits) > 3 or int(bits) > width:
        raise _fail(text, f"prefix length must be a number from 0 to {width}, not {bits!r}")
    prefix = int(bits)
    size = 1 << (width - prefix)
    # host bits set ("10.0.0.7/24") mean the enclosing block, as fping -g and nmap read it
    first = int(addr) & ~(size - 1)
    last = first + size - 1
    skip_ends = addr.version == 4 and prefix < 31
    first_addr = ipaddress.ip_address(first) if addr.version == 4 else ipaddress.IPv6Address(first)
    return TargetSpec(
        text=text,
        kind="cidr",
        host=first_addr.compressed,
        version=addr.version,
        first=first,
        last=last,
        skip_ends=skip_ends,
        zone=zone,
    )


def _range(text: str) -> TargetSpec:
    start_text, _, end_text = text.partition("-")
    if "%" in text:
        raise _fail(text, "zones (%...) are not supported in ranges; use a prefix")
    start = _parse_address(text, start_text)
    if not end_text:
        raise _fail(text, "range has no end")
    end_n: int
    if start.version == 4 and re.match(_OCTET, end_text):
        last_octet = int(end_text)
        if last_octet > 255:
            raise _fail(text, f"range end {end_text} is not an octet (0-255)")
        end_n = (int(start) & ~0xFF) | last_octet
    elif start.version == 6 and re.match(_HEXTET, end_text):
        end_n = (int(start) & ~0xFFFF) | int(end_text, 16)
    else:
        end = _parse_address(text, end_text)
        if end.version != start.version:
            raise _fail(text, "range ends are of different IP versions")
        end_n = int(end)
    if end_n < int(start):
        raise _fail(text, "range is reversed (end before start)")
    return TargetSpec(
        text=text,
        kind="range",
        host=start.compressed,
        version=start.version,
        first=int(start),
        last=end_n,
    )


def parse_target_spec(text: str) -> TargetSpec:
    """Parse one target item; raise :class:`TargetError` (one clear line) if invalid.

    Accepted: an IPv4/IPv6 address (IPv6 with an optional ``%zone``), a host name, a CIDR
    block, a range ``a.b.c.d-e`` / ``a.b.c.d-a.b.c.e`` / ``v6-v6`` / ``v6-hhhh``. A prefix
    of ``/0`` is valid here; the sweep's host-count cap (:func:`count_targets`) guards it.
    """
    _check_characters(text)
    if "/" in text:
        return _cidr(text)
    if "-" in text:
        head = text.partition("-")[0]
        if ":" in head or _is_ipv4(head) or set(text) <= _DOTTED_RANGE:
            return _range(text)
        return _parse_name(text)  # "my-host.example"
    if ":" in text or "%" in text or _is_ipv4(text):
        return _single(text)
    return _parse_name(text)


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def read_target_file(stream: TextIO) -> Iterator[str]:
    """The target items of a ``-f`` file (or stdin): whitespace-separated, ``#`` starts a
    comment to the end of the line, blank lines are skipped. Items are not validated here."""
    for line in stream:
        yield from _line_items(line)


def _line_items(line: str) -> list[str]:
    return line.split("#", 1)[0].split()


def parse_target_file(stream: TextIO, name: str = "-") -> Iterator[TargetSpec]:
    """Parse every item of a ``-f`` file; errors name the file and line (``hosts.txt:3``)."""
    for lineno, line in enumerate(stream, 1):
        for item in _line_items(line):
            try:
                yield parse_target_spec(item)
            except TargetError as exc:
                raise TargetError(f"{display_name(name)}:{lineno}: {exc}") from None


# --- interval arithmetic ----------------------------------------------------------------


class _Intervals:
    """A sorted set of disjoint, non-adjacent closed integer intervals."""

    __slots__ = ("_ends", "_starts")

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def add(self, lo: int, hi: int) -> None:
        """Insert ``[lo, hi]``, merging with overlapping or adjacent intervals."""
        # every interval whose end reaches lo-1 and whose start is at most hi+1 merges
        i = bisect.bisect_left(self._ends, lo - 1)
        j = bisect.bisect_right(self._starts, hi + 1)
        if i < j:
            lo = min(lo, self._starts[i])
            hi = max(hi, self._ends[j - 1])
        self._starts[i:j] = [lo]
        self._ends[i:j] = [hi]

    def subtract(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """The parts of ``[lo, hi]`` not covered by this set, in order."""
        out: list[tuple[int, int]] = []
        i = bisect.bisect_left(self._ends, lo)
        cur = lo
        while i < len(self._starts) and self._starts[i] <= hi:
            if self._starts[i] > cur:
                out.append((cur, self._starts[i] - 1))
            cur = max(cur, self._ends[i] + 1)
            i += 1
        if cur <= hi:
            out.append((cur, hi))
        return out

    def total(self) -> int:
        """How many integers the set holds."""
        return sum(e - s + 1 for s, e in zip(self._starts, self._ends, strict=True))

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self._starts, self._ends, strict=True)


_Key = tuple[int, str | None]  # (IP version, zone)


class _Excludes:
    """Excluded blocks per (version, zone); an exclude without a zone applies to all zones."""

    def __init__(self, excludes: Iterable[TargetSpec]) -> None:
        self.blocks: dict[_Key, _Intervals] = {}
        self.names: set[str] = set()
        for spec in excludes:
            if spec.kind == "name":
                self.names.add(_name_key(spec.host))
            else:
                # the whole block: excluding 10.0.0.0/24 also removes .0 and .255 that a
                # wider spec (10.0.0.0/23) would otherwise yield
                self.blocks.setdefault((spec.version, spec.zone), _Intervals()).add(
                    spec.first, spec.last
                )

    def remove(self, key: _Key, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
        for k in {key, (key[0], None)}:
            block = self.blocks.get(k)
            if block is not None:
                pieces = [p for lo, hi in pieces for p in block.subtract(lo, hi)]
        return pieces


def _name_key(name: str) -> str:
    return name.rstrip(".").lower()


def _address_text(version: int, n: int, zone: str | None) -> str:
    if version == 4:  # what IPv4Address(n).compressed says, 5x faster (a /16 is 65k calls)
        return socket.inet_ntoa(n.to_bytes(4, "big"))
    text = ipaddress.IPv6Address(n).compressed
    return text if zone is None else f"{text}%{zone}"


@dataclass(frozen=True, slots=True)
class Span:
    """A run of addresses ``first..last`` of one family and zone, ready to expand: what
    :func:`spans` yields, and what a cluster cuts into blocks. ``text`` is the user's own
    spelling, kept for a single-address spec (blocks and ranges yield canonical forms)."""

    version: int
    zone: str | None
    first: int
    last: int
    text: str | None = None

    @property
    def size(self) -> int:
        """Addresses in the run."""
        return self.last - self.first + 1

    def targets(self) -> Iterator[Target]:
        """Its targets, in order."""
        if self.version == 4 and self.text is None:  # a block: 65k addresses for a /16
            ntoa, new = socket.inet_ntoa, _new_target
            for n in range(self.first, self.last + 1):
                host = ntoa(n.to_bytes(4, "big"))  # as _address_text, one call less
                yield new(host, host, "ip")
            return
        for n in range(self.first, self.last + 1):
            host = _address_text(self.version, n, self.zone)
            yield _new_target(host if self.text is None else self.text, host, "ip")


def spans(
    specs: Iterable[TargetSpec], excludes: Iterable[TargetSpec] = ()
) -> Iterator[Span | Target]:
    """What :func:`expand` yields, with runs of addresses still as :class:`Span` intervals
    (names as their ``Target``): disjoint, none excluded, in order, lazily."""
    ex = _Excludes(excludes)
    emitted: dict[_Key, _Intervals] = {}
    names_seen: set[str] = set()
    for spec in specs:
        if spec.kind == "name":
            key_name = _name_key(spec.host)
            if key_name in names_seen or key_name in ex.names:
                continue
            names_seen.add(key_name)
            yield Target(text=spec.text, host=spec.host, kind="name")
            continue
        span = spec.span
        if span is None or span[0] > span[1]:
            continue
        key: _Key = (spec.version, spec.zone)
        done = emitted.setdefault(key, _Intervals())
        pieces = ex.remove(key, done.subtract(*span))
        done.add(*span)
        text = spec.text if spec.kind == "ip" else None
        for lo, hi in pieces:
            yield Span(spec.version, spec.zone, lo, hi, text)


def expand(specs: Iterable[TargetSpec], excludes: Iterable[TargetSpec] = ()) -> Iterator[Target]:
    """Every target of ``specs`` in order, lazily, each address or name once, none excluded.

    A single address keeps the text the user wrote; addresses from blocks and ranges are
    written in canonical form. Memory is bounded by the number of specs, never by the
    number of addresses: ``itertools.islice(expand([parse_target_spec("10.0.0.0/8")]), 10)``
    is instant.
    """
    for item in spans(specs, excludes):
        if isinstance(item, Target):
            yield item
        else:
            yield from item.targets()


def count_targets(specs: Iterable[TargetSpec], excludes: Iterable[TargetSpec] = ()) -> int:
    """How many targets :func:`expand` would yield, computed without expanding (for the
    sweep's safety cap): interval unions and differences, so a ``/0`` is counted at once."""
    ex = _Excludes(excludes)
    blocks: dict[_Key, _Intervals] = {}
    names: set[str] = set()
    for spec in specs:
        if spec.kind == "name":
            names.add(_name_key(spec.host))
            continue
        span = spec.span
        if span is not None and span[0] <= span[1]:
            blocks.setdefault((spec.version, spec.zone), _Intervals()).add(*span)
    total = len(names - ex.names)
    for key, block in blocks.items():
        total += sum(hi - lo + 1 for lo, hi in ex.remove(key, list(block)))
    return total
