"""What one ``ping`` run reported, as its parser (``scanner.net.ping_parse``) read it; also
``scanner.net.model.PingStats``. Its own module: the other probe methods never load it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PingStats:
    """What one ``ping`` run reported, as read from its output.

    Counts come from ping's own summary when it printed one (``summary_seen``), otherwise
    from the per-reply lines that were seen. RTTs are milliseconds; the ``rtt_*`` figures
    are ping's own summary values when printed (so they match what a user sees in a
    terminal) and are ``None`` when nothing answered.

    ``received`` counts echo replies only: on Windows, where ping's own "Received" also
    counts "Destination host unreachable" replies, ``received`` and ``loss_pct`` are
    therefore lower/higher than what ping.exe printed, on purpose.
    """

    sent: int = 0
    received: int = 0  # echo replies from the target, duplicates not included
    duplicates: int = 0
    errors: int = 0  # ICMP errors (unreachable, TTL exceeded) reported by ping
    rtts_ms: tuple[float, ...] = ()  # one per reply line seen, in order (duplicates excluded)
    rtt_min: float | None = None
    rtt_avg: float | None = None
    rtt_max: float | None = None
    rtt_mdev: float | None = None  # iputils' mdev, BSD/macOS stddev; None on Windows
    loss_pct: float = 100.0  # (sent - received) * 100 / sent; 100.0 when nothing was sent
    ttl: int | None = None  # TTL of the first reply
    summary_seen: bool = False  # False: output not understood (empty, garbage, localised)
    error_text: str | None = None  # first diagnostic line ping printed ("unknown host" ...)


__all__ = ["PingStats"]
