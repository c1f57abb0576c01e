"""Resilience: retries, rate limits, timeouts, circuit breakers and fallbacks for the pipeline.

The ``send`` stage of every exchange goes through here (see
:mod:`conduit.pipeline.resilience.run`). The official SDK's own retries are
off; this layer decides, with tenacity, which failures to retry (408, 409,
429 rate limits, 500, 502, 503, 504, connection errors, timeouts -- never
other 4xx or ``insufficient_quota``), how long to wait (the server's
``Retry-After`` / ``retry-after-ms`` / ``x-ratelimit-reset-*``, else
exponential backoff with full jitter), and when to stop (attempts, total
wait, USD cap, budget). Every attempt is a ledger row; the exchange is
settled once.

Configuration lives in ``[resilience]`` of ``conduit.toml`` (see
:mod:`~conduit.pipeline.resilience.config`). Rate limiters and circuit
breakers are process-wide: every client built in the process shares them.
Tests swap in a :class:`FakeClock` so nothing really sleeps::

    from conduit.pipeline.resilience import FakeClock, Resilience, use_resilience
    clock = FakeClock()
    with use_resilience(Resilience(clock=clock)):
        client = conduit.OpenAI()
        ...
    assert clock.sleeps == [1.5]
"""

from __future__ import annotations

import random
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from conduit.pipeline.resilience.breaker import Breakers, CircuitBreaker
from conduit.pipeline.resilience.classify import RETRY_STATUSES, Verdict, classify_error, classify_response
from conduit.pipeline.resilience.clock import Clock, FakeClock, SystemClock
from conduit.pipeline.resilience.config import (
    BreakerPolicy,
    RateLimitRule,
    ResilienceConfig,
    RetryPolicy,
    Timeouts,
)
from conduit.pipeline.resilience.errors import CircuitOpenError, RateLimitQueueFull
from conduit.pipeline.resilience.events import ResilienceEvent, add_listener, listening, remove_listener
from conduit.pipeline.resilience.hints import parse_duration, retry_hint
from conduit.pipeline.resilience.ratelimit import RateLimiter, RateLimits, SharedRateLimiter, TokenBucket
from conduit.pipeline.resilience.run import Attempt, ExchangeRun

if TYPE_CHECKING:  # pragma: no cover
    import httpx2

    from conduit.pipeline.core import Pipeline
    from conduit.pipeline.exchange import Exchange
    from conduit.settings import Settings

__all__ = [
    "RETRY_STATUSES",
    "Attempt",
    "BreakerPolicy",
    "Breakers",
    "CircuitBreaker",
    "CircuitOpenError",
    "Clock",
    "ExchangeRun",
    "FakeClock",
    "RateLimitQueueFull",
    "RateLimitRule",
    "RateLimiter",
    "RateLimits",
    "Resilience",
    "ResilienceConfig",
    "SharedRateLimiter",
    "ResilienceEvent",
    "RetryPolicy",
    "SystemClock",
    "Timeouts",
    "TokenBucket",
    "Verdict",
    "add_listener",
    "classify_error",
    "classify_response",
    "default_resilience",
    "listening",
    "parse_duration",
    "remove_listener",
    "retry_hint",
    "use_resilience",
]


class Resilience:
    """Policy plus the process-wide state it needs: limiters, breakers, a clock, a random source."""

    def __init__(
        self,
        config: ResilienceConfig | None = None,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config or ResilienceConfig()
        self.clock: Clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self.limits = RateLimits(self.clock)
        self.breakers = Breakers(self.config.breaker, self.clock)

    @classmethod
    def from_settings(cls, settings: "Settings | None" = None, **kwargs: Any) -> "Resilience":
        """From ``[resilience]`` in ``conduit.toml``."""
        if settings is None:
            from conduit.settings import get_settings

            settings = get_settings()
        return cls(ResilienceConfig.from_mapping(settings.section("resilience")), **kwargs)

    def start(self, pipeline: "Pipeline", exchange: "Exchange", url: "httpx2.URL") -> ExchangeRun:
        """The retry state for one exchange sent to ``url``."""
        return ExchangeRun(self, pipeline, exchange, _origin(url))


def _origin(url: "httpx2.URL") -> str:
    port = url.port
    return f"{url.scheme}://{url.host}{':' + str(port) if port else ''}"


_lock = threading.Lock()
_default: tuple[Any, Resilience] | None = None
_override: list[Resilience] = []


def default_resilience() -> Resilience:
    """The process's Resilience: the innermost ``use_resilience`` one, else built from settings.

    Rebuilt only when the settings object changes, so every client in the
    process shares one set of rate limiters and circuit breakers.
    """
    global _default
    if _override:
        return _override[-1]
    from conduit.settings import get_settings

    settings = get_settings()
    current = _default
    if current is not None and current[0] is settings:
        return current[1]
    with _lock:
        if _default is None or _default[0] is not settings:
            _default = (settings, Resilience.from_settings(settings))
        return _default[1]


@contextmanager
def use_resilience(resilience: Resilience) -> Iterator[Resilience]:
    """Clients built inside the block use ``resilience`` (tests: a FakeClock; scripts: a policy)."""
    with _lock:
        _override.append(resilience)
    try:
        yield resilience
    finally:
        with _lock:
            _override.remove(resilience)
