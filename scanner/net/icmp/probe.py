"""The ``icmp`` probe's opener for the probe seam (``scanner.net.probes``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from scanner.errors import OperationFailed
from scanner.net.config import SweepConfig
from scanner.net.icmp.access import SocketKind, detect_access
from scanner.net.icmp.prober import IcmpProber, open_icmp_prober


@asynccontextmanager
async def open_icmp_probe(cfg: SweepConfig) -> AsyncIterator[IcmpProber]:
    """The ICMP prober with the socket kind ``cfg.icmp_socket`` names (auto: datagram where
    permitted, else raw), paced at ``cfg.icmp_rate``; ``OperationFailed`` when no ICMP
    socket may be opened."""
    if cfg.icmp_socket == "auto":
        # the first family that may open one decides (a family that may not: its hosts
        # are errors with the cause, see open_icmp_prober)
        first = None
        for version in (cfg.family,) if cfg.family else (4, 6):
            access = detect_access(version)
            first = first or access
            if access.kind is not None:
                kind = access.kind
                break
        else:
            assert first is not None
            raise OperationFailed(f"no ICMP socket may be opened: {first.why}")
    else:
        kind = SocketKind(cfg.icmp_socket)
    opened = False
    try:
        async with open_icmp_prober(cfg, kind=kind, rate=cfg.icmp_rate) as prober:
            opened = True
            yield prober
    except OSError as exc:
        if opened:
            raise
        raise OperationFailed(f"cannot open an ICMP socket: {exc.strerror or exc}") from None
