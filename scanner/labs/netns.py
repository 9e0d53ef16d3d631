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


@contextmanager
def netns_lab(alive: int = 126, *, prefix: str = LAB_PREFIX) -> Iterator[NetnsLab]:
    """Create the lab with far-side hosts ``prefix.2`` .. ``prefix.(alive+1)``; delete it on
    exit. ``alive`` may be 0 (only the near address answers) up to 253."""
    if not 0 <= alive <= 253:
        raise ValueError("alive must be 0..253")
    tag = uuid.uuid4().hex[:8]
    near, far = f"scn{tag}n", f"scn{tag}f"
    near_if, far_if = f"scn{tag}a", f"scn{tag}b"  # interface names: 15 characters at most
    near_address = f"{prefix}.1"
    alive_hosts = tuple(f"{prefix}.{i}" for i in range(2, alive + 2))
    dead_hosts = tuple(f"{prefix}.{i}" for i in range(alive + 2, 255))
    created: list[str] = []
    try:
        for name in (near, far):
            _ip("netns", "add", name)
            created.append(name)
        _ip("-n", near, "link", "add", near_if, "type", "veth", "peer", far_if, "netns", far)
        _ip(
            "-n",
            near,
            "-batch",
            "-",
            stdin=(
                f"link set lo up\naddr add {near_address}/24 dev {near_if}\nlink set {near_if} up\n"
            ),
        )
        far_cmds = ["link set lo up"]
        far_cmds += [f"addr add {a}/24 dev {far_if}" for a in alive_hosts]
        far_cmds.append(f"link set {far_if} up")
        _ip("-n", far, "-batch", "-", stdin="\n".join(far_cmds) + "\n")
        yield NetnsLab(
            near=near,
            far=far,
            prefix=prefix,
            near_address=near_address,
            alive=alive_hosts,
            dead=dead_hosts,
        )
    finally:
        for name in reversed(created):
            _delete(name)


def lab_namespaces() -> list[str]:
    """Names of the lab namespaces that exist now (to check that cleanup happened)."""
    done = subprocess.run(["ip", "netns", "list"], capture_output=True, timeout=30, check=False)
    names = [line.split()[0] for line in done.stdout.decode().splitlines() if line.strip()]
    return [n for n in names if n.startswith("scn")]
