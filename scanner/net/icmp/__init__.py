"""The ``icmp`` probe method: ICMP/ICMPv6 echo over this process's own sockets.

``packet`` builds and reads the packets (pure), ``access`` says which socket kind this process
may open and why, ``prober`` runs one sender and one receiver task per address family, and
``method`` turns ``--method auto`` into ``icmp`` or ``ping`` (per address family: see
``scanner.net.probes.by_family``) with the note that says why.
"""

from __future__ import annotations

from scanner.net.icmp.access import Access, SocketKind, detect_access
from scanner.net.icmp.method import MethodChoice, choose_method
from scanner.net.icmp.prober import IcmpProber, open_icmp_prober

__all__ = [
    "Access",
    "IcmpProber",
    "MethodChoice",
    "SocketKind",
    "choose_method",
    "detect_access",
    "open_icmp_prober",
]
