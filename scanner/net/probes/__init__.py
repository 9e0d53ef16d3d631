"""The probe seam: how one host is asked whether it is up.

A probe is the work unit of a sweep: one attempt at one address, returning a ``HostResult``.
The sweep engine (``scanner.net.engine``) owns everything around it — name resolution, the
family filter, retries with backoff, the concurrency slots, the rate limit, the result
stream — and the comparison module's schedulers call the same probes, so every scheduler
reads a host the same way.

Adding a probe method is one module here with an ``open_*`` async context manager, plus one
line in :data:`OPENERS`. A probe reports each request as it is answered or lost with
``await scanner.net.replies.report(Request(...))`` (reply lines, loop mode, the summary of a
host interrupted mid-probe); the engine numbers them and keeps the running figures. A loop
(``cfg.loop``) is the engine's: probes are opened with :meth:`SweepConfig.round_config` and
called once a round. A probe that takes hosts without a task each
(:class:`scanner.net.feed.SubmittingProbe`, the ``icmp`` prober in ``scanner.net.icmp``, the
``ping`` probe over the spawner threads in ``scanner.net.probes.ping_fed``) is
fed by the engine instead, and reports through the ``on_request`` callback it is handed; it
still offers ``probe`` (the loop's rounds, the comparison schedulers), reporting there with
``report`` as above.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Protocol

from scanner.net.config import ProbeMethod, SweepConfig

if TYPE_CHECKING:
    from scanner.net.model import HostResult
    from scanner.net.spawn import Spawner


class Probe(Protocol):
    """One attempt at one host."""

    #: The method's name, as ``--method`` spells it.
    name: str

    async def probe(self, target: str, address: str) -> HostResult:
        """Probe ``address`` (``target`` is what the user wrote) once: ``cfg.count``
        requests, waiting ``cfg.timeout`` for each reply; failures are results."""
        ...


Opener = Callable[[SweepConfig], AbstractAsyncContextManager[Probe]]


def _open_ping(cfg: SweepConfig) -> AbstractAsyncContextManager[Probe]:
    from scanner.net.probes.ping import open_ping_probe

    return open_ping_probe(cfg)


def _open_icmp(cfg: SweepConfig) -> AbstractAsyncContextManager[Probe]:
    from scanner.net.icmp.probe import open_icmp_probe

    return open_icmp_probe(cfg)


def _open_tcp(cfg: SweepConfig) -> AbstractAsyncContextManager[Probe]:
    from scanner.net.probes.tcp import open_tcp_probe

    return open_tcp_probe(cfg)


#: The opener of each probe method (imported lazily: a TCP sweep never loads the spawner).
OPENERS: dict[ProbeMethod, Opener] = {
    ProbeMethod.ICMP: _open_icmp,
    ProbeMethod.PING: _open_ping,
    ProbeMethod.TCP: _open_tcp,
}


@asynccontextmanager
async def open_probe(cfg: SweepConfig, *, spawner: Spawner | None = None) -> AsyncIterator[Probe]:
    """The probe ``cfg.method`` names, ready for the length of the block. ``spawner``
    replaces the child-process runner of the ``ping`` probe (tests script it); ``auto``
    becomes ``icmp`` or ``ping`` as :func:`scanner.net.icmp.choose_method` decides, and
    ``icmp`` with ``ping_families`` the prober and ``ping`` side by side
    (:mod:`scanner.net.probes.by_family`)."""
    if cfg.method is ProbeMethod.AUTO:
        from dataclasses import replace

        from scanner.net.icmp.method import choose_method

        choice = choose_method(cfg.method, cfg.icmp_socket, family=cfg.family)
        cfg = replace(cfg, method=choice.method, ping_families=choice.ping_families)
    if cfg.method is ProbeMethod.ICMP and cfg.ping_families:
        from scanner.net.probes.by_family import open_by_family_probe

        async with open_by_family_probe(cfg, spawner=spawner) as split:
            yield split
        return
    if spawner is not None and cfg.method is ProbeMethod.PING:
        from scanner.net.probes.ping import open_ping_probe

        async with open_ping_probe(cfg, spawner=spawner) as probe:
            yield probe
        return
    async with OPENERS[cfg.method](cfg) as probe:
        yield probe


__all__ = ["OPENERS", "Probe", "open_probe"]
