"""``--method auto``: the ICMP prober where this process may open an ICMP socket, else the
system ``ping``, and the one line that says which and why."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.errors import OperationFailed
from scanner.net.config import ProbeMethod
from scanner.net.icmp.access import detect_access


@dataclass(frozen=True, slots=True)
class MethodChoice:
    """The method a sweep runs, and the note for stderr (None: nothing to say)."""

    method: ProbeMethod
    note: str | None


def choose_method(
    method: ProbeMethod, icmp_socket: str = "auto", *, family: int = 0
) -> MethodChoice:
    """Resolve ``auto``; check that ``icmp`` can run (``OperationFailed``, exit 4, with what
    is missing when it cannot): the ICMPv6 socket decides for ``family`` 6, else the ICMPv4
    one. ``ping`` and ``tcp`` pass through."""
    if method not in (ProbeMethod.AUTO, ProbeMethod.ICMP):
        return MethodChoice(method, None)
    access = detect_access(6 if family == 6 else 4, icmp_socket)
    if access.kind is not None:
        note = f"method icmp ({access.why})" if method is ProbeMethod.AUTO else None
        return MethodChoice(ProbeMethod.ICMP, note)
    if method is ProbeMethod.ICMP:
        raise OperationFailed(
            f"--method icmp: no ICMP socket may be opened: {access.why} "
            "(--method ping runs the system ping instead)"
        )
    return MethodChoice(ProbeMethod.PING, f"method ping (no ICMP socket: {access.why})")


__all__ = ["MethodChoice", "choose_method"]
