"""A two-namespace network lab for sweeps with hosts that really do not answer.

Layout (``prefix`` 198.18.0, the RFC 2544 benchmarking range)::

    [ near ns ] 198.18.0.1/24 --veth-- [ far ns ] 198.18.0.2 .. .N/24 (alive)
                                          .N+1 .. .254 unassigned (dead: no ARP reply)

Nothing in either namespace has a route anywhere else: the near side knows only its /24 and
its loopback. Sweeps are always run *inside* the near namespace (``ip netns exec NEAR ...``,
:meth:`NetnsLab.exec_argv`), so no packet can leave the machine even if setup half-failed.
The namespaces get unique names and are deleted on exit, also when setup or the body fails.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

LAB_PREFIX = "198.18.0"


@dataclass(frozen=True)
class NetnsLab:
    """A running lab: namespace names and which addresses answer."""

    near: str
    far: str
    prefix: str
    near_address: str
    alive: tuple[str, ...]  # far-side addresses (the near address answers too)
    dead: tuple[str, ...]  # unassigned addresses of the /24

    def exec_argv(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside the near namespace."""
        return ["ip", "netns", "exec", self.near, *argv]

    def run(
        self, argv: Sequence[str], *, timeout: float = 120, **kwargs: object
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``argv`` inside the near namespace and capture its output."""
        return subprocess.run(  # type: ignore[call-overload, no-any-return]
            self.exec_argv(argv), capture_output=True, timeout=timeout, check=False, **kwargs
        )


def _ip(*args: str, stdin: str | None = None) -> None:
    done = subprocess.run(
        ["ip", *args],
        input=stdin.encode() if stdin is not None else None,
        capture_output=True,
        timeout=30,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"ip {' '.join(args)} failed: {done.stderr.decode(errors='replace').strip()}"
        )


@functools.cache
def netns_available() -> tuple[bool, str]:
    """Whether namespaces and veth pairs can be made here, and if not, why."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False, "network namespaces need root (ip netns add)"
    if shutil.which("ip") is None:
        return False, "the ip command (iproute2) is not installed"
    probe = f"scn{uuid.uuid4().hex[:8]}"
    try:
        _ip("netns", "add", probe)
        try:
            _ip("-n", probe, "link", "add", f"{probe}a", "type", "veth", "peer", f"{probe}b")
        finally:
            _ip("netns", "del", probe)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        return False, f"cannot create a namespace with a veth pair: {exc}"
    return True, "ok"


def _delete(name: str) -> None:
    subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30, check=False)


@dataclass(frozen=True)
class _Pair:
    near: str
    far: str
    near_if: str
    far_if: str


@contextmanager
def _namespace_pair() -> Iterator[_Pair]:
    """Two fresh namespaces joined by a veth pair (links down, no addresses); both are
    deleted on exit, also when setup or the body fails."""
    tag = uuid.uuid4().hex[:8]
    pair = _Pair(f"scn{tag}n", f"scn{tag}f", f"scn{tag}a", f"scn{tag}b")  # <= 15 characters
    created: list[str] = []
    try:
        for name in (pair.near, pair.far):
            _ip("netns", "add", name)
            created.append(name)
        _ip("-n", pair.near, "link", "add", pair.near_if, "type", "veth", "peer", pair.far_if,
            "netns", pair.far)  # fmt: skip
        yield pair
    finally:
        for name in reversed(created):
            _delete(name)


def _near_side(pair: _Pair, address: str, *more: str) -> None:
    lines = ["link set lo up", f"addr add {address}/24 dev {pair.near_if}"]
    lines += [f"link set {pair.near_if} up", *more]
    _ip("-n", pair.near, "-batch", "-", stdin="\n".join(lines) + "\n")


