"""Circuit breaker per (base URL, model): fail fast while an endpoint is down.

Closed: calls flow; the outcome of each (server error, connection error or
timeout = failure; any answer from a live server = success; rate limits are
neutral) goes into a sliding window. When at least ``min_calls`` outcomes
are in the window and ``failure_ratio`` of them are failures, the breaker
opens. Open: calls fail at once (or go to a fallback model) for
``open_seconds``. Half-open: ``half_open_probes`` calls are let through; a
success closes the breaker, a failure opens it again.

A ratio over a window, not a count of consecutive failures, because under
concurrency a healthy-but-flaky endpoint (say 30 % transient errors) easily
produces runs of failures that would trip a consecutive counter.
"""

from __future__ import annotations

import threading
from collections import deque

from conduit.pipeline.resilience.clock import Clock
from conduit.pipeline.resilience.config import BreakerPolicy

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitBreaker:
    def __init__(self, policy: BreakerPolicy, clock: Clock) -> None:
        self.policy = policy
        self.clock = clock
        self.state = CLOSED
        self._window: deque[bool] = deque(maxlen=policy.window)
        self._opened_at = 0.0
        self._probes = 0
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """May a call go out now? (In half-open, taking a probe slot.)"""
        if self.state == CLOSED:
            return True
        with self._lock:
            if self.state == OPEN:
                if self.clock.now() - self._opened_at < self.policy.open_seconds:
                    return False
                self.state, self._probes = HALF_OPEN, 0
            if self.state == HALF_OPEN:
                if self._probes >= self.policy.half_open_probes:
                    return False
                self._probes += 1
            return True

    def retry_in(self) -> float:
        return max(0.0, self.policy.open_seconds - (self.clock.now() - self._opened_at))

    def record(self, outcome: str) -> None:
        """``success`` | ``failure`` | ``neutral``, for a call that ``allow()`` let through."""
        with self._lock:
            if self.state == HALF_OPEN:
                self._probes = max(0, self._probes - 1)
                if outcome == "failure":
                    self._open()
                else:
                    self.state = CLOSED
                    self._window.clear()
                return
            if self.state == OPEN or outcome == "neutral":
                return
            self._window.append(outcome == "failure")
            n = len(self._window)
            if n >= self.policy.min_calls and sum(self._window) >= self.policy.failure_ratio * n:
                self._open()

    def _open(self) -> None:
        self.state = OPEN
        self._opened_at = self.clock.now()
        self._window.clear()


class Breakers:
    """The process's breakers, created on first use per (origin, model)."""

    def __init__(self, policy: BreakerPolicy, clock: Clock) -> None:
        self.policy = policy
        self.clock = clock
        self._breakers: dict[tuple[str, str | None], CircuitBreaker] = {}
        self._lock = threading.Lock()

    def get(self, origin: str, model: str | None) -> CircuitBreaker:
        key = (origin, model)
        breaker = self._breakers.get(key)
        if breaker is None:
            with self._lock:
                breaker = self._breakers.get(key)
                if breaker is None:
                    breaker = self._breakers[key] = CircuitBreaker(self.policy, self.clock)
        return breaker
