"""The ``icmp`` probe method: ICMP/ICMPv6 echo over this process's own sockets.

``packet`` builds and reads the packets (pure), ``access`` says which socket kind this process
may open and why, ``prober`` runs one sender and one receiver task per address family, and
``method`` turns ``--method auto`` into ``icmp`` or ``ping`` (per address family: see
``scanner.net.probes.by_family``) with the note that says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scanner.lazy import lazy_attributes

if TYPE_CHECKING:
    from scanner.net.icmp.access import Access, SocketKind, detect_access
    from scanner.net.icmp.method import MethodChoice, choose_method
    from scanner.net.icmp.prober import IcmpProber, open_icmp_prober

#: Loaded on first use: ``--method ping`` reads ``method`` and ``slots`` of this package, and
#: the prober's import chain is a tenth of that command's start-up.
_HOMES = {
    "Access": "access",
    "SocketKind": "access",
    "detect_access": "access",
    "MethodChoice": "method",
    "choose_method": "method",
    "IcmpProber": "prober",
    "open_icmp_prober": "prober",
}

__getattr__ = lazy_attributes(
    __name__, {name: f"{__name__}.{home}" for name, home in _HOMES.items()}
)


__all__ = [
    "Access",
    "IcmpProber",
    "MethodChoice",
    "SocketKind",
    "choose_method",
    "detect_access",
    "open_icmp_prober",
]
