"""Client-side rate limiting: token buckets per (base URL, model), shared by the process.

Each model with a configured rule gets two buckets -- requests per minute
and tokens per minute -- refilled continuously. A call takes one request and
its estimated tokens (input + worst-case output, as OpenAI counts them)
*immediately*, even into debt, and is told how long to wait until the debt
would be paid off. Taking first and waiting after keeps the lock held for
microseconds, serves callers in arrival order, and works the same for
threads (``clock.sleep``) and tasks (``await clock.asleep``). When the call
finishes, the charge is corrected with the actual tokens; a call that got an
error response (never processed) is refunded its tokens.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from conduit.pipeline.resilience.clock import Clock
from conduit.pipeline.resilience.config import RateLimitRule


class TokenBucket:
    """``per_minute`` units, refilled continuously; may go into debt (see module doc)."""

    __slots__ = ("capacity", "rate", "level", "stamp")

    def __init__(self, per_minute: float, now: float) -> None:
        self.capacity = float(per_minute)
        self.rate = self.capacity / 60.0
        self.level = self.capacity
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
            self.stamp = now

    def take(self, amount: float, now: float) -> float:
        """Take ``amount`` (capped at the capacity); return seconds until the level is >= 0."""
        self._refill(now)
        self.level -= min(float(amount), self.capacity)
        return 0.0 if self.level >= 0 else -self.level / self.rate

    def give(self, amount: float, now: float) -> None:
        self._refill(now)
        self.level = min(self.capacity, self.level + float(amount))


@dataclass(slots=True)
class Ticket:
    """What one call took from a limiter, so it can be corrected later."""

    limiter: "RateLimiter"
    tokens: int
    wait: float
    settled: bool = False


class RateLimiter:
    """The rpm and tpm buckets of one (base URL, model)."""

    def __init__(self, rule: RateLimitRule, clock: Clock) -> None:
        self.rule = rule
        self.clock = clock
        now = clock.now()
        self._requests = TokenBucket(rule.rpm, now) if rule.rpm else None
        self._tokens = TokenBucket(rule.tpm, now) if rule.tpm else None
        self._lock = threading.Lock()

    def take(self, tokens: int) -> Ticket:
        with self._lock:
            now = self.clock.now()
            wait = 0.0
            if self._requests is not None:
                wait = self._requests.take(1, now)
            if self._tokens is not None:
                wait = max(wait, self._tokens.take(tokens, now))
        return Ticket(self, tokens, wait)

    def correct(self, ticket: Ticket, actual_tokens: int) -> None:
        """Replace the estimate with the actual count (refund or extra charge)."""
        if ticket.settled:
            return
        ticket.settled = True
        if self._tokens is None:
            return
        with self._lock:
            now = self.clock.now()
            difference = ticket.tokens - actual_tokens
            if difference > 0:
                self._tokens.give(difference, now)
            elif difference < 0:
                self._tokens.take(-difference, now)

    def cancel(self, ticket: Ticket, *, request_sent: bool) -> None:
        """Give back the tokens (and the request, if it was never sent)."""
        if ticket.settled:
            return
        ticket.settled = True
        with self._lock:
            now = self.clock.now()
            if self._tokens is not None:
                self._tokens.give(ticket.tokens, now)
            if not request_sent and self._requests is not None:
                self._requests.give(1, now)


class RateLimits:
    """The process's limiters, created on first use per (origin, model)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._limiters: dict[tuple[str, str, RateLimitRule], RateLimiter] = {}
        self._lock = threading.Lock()

    def limiter(self, origin: str, model: str, rule: RateLimitRule) -> RateLimiter:
        key = (origin, model, rule)
        limiter = self._limiters.get(key)
        if limiter is None:
            with self._lock:
                limiter = self._limiters.get(key)
                if limiter is None:
                    limiter = self._limiters[key] = RateLimiter(rule, self.clock)
        return limiter
