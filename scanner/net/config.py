"""``SweepConfig``: everything the sweep engine needs, as one frozen value.

The CLI builds it from options; library users build it directly. The engine never sees
typer. Defaults follow fping where fping has an equivalent.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field, replace
from typing import Final

from scanner.errors import UsageProblem
from scanner.oslimits import open_file_limit as rlimit_nofile
from scanner.oslimits import usable_cpus

#: What each running ``ping`` child costs in file descriptors in this process: the read end
#: of its output pipe (stdout and stderr share it, as the parser wants them combined) and
#: its pidfd; used to size the default concurrency against the open-file limit. (Here, not
#: in ``scanner.net.spawn``: a sweep that spawns nothing does not import the spawner.)
FDS_PER_CHILD: Final = 2
#: The child-process runners ``--spawner`` names (``scanner.net.spawn.make_spawner``).
SPAWNER_KINDS: Final = ("auto", "posix", "posix-inline", "anyio", "anyio-pidfd")
#: Descriptors kept back for the interpreter, the event loop, output files and sockets.
_FD_RESERVE: Final = 64
#: Children per usable CPU: a ping child mostly waits on the network, so many per core pay
#: off on dead hosts, while spawning itself is CPU-bound and gains nothing beyond this.
_CHILDREN_PER_CPU: Final = 128
_MAX_DEFAULT_CONCURRENCY: Final = 1024


class ProbeMethod(enum.StrEnum):
    """How a host is probed."""

    AUTO = "auto"  # icmp where this process may open an ICMP socket, else ping
    ICMP = "icmp"  # echo requests over our own ICMP sockets (scanner.net.icmp)
    PING = "ping"  # one system ``ping`` per host (no privileges needed)
    TCP = "tcp"  # TCP connects to each port: open, closed (refused: up) or filtered


#: Echo requests per second of an ``icmp`` sweep when ``rate`` is not given: gentle on a
#: real network (fping's default 10 ms between packets is 100/s; this is 1,000/s, about
#: 0.7 Mbit/s of requests).
ICMP_DEFAULT_RATE: Final = 1000.0
#: The highest ``rate`` accepted, for every method.
MAX_RATE: Final = 100_000.0


def default_concurrency(open_file_limit: int | None = None, cpus: int | None = None) -> int:
    """Concurrent probes by default: sized to the CPUs and to the open-file limit.

    Each running ``ping`` child costs :data:`FDS_PER_CHILD` descriptors here, so the limit
    is ``(RLIMIT_NOFILE - reserve) / 3``; the CPU bound keeps spawning from starving the
    event loop on small machines.
    """
    limit = rlimit_nofile() if open_file_limit is None else open_file_limit
    by_cpu = min(_MAX_DEFAULT_CONCURRENCY, _CHILDREN_PER_CPU * (cpus or usable_cpus()))
    if limit is None:
        return by_cpu
    return max(1, min(by_cpu, (limit - _FD_RESERVE) // FDS_PER_CHILD))


def open_file_capacity() -> int | None:
    """Probes the open-file limit leaves room for at once (None: no such limit). An explicit
    ``-j`` is clamped to it too: more would fail hosts with EMFILE."""
    limit = rlimit_nofile()
    return None if limit is None else max(1, (limit - _FD_RESERVE) // FDS_PER_CHILD)


@dataclass(frozen=True, slots=True)
class SweepConfig:
    """How to sweep. Times are seconds; validation happens in ``__post_init__``."""

    method: ProbeMethod = ProbeMethod.PING
    #: TCP ports for ``method=TCP``, each connected to ``count`` times, in this order.
    ports: tuple[int, ...] = (80, 443)
    #: Echo requests per host (``ping -c``); connects per port for ``method=TCP``.
    count: int = 1
    #: Seconds between echo requests of one host when ``count`` > 1 (``ping -i``).
    interval: float = 1.0
    #: Seconds to wait for each reply (``ping -W``); the TCP connect timeout.
    timeout: float = 1.0
    #: Seconds one probe may take before its child is killed; None: derived from
    #: count, interval and timeout with a margin (:attr:`effective_deadline`).
    deadline: float | None = None
    #: Probes running at once (``-j``).
    concurrency: int = field(default_factory=default_concurrency)
    #: Echo requests per second over the whole sweep (None: unlimited). A host with
    #: ``count`` N spends N tokens; a TCP probe N per port (SYNs sent).
    rate: float | None = None
    #: Further attempts for a host that did not answer (unreachable), after a backoff.
    retries: int = 0
    #: First retry waits this long; each further retry doubles it.
    backoff: float = 0.5
    #: Address family: 0 any (resolver order), 4 or 6 only.
    family: int = 0
    #: Name lookups running at once, and how long one may take.
    resolve_concurrency: int = 32
    resolve_timeout: float = 5.0
    #: The ping executable: a path, or a name looked up on PATH.
    ping: str = "ping"
    #: How children are started: auto, posix, posix-inline, anyio, anyio-pidfd (see
    #: scanner.net.spawn).
    spawner: str = "auto"
    #: Probe every host again and again, one request (per port) a round, ``interval``
    #: apart, until cancelled or until ``deadline`` (then the whole run's length per host).
    loop: bool = False
    #: The ICMP socket kind of ``method=ICMP``: auto (datagram, else raw), dgram or raw.
    icmp_socket: str = "auto"
    #: ``method=ICMP``: the address families (4, 6) whose hosts the system ``ping`` probes
    #: instead (``--method auto`` where no ICMP socket of that family may be opened).
    ping_families: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        problems = []
        if self.count < 1:
            problems.append("count must be at least 1")
        if self.concurrency < 1:
            problems.append("concurrency must be at least 1")
        if self.retries < 0:
            problems.append("retries cannot be negative")
        # inf passes "> 0" but overflows ping's integer arguments (a traceback, found by
        # tests/test_hardening_options.py); nan fails every comparison
        for name in ("timeout", "interval", "resolve_timeout"):
            if not 0 < getattr(self, name) < math.inf:
                problems.append(f"{name} must be a positive, finite number of seconds")
        if self.deadline is not None and not 0 < self.deadline < math.inf:
            problems.append("deadline must be a positive, finite number of seconds")
        if self.rate is not None and not 0 < self.rate <= MAX_RATE:
            problems.append(f"rate must be positive and at most {MAX_RATE:,.0f} packets/s")
        if self.icmp_socket not in ("auto", "dgram", "raw"):
            problems.append("icmp_socket must be auto, dgram or raw")
        if not 0 <= self.backoff < math.inf:
            problems.append("backoff must be a finite number of seconds, 0 or more")
        if self.family not in (0, 4, 6):
            problems.append("family must be 0, 4 or 6")
        if any(version not in (4, 6) for version in self.ping_families):
            problems.append("ping_families holds 4 or 6")
        if self.ping_families and self.method is not ProbeMethod.ICMP:
            problems.append("ping_families is for method icmp")
        if {4, 6} <= set(self.ping_families):
            problems.append("ping_families leaves no family to method icmp (use method ping)")
        if self.resolve_concurrency < 1:
            problems.append("resolve_concurrency must be at least 1")
        if self.method is ProbeMethod.TCP and not self.ports:
            problems.append("a TCP probe needs at least one port")
        if any(not 0 < p < 65536 for p in self.ports):
            problems.append("ports must be 1-65535")
        if self.loop and self.count != 1:
            problems.append("loop mode sends one request a round: count must be 1")
        if self.loop and self.retries:
            problems.append("loop mode does not retry: it probes again each round")
        if self.spawner not in SPAWNER_KINDS:
            problems.append(f"spawner must be one of {', '.join(SPAWNER_KINDS)}")
        if problems:
            raise UsageProblem("; ".join(problems))

    def round_config(self) -> SweepConfig:
        """What the probe of one loop round is given (no loop, no whole-run deadline)."""
        return replace(self, loop=False, deadline=None) if self.loop else self

    @property
    def effective_deadline(self) -> float:
        """Seconds one probe may run before it is killed."""
        if self.deadline is not None:
            return self.deadline
        if self.method is ProbeMethod.TCP:
            rounds = self.count
            return rounds * len(self.ports) * self.timeout + (rounds - 1) * self.interval + 1.0
        # the last request goes out after (count-1) intervals and waits `timeout`; the margin
        # covers process start-up on a loaded machine
        return (self.count - 1) * self.interval + self.timeout + 2.0

    @property
    def tokens_per_probe(self) -> int:
        """Rate-limit tokens one probe spends."""
        return self.count * (len(self.ports) if self.method is ProbeMethod.TCP else 1)

    def methods(self) -> dict[str, str]:
        """The method that probes each address family of the sweep (``ipv4``, ``ipv6``)."""
        versions = (self.family,) if self.family else (4, 6)
        return {
            f"ipv{v}": ProbeMethod.PING.value if v in self.ping_families else self.method.value
            for v in versions
        }

    @property
    def icmp_rate(self) -> float:
        """Echo requests per second of an ``icmp`` sweep (the default when ``rate`` is None)."""
        return ICMP_DEFAULT_RATE if self.rate is None else self.rate
