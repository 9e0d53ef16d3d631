"""Concurrent, bounded name resolution for sweeps.

``anyio.getaddrinfo`` runs the system resolver in a worker thread; a lookup that outlives its
timeout is abandoned (the thread finishes on its own) and the host becomes an UNRESOLVED
result with the cause, like every other lookup failure. Nothing is ever dropped.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio

#: ``(host, family) -> addresses in resolver order``; raises ``OSError``/``socket.gaierror``.
LookupFunc = Callable[[str, int], Awaitable[list[str]]]


@dataclass(frozen=True, slots=True)
class Resolution:
    """An address, or the reason there is none."""

    address: str | None
    cause: str | None = None


async def system_lookup(host: str, family: int) -> list[str]:
    """Addresses of ``host`` from the system resolver (``family``: 0, 4 or 6)."""
    fam = {0: socket.AF_UNSPEC, 4: socket.AF_INET, 6: socket.AF_INET6}[family]
    infos = await anyio.getaddrinfo(host, None, family=fam, type=socket.SOCK_RAW)
    seen: dict[str, None] = {}
    for _fam, _type, _proto, _canon, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]), None)
    return list(seen)


def _family_of(address: str) -> int:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).version
    except ValueError:
        return 0


class Resolver:
    """Bounded concurrent lookups with a per-lookup timeout."""

    def __init__(
        self,
        *,
        concurrency: int = 32,
        timeout: float = 5.0,
        family: int = 0,
        lookup: LookupFunc = system_lookup,
    ) -> None:
        self._limiter = anyio.CapacityLimiter(concurrency)
        self._timeout = timeout
        self._family = family
        self._lookup = lookup

    async def resolve(self, host: str) -> Resolution:
        """The first address of the wanted family, or an unresolved cause."""
        async with self._limiter:
            with anyio.move_on_after(self._timeout) as scope:
                try:
                    addresses = await self._lookup(host, self._family)
                except socket.gaierror as exc:
                    return Resolution(None, exc.strerror or str(exc))
                except OSError as exc:
                    return Resolution(None, exc.strerror or str(exc))
        if scope.cancelled_caught:
            return Resolution(None, f"name lookup timed out after {self._timeout:g} s")
        if self._family:
            addresses = [a for a in addresses if _family_of(a) == self._family]
        if not addresses:
            which = f"IPv{self._family} " if self._family else ""
            return Resolution(None, f"no {which}address for this name")
        return Resolution(addresses[0])
