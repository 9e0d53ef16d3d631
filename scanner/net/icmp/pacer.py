"""The ICMP prober's packet budget: ``--rate`` requests per second over the whole sweep."""

from __future__ import annotations


class Pacer:
    """The whole sweep's packet budget: ``rate`` per second, a burst of 10 ms worth."""

    def __init__(self, rate: float, clock: float) -> None:
        self.rate = rate
        self.burst = max(1.0, rate / 100.0)
        self.tokens = 1.0
        self.stamp = clock

    def available(self, now: float) -> int:
        """Packets that may leave now (the caller spends them with :meth:`spend`)."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return int(self.tokens)

    def spend(self, packets: int) -> None:
        """Take ``packets`` tokens."""
        self.tokens -= packets

    def wait(self) -> float:
        """Seconds until the next token."""
        return max(0.0, (1.0 - self.tokens) / self.rate)


__all__ = ["Pacer"]
