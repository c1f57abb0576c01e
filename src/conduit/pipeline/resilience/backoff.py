"""How long to wait before the next attempt (a tenacity wait strategy).

If the server said when to come back (``retry-after-ms``, ``retry-after``,
``x-ratelimit-reset-*``), wait that long plus a little spread
(``hint_jitter``, so a crowd of clients told the same instant does not
return together). Otherwise: exponential backoff with *full jitter* --
``uniform(0, min(max_delay, base_delay * 2 ** (n - 1)))`` for the n-th
retry -- which spreads retries best under contention (AWS Architecture
Blog, "Exponential Backoff And Jitter"). The random source is injectable so
tests get exact numbers.
"""

from __future__ import annotations

import random
from typing import Any

from tenacity import RetryCallState
from tenacity.wait import wait_base

from conduit.pipeline.resilience.config import RetryPolicy


def backoff_seconds(policy: RetryPolicy, retry_number: int, hint: float | None, rng: random.Random) -> float:
    """The wait before retry ``retry_number`` (1 = the first retry)."""
    if hint is not None:
        return hint * (1.0 + policy.hint_jitter * rng.random())
    ceiling = min(policy.max_delay, policy.base_delay * (2.0 ** (retry_number - 1)))
    return rng.uniform(0.0, ceiling)


class BackoffWait(wait_base):
    """tenacity adapter: reads the hint from the last attempt's verdict."""

    def __init__(self, policy: RetryPolicy, rng: random.Random, attempts_of_model: Any) -> None:
        self.policy = policy
        self.rng = rng
        self._attempts = attempts_of_model  # callable → attempts made on the current model

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        hint = None
        if outcome is not None and not outcome.failed:
            hint = outcome.result().verdict.hint_s
        return backoff_seconds(self.policy, self._attempts(), hint, self.rng)
