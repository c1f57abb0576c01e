"""Errors the resilience layer raises itself (network and HTTP errors pass through unchanged)."""

from __future__ import annotations

from conduit.errors import UpstreamError


class CircuitOpenError(UpstreamError):
    """The endpoint failed repeatedly; calls fail fast until a probe succeeds."""

    def __init__(self, model: str | None, origin: str, retry_in: float) -> None:
        super().__init__(
            f"{origin} is failing for {model or 'this endpoint'}: the circuit breaker is open, "
            f"so the call was not sent (next probe in {retry_in:.0f} s).",
            "Wait and try again, configure a fallback model under [resilience.fallbacks] in conduit.toml, "
            "or check the provider's status page.",
        )
        self.model = model
        self.origin = origin
        self.retry_in = retry_in


class RateLimitQueueFull(UpstreamError):
    """The client-side rate limit would make this call wait longer than allowed."""

    def __init__(self, model: str | None, wait: float, max_queue: float) -> None:
        super().__init__(
            f"The client-side rate limit for {model} would hold this call for {wait:.1f} s "
            f"(more than max_queue = {max_queue:g} s); it was not sent.",
            "Send fewer calls at once, or raise rpm/tpm/max_queue under [resilience.rate_limits] in conduit.toml.",
        )
        self.model = model
        self.wait = wait
