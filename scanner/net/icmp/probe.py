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
        access = detect_access(6 if cfg.family == 6 else 4)
        if access.kind is None:
            raise OperationFailed(f"no ICMP socket may be opened: {access.why}")
        kind = access.kind
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