@contextmanager
def netns_lab(alive: int = 126, *, prefix: str = LAB_PREFIX) -> Iterator[NetnsLab]:
    """Create the lab with far-side hosts ``prefix.2`` .. ``prefix.(alive+1)``; delete it on
    exit. ``alive`` may be 0 (only the near address answers) up to 253."""
    if not 0 <= alive <= 253:
        raise ValueError("alive must be 0..253")
    near_address = f"{prefix}.1"
    alive_hosts = tuple(f"{prefix}.{i}" for i in range(2, alive + 2))
    dead_hosts = tuple(f"{prefix}.{i}" for i in range(alive + 2, 255))
    with _namespace_pair() as pair:
        _near_side(pair, near_address)
        far_cmds = ["link set lo up"]
        far_cmds += [f"addr add {a}/24 dev {pair.far_if}" for a in alive_hosts]
        far_cmds.append(f"link set {pair.far_if} up")
        _ip("-n", pair.far, "-batch", "-", stdin="\n".join(far_cmds) + "\n")
        yield NetnsLab(
            near=pair.near,
            far=pair.far,
            prefix=prefix,
            near_address=near_address,
            alive=alive_hosts,
            dead=dead_hosts,
        )


def lab_namespaces() -> list[str]:
    """Names of the lab namespaces that exist now (to check that cleanup happened)."""
    done = subprocess.run(["ip", "netns", "list"], capture_output=True, timeout=30, check=False)
    names = [line.split()[0] for line in done.stdout.decode().splitlines() if line.strip()]
    return [n for n in names if n.startswith("scn")]


#: The routed lab's far block: a /16 behind the far namespace (RFC 2544's second /16).
ROUTED_BLOCK = "198.19.0.0/16"
#: The part of the routed block the far namespace refuses with ICMP host unreachable.
ROUTED_UNREACHABLE = "198.19.255.0/24"


@dataclass(frozen=True)
class RoutedLab(NetnsLab):
    """A lab where the far namespace is a router for :data:`ROUTED_BLOCK`: ``alive`` are its
    own addresses there, :data:`ROUTED_UNREACHABLE` is answered with ICMP "Destination Host
    Unreachable" (an ``unreachable`` route), and the rest of the /16 is a ``blackhole``
    (silently dropped): a /16 with a few hosts alive and one neighbour entry only."""

    unreachable_block: str = ROUTED_UNREACHABLE


@contextmanager
def netns_routed_lab(alive: Sequence[str] = ("198.19.0.1",)) -> Iterator[RoutedLab]:
    """Create the routed lab (see :class:`RoutedLab`); delete it on exit. ``alive`` are
    addresses inside :data:`ROUTED_BLOCK` (outside :data:`ROUTED_UNREACHABLE`)."""
    near_address, gateway = f"{LAB_PREFIX}.1", f"{LAB_PREFIX}.2"
    with _namespace_pair() as pair:
        _near_side(pair, near_address, f"route add {ROUTED_BLOCK} via {gateway}")
        far_cmds = [
            "link set lo up",
            f"addr add {gateway}/24 dev {pair.far_if}",
            f"link set {pair.far_if} up",
            *(f"addr add {a}/32 dev lo" for a in alive),
            f"route add blackhole {ROUTED_BLOCK}",
            f"route add unreachable {ROUTED_UNREACHABLE}",
        ]
        _ip("-n", pair.far, "-batch", "-", stdin="\n".join(far_cmds) + "\n")
        # a router answers with ICMP errors only while forwarding; no rate limit on them,
        # so every probe of an unreachable host gets its answer
        for setting in (
            "net.ipv4.ip_forward=1",
            "net.ipv4.icmp_ratelimit=0",
            "net.ipv4.icmp_msgs_per_sec=100000",
            "net.ipv4.icmp_msgs_burst=10000",
        ):
            subprocess.run(
                ["ip", "netns", "exec", pair.far, "sysctl", "-qw", setting],
                capture_output=True,
                timeout=30,
                check=True,
            )
        yield RoutedLab(
            near=pair.near,
            far=pair.far,
            prefix=LAB_PREFIX,
            near_address=near_address,
            alive=tuple(alive),
            dead=(),
        )
