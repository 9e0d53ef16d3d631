"""A token bucket for the sweep's global rate limit (echo requests per second).

Reservations are taken synchronously, so concurrent tasks on one event loop can never
overdraw the bucket between an ``await`` and the next: a task that finds it empty takes the
tokens on credit (the balance goes negative) and sleeps until they would have refilled.
Later tasks queue behind that debt. The result is an even spacing of ``1 / rate`` seconds
between requests after an initial burst of ``burst`` tokens.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up."""

    def __init__(
        self, rate: float, burst: float = 1.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not rate > 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(1.0, burst)
        self._clock = clock
        self._tokens = self.burst
        self._stamp = clock()

    def reserve(self, tokens: float = 1.0) -> float:
        """Take ``tokens`` now; return how many seconds to wait before using them."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        self._tokens -= tokens
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    async def acquire(self, tokens: float = 1.0) -> None:
        """Wait until ``tokens`` may be spent."""
        delay = self.reserve(tokens)
        if delay > 0:
            await anyio.sleep(delay)
