"""A token bucket per connection: bursts are fine, a flood is refused frame by frame."""

from __future__ import annotations

import time


class TokenBucket:
    def __init__(self, rate_per_second: float, burst: int) -> None:
        self.rate = rate_per_second
        self.burst = burst
        self._tokens = float(burst)
        self._updated = time.monotonic()

    def take(self) -> float:
        """0 when allowed; otherwise the seconds until the next frame would be."""
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate
