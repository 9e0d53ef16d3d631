"""One sweep, two methods: the ICMP prober for the address families whose ICMP socket this
process may open, the system ``ping`` for the others (``SweepConfig.ping_families``, what
``--method auto`` chooses when, say, an ICMPv4 socket may be opened and an ICMPv6 one may
not).

:class:`ByFamilyProbe` is fed like the prober (:class:`~scanner.net.feed.SubmittingProbe`):
an address of a prober family goes straight to it, one of a ``ping`` family to a task of its
own that runs the ``ping`` probe and calls back with its result, as the prober does. The
``ping`` hosts run under their own limit (each child holds descriptors), and their requests
spend the prober's packet budget (``--rate`` covers the whole sweep, both methods).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc

from scanner.net.config import ProbeMethod, SweepConfig, default_concurrency, open_file_capacity
from scanner.net.icmp.pacer import Pacer
from scanner.net.icmp.probe import open_icmp_probe
from scanner.net.icmp.prober import IcmpProber
from scanner.net.model import HostResult
from scanner.net.probes.ping import PingProbe, open_ping_probe
from scanner.net.replies import Request, reporting_to, stand_in

if TYPE_CHECKING:
    from scanner.net.spawn import Spawner


class PingHost:
    """A host the ``ping`` probe runs (the handle :meth:`ByFamilyProbe.submit` returns)."""

    __slots__ = ("address", "attempt", "requests", "started", "tag", "target")

    def __init__(
        self, target: str, address: str, tag: object, attempt: int, started: float | None
    ) -> None:
        self.target = target
        self.address = address
        self.tag = tag
        self.attempt = attempt
        self.started = started
        self.requests: list[Request] = []

    def settled(self) -> list[Request]:
        """Its requests reported so far."""
        return list(self.requests)


class ByFamilyProbe:
    """The ``icmp`` prober, with the system ``ping`` for the families in ``ping_families``."""

    name = "icmp"
    #: Both methods' packets are paced here (the prober's budget): no token bucket upstream.
    paces = True
    #: The prober's hosts hold no descriptor; the ``ping`` hosts are limited here.
    uses_descriptors = False

    def __init__(
        self,
        cfg: SweepConfig,
        icmp: IcmpProber,
        ping: PingProbe,
        tg: anyio.abc.TaskGroup,
        pacer: Pacer,
    ) -> None:
        self.cfg = cfg
        self.icmp = icmp
        self.ping = ping
        self.tg = tg
        self.pacer = pacer
        self.ping_families = frozenset(cfg.ping_families)
        capacity = open_file_capacity()
        slots = min(cfg.concurrency, default_concurrency())
        self.ping_slots = anyio.CapacityLimiter(slots if capacity is None else min(slots, capacity))

    def _by_ping(self, address: str) -> bool:
        return (6 if ":" in address else 4) in self.ping_families

    async def _paced(self) -> None:
        """Take the requests of one ``ping`` child from the sweep's packet budget (on
        credit, as the engine's token bucket does: the prober waits out the debt too)."""
        while self.pacer.available(time.monotonic()) < 1:
            await anyio.sleep(self.pacer.wait())
        self.pacer.spend(self.cfg.count)

    def submit(  # noqa: PLR0917  (positional: called once a host)
        self,
        target: str,
        address: str,
        done: Callable[[Any, HostResult], None],
        tag: object = None,
        attempt: int = 1,
        started: float | None = None,
        on_request: Callable[[Request], None] | None = None,
    ) -> object:
        """Start one attempt (see :meth:`IcmpProber.submit`): the prober's, or a task that
        runs ``ping``. The attempt's handle."""
        if not self._by_ping(address):
            return self.icmp.submit(target, address, done, tag, attempt, started, on_request)
        host = PingHost(target, address, tag, attempt, started)
        self.tg.start_soon(self._run_ping, host, done, on_request)
        return host

    async def _run_ping(
        self,
        host: PingHost,
        done: Callable[[Any, HostResult], None],
        on_request: Callable[[Request], None] | None,
    ) -> None:
        async def sink(request: Request) -> None:
            host.requests.append(request)
            if on_request is not None:
                on_request(request)

        async with self.ping_slots:
            await self._paced()
            with reporting_to(sink, live=on_request is not None):
                result = await self.ping.probe(host.target, host.address)
                if not host.requests and result.sent == 1:
                    # a probe that reported none of its requests: its one request (as the
                    # engine's task-per-host loop does), so reply lines show every host
                    await sink(stand_in(result))
        elapsed = 0.0 if host.started is None else round(time.monotonic() - host.started, 6)
        done(host, replace(result, attempts=host.attempt, elapsed_s=elapsed))

    def crowded(self) -> bool:
        """The prober's admission queue is long (the ``ping`` hosts wait for their slots)."""
        return self.icmp.crowded()

    async def room(self) -> None:
        """Wait until the prober is not :meth:`crowded`."""
        await self.icmp.room()

    async def probe(self, target: str, address: str) -> HostResult:
        """One attempt at one host by its family's method (loop rounds, the comparison's
        schedulers)."""
        if not self._by_ping(address):
            return await self.icmp.probe(target, address)
        async with self.ping_slots:
            await self._paced()
            return await self.ping.probe(target, address)


@asynccontextmanager
async def open_by_family_probe(
    cfg: SweepConfig, *, spawner: Spawner | None = None
) -> AsyncIterator[ByFamilyProbe]:
    """The prober for the families not in ``cfg.ping_families`` and the ``ping`` probe for
    those, for the length of the block."""
    icmp_families = [v for v in (4, 6) if v not in cfg.ping_families]
    if cfg.family:
        icmp_families = [v for v in icmp_families if v == cfg.family]
    # the prober opens only its own families' sockets (one family: that family's)
    family = icmp_families[0] if len(icmp_families) == 1 else 0
    icmp_cfg = replace(cfg, ping_families=(), family=family)
    ping_cfg = replace(cfg, method=ProbeMethod.PING, ping_families=())
    async with (
        open_icmp_probe(icmp_cfg) as icmp,
        open_ping_probe(ping_cfg, spawner=spawner) as ping,
        anyio.create_task_group() as tg,
    ):
        pacer = next(iter(icmp.families.values())).pacer
        yield ByFamilyProbe(cfg, icmp, ping, tg, pacer)


__all__ = ["ByFamilyProbe", "PingHost", "open_by_family_probe"]
