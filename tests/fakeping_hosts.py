"""The fake ``ping``'s host table that the sweep tests share: one host of each outcome."""

from __future__ import annotations

from scanner.labs.fakeping import FAIL, GARBAGE, HOST_UNREACHABLE, SILENT, Behaviour, Kind

#: 127.0.0.1 answers (the fake's default); .2 is silent, .3 gets "Destination Host
#: Unreachable", .4 loses every second request, .5 prints what no parser reads, .6 fails
#: (a local error, exit 2).
MIXED_HOSTS: dict[str, Behaviour] = {
    "127.0.0.2": SILENT,
    "127.0.0.3": HOST_UNREACHABLE,
    "127.0.0.4": Behaviour(Kind.LOSS, every=2),
    "127.0.0.5": GARBAGE,
    "127.0.0.6": FAIL,
}
