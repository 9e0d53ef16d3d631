"""TCP connect probe, for networks that drop ICMP.

A host that accepts *or refuses* a connection answered, so it is up (as ``nmap -sn`` reads
a RST); a connect that times out means down. Ports are tried in order and the first
answer decides. No data is sent: the connection is closed as soon as it is made.
"""

from __future__ import annotations

import errno
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio

from scanner.net.config import SweepConfig
from scanner.net.model import HostResult, HostState

#: errnos that mean a router (or the local stack) said the host cannot be reached.
_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}


@dataclass(frozen=True, slots=True)
class TcpOutcome:
    """What the probe of one host found."""

    state: HostState
    cause: str | None
    port: int | None  # the port that answered
    tried: int  # ports tried
    rtt_ms: float | None  # time to the answer (accept or refuse)


async def tcp_probe(address: str, ports: Sequence[int], timeout: float) -> TcpOutcome:
    """Connect to ``address`` on each port in turn until one answers."""
    state, cause = HostState.UNREACHABLE, "timeout"
    for tried, port in enumerate(ports, 1):
        start = time.perf_counter()
        state, cause = HostState.UNREACHABLE, "timeout"
        with anyio.move_on_after(timeout):
            try:
                stream = await anyio.connect_tcp(address, port)
            except OSError as exc:
                # anyio reports "All connection attempts failed" with the real error as the
                # cause (one per address tried; an IP literal is a single address)
                real = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
                if isinstance(real, ConnectionRefusedError):
                    return TcpOutcome(HostState.ALIVE, None, port, tried, _ms_since(start))
                cause = real.strerror or str(real)
                if real.errno not in _UNREACHABLE:
                    state = HostState.ERROR  # not an answer about the host: say so
                continue
            rtt = _ms_since(start)
            await stream.aclose()
            return TcpOutcome(HostState.ALIVE, None, port, tried, rtt)
    return TcpOutcome(state, cause, None, len(ports), None)


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


class TcpProbe:
    """Connects to each port in turn: the ``tcp`` probe method."""

    name = "tcp"

    def __init__(self, cfg: SweepConfig) -> None:
        self.cfg = cfg

    async def probe(self, target: str, address: str) -> HostResult:
        """One round of connects to ``address``."""
        outcome = await tcp_probe(address, self.cfg.ports, self.cfg.timeout)
        rtt = outcome.rtt_ms
        alive = outcome.state is HostState.ALIVE
        return HostResult(
            target=target,
            address=address,
            state=outcome.state,
            cause=outcome.cause,
            sent=outcome.tried,
            received=1 if alive else 0,
            loss_pct=100.0 * (outcome.tried - 1) / outcome.tried if alive else 100.0,
            rtt_min=rtt,
            rtt_avg=rtt,
            rtt_max=rtt,
        )


@asynccontextmanager
async def open_tcp_probe(cfg: SweepConfig) -> AsyncIterator[TcpProbe]:
    """The TCP probe needs no set-up."""
    yield TcpProbe(cfg)
