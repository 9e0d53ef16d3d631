"""``--method auto``: the ICMP prober where this process may open an ICMP socket, else the
system ``ping``, and the one line that says which and why.

The choice is made per address family: a host may let a process open an ICMPv4 socket and
not an ICMPv6 one (or the other way round), and a sweep over both families then runs the
prober for the one and ``ping`` for the other (``SweepConfig.ping_families``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from scanner.errors import OperationFailed
from scanner.net.config import ProbeMethod
from scanner.net.icmp.access import Access, detect_access


@dataclass(frozen=True, slots=True)
class MethodChoice:
    """The method a sweep runs, and the note for stderr (None: nothing to say)."""

    method: ProbeMethod
    note: str | None
    #: With ``method`` icmp: the families whose hosts the system ``ping`` probes instead.
    ping_families: tuple[int, ...] = ()


def _reasons(access: dict[int, Access], versions: Iterable[int]) -> str:
    """The reasons of ``versions``, once when they read the same (one sysctl and one
    capability govern both families on Linux), else each named by its family."""
    whys = {v: access[v].why for v in versions}
    if len(set(whys.values())) == 1:
        return next(iter(whys.values()))
    return "; ".join(f"ICMPv{v}: {why}" for v, why in whys.items())


def choose_method(
    method: ProbeMethod,
    icmp_socket: str = "auto",
    *,
    family: int = 0,
    families: Iterable[int] = (4, 6),
    detect: Callable[[int, str], Access] | None = None,
) -> MethodChoice:
    """Resolve ``auto``; check that ``icmp`` can run (``OperationFailed``, exit 4, with what
    is missing when it cannot). ``ping`` and ``tcp`` pass through.

    The families asked about are ``family`` when the sweep keeps to one (``-4``/``-6``),
    else ``families``, those its targets may need (both for names). ``auto`` runs ``icmp``
    when every one of them may open an ICMP socket, ``ping`` when none may, and otherwise
    ``icmp`` with ``ping`` for the rest (``ping_families``); ``icmp`` fails only when none
    may (the hosts of a family without a socket are then errors with the cause).
    ``detect`` replaces :func:`~scanner.net.icmp.access.detect_access` (tests)."""
    if method not in (ProbeMethod.AUTO, ProbeMethod.ICMP):
        return MethodChoice(method, None)
    versions = (family,) if family in (4, 6) else tuple(sorted(set(families) & {4, 6}))
    detect = detect or detect_access
    access = {v: detect(v, icmp_socket) for v in versions or (4,)}
    able = [v for v, got in access.items() if got.kind is not None]
    unable = [v for v, got in access.items() if got.kind is None]
    if not able:
        why = _reasons(access, unable)
        if method is ProbeMethod.ICMP:
            raise OperationFailed(
                f"--method icmp: no ICMP socket may be opened: {why} "
                "(--method ping runs the system ping instead)"
            )
        return MethodChoice(ProbeMethod.PING, f"method ping (no ICMP socket: {why})")
    if method is ProbeMethod.ICMP:
        return MethodChoice(ProbeMethod.ICMP, None)
    if not unable:
        return MethodChoice(ProbeMethod.ICMP, f"method icmp ({_reasons(access, able)})")
    by_icmp = ", ".join(f"IPv{v}" for v in able)
    by_ping = ", ".join(f"IPv{v}" for v in unable)
    sockets = ", ".join(f"ICMPv{v}" for v in unable)
    note = (
        f"method icmp for {by_icmp} ({_reasons(access, able)}), ping for {by_ping} "
        f"(no {sockets} socket: {_reasons(access, unable)})"
    )
    return MethodChoice(ProbeMethod.ICMP, note, tuple(unable))


__all__ = ["MethodChoice", "choose_method"]
