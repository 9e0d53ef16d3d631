"""Built-in labs: deterministic, seeded workloads to compare on, and their sizes' params.

Each function turns sizes into ``(size, params)`` pairs for :func:`scanner.compare.plan.
build_cells`; the context managers keep a lab alive (a FUSE mount, a network namespace)
while the comparison runs and tear it down afterwards, also on errors and Ctrl-C.

Network safety: the ping labs only ever target 127.0.0.0/8 (the fake ``ping`` never sends a
packet, and its targets are loopback addresses anyway) or addresses inside the namespace lab,
where the workers themselves run inside the namespace.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from scanner.errors import OperationFailed, UsageProblem

Sizes = list[tuple[int, dict[str, Any]]]

#: Hosts the loopback and fake-ping labs can address (127.1.0.1 .. 127.1.255.254).
MAX_LOOPBACK_HOSTS = 256 * 254


def lab_home(base: str | os.PathLike[str] | None = None) -> Path:
    """Where generated trees and corpora live (reused across runs: generation is idempotent)."""
    if base is not None:
        return Path(base)
    env = os.environ.get("SCANNER_LAB_DIR")
    return Path(env) if env else Path(tempfile.gettempdir()) / "scanner-labs"


def tree_sizes(sizes: Sequence[int], *, seed: int = 1, base: Path | None = None) -> Sizes:
    """Generate (or reuse) one seeded tree per size."""
    from scanner.labs.tree import TreeSpec, generate_tree

    home = lab_home(base)
    home.mkdir(parents=True, exist_ok=True)
    out: Sizes = []
    for size in sizes:
        root = home / f"tree-{size}-seed{seed}"
        generate_tree(root, TreeSpec(files=size, seed=seed))
        out.append((size, {"root": str(root)}))
    return out


@contextlib.contextmanager
def slowfs_sizes(
    sizes: Sequence[int], *, latency_s: float, seed: int = 1, base: Path | None = None
) -> Iterator[Sizes]:
    """Trees mounted through the slow-file-system FUSE lab, one mount per size."""
    from scanner.labs.slowfs import mount_slowfs

    trees = tree_sizes(sizes, seed=seed, base=base)
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="scanner-bench-")))
        out: Sizes = []
        for size, params in trees:
            mnt = scratch / f"mnt-{size}"
            stack.enter_context(mount_slowfs(params["root"], mnt, latency_s))
            out.append((size, {"root": str(mnt), "latency_s": latency_s}))
        yield out


def loopback_targets(hosts: int) -> list[str]:
    """``hosts`` distinct loopback addresses as ranges: 127.1.0.1-254, 127.1.1.1-254, ..."""
    if not 1 <= hosts <= MAX_LOOPBACK_HOSTS:
        raise UsageProblem(f"host count must be within 1..{MAX_LOOPBACK_HOSTS}, not {hosts}")
    specs: list[str] = []
    block = 0
    left = hosts
    while left:
        n = min(254, left)
        specs.append(f"127.1.{block}.1" if n == 1 else f"127.1.{block}.1-{n}")
        left -= n
        block += 1
    return specs


@contextlib.contextmanager
def fake_ping_sizes(
    sizes: Sequence[int], *, latency_ms: float, silent_every_tenth: bool = True
) -> Iterator[Sizes]:
    """The sh fake ``ping`` with a latency model; hosts whose address ends in 0 stay silent
    (answering "100% loss" at once), so results mix alive and unreachable hosts."""
    from scanner.labs.fakeping import Behaviour, Kind, write_fake_ping

    behaviours = {"127.1.*0": Behaviour(Kind.SILENT, wait=False)} if silent_every_tenth else {}
    with tempfile.TemporaryDirectory(prefix="scanner-fakeping-") as scratch:
        ping = write_fake_ping(scratch, latency_ms=latency_ms, behaviours=behaviours)
        yield [
            (n, {"targets": loopback_targets(n), "ping": str(ping), "latency_ms": latency_ms})
            for n in sizes
        ]


def loopback_sizes(sizes: Sequence[int]) -> Sizes:
    """The real ``ping`` on 127.1.x.y (every host alive)."""
    return [(n, {"targets": loopback_targets(n), "ping": "ping"}) for n in sizes]


@contextlib.contextmanager
def netns_sizes(sizes: Sequence[int], *, alive: int) -> Iterator[tuple[Sizes, tuple[str, ...]]]:
    """The namespace lab: hosts 198.18.0.1..N (the near side, then ``alive`` far-side hosts
    that answer, the rest unassigned: silent until the timeout). Yields the sizes and the
    prefix that runs every worker *inside* the near namespace, so nothing can leave."""
    from scanner.labs.netns import netns_available, netns_lab

    ok, why = netns_available()
    if not ok:
        raise OperationFailed(f"cannot build the namespace lab: {why}")
    if not sizes or not 1 <= min(sizes) <= max(sizes) <= 254:
        raise UsageProblem("the namespace lab has hosts 1..254")
    with netns_lab(alive=min(alive, 253)) as lab:
        out: Sizes = []
        for n in sizes:
            target = f"{lab.prefix}.1" if n == 1 else f"{lab.prefix}.1-{n}"
            out.append((n, {"targets": [target], "ping": "ping", "alive": alive}))
        yield out, tuple(lab.exec_argv([]))
