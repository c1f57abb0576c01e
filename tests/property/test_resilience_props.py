"""Invariants of the resilience layer, under arbitrary fault sequences and timings."""

from __future__ import annotations

import json
import random
import tempfile
from decimal import Decimal
from typing import Any

import httpx2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conduit.ledger import open_ledger
from conduit.pipeline.core import Pipeline
from conduit.pipeline.resilience import FakeClock, RateLimiter, RateLimitRule, Resilience, ResilienceConfig
from conduit.pipeline.resilience.backoff import backoff_seconds
from conduit.pipeline.resilience.breaker import OPEN, CircuitBreaker
from conduit.pipeline.resilience.classify import RETRY_STATUSES
from conduit.pipeline.resilience.config import BreakerPolicy, RetryPolicy
from conduit.pipeline.transport import GovernedTransport


@settings(max_examples=200, deadline=None)
@given(
    per_minute=st.integers(min_value=1, max_value=600),
    calls=st.lists(
        st.tuples(st.floats(min_value=0, max_value=5), st.integers(min_value=1, max_value=50)), min_size=1, max_size=40
    ),
)
def test_limiter_never_admits_more_than_the_rate_allows(per_minute: int, calls: list[tuple[float, int]]) -> None:
    """Whatever the arrival pattern, the admitted schedule fits the bucket in every window."""
    clock = FakeClock(0.0)
    limiter = RateLimiter(RateLimitRule(tpm=per_minute), clock)
    admitted: list[tuple[float, float]] = []
    for gap, amount in calls:
        clock.advance(gap)
        ticket = limiter.take(amount)
        admitted.append((clock.now() + ticket.wait, min(amount, per_minute)))
    rate = per_minute / 60.0
    admitted.sort()
    for i, (start, _) in enumerate(admitted):
        total = 0.0
        for when, amount in admitted[i:]:
            total += amount
            assert total <= per_minute + rate * (when - start) + 1e-6


@given(
    base=st.floats(min_value=0.01, max_value=5),
    cap=st.floats(min_value=0.01, max_value=60),
    retry=st.integers(min_value=1, max_value=30),
    hint=st.one_of(st.none(), st.floats(min_value=0, max_value=120)),
    jitter=st.floats(min_value=0, max_value=1),
    seed=st.integers(0, 2**32),
)
def test_backoff_bounds(base: float, cap: float, retry: int, hint: float | None, jitter: float, seed: int) -> None:
    policy = RetryPolicy(base_delay=base, max_delay=cap, hint_jitter=jitter)
    wait = backoff_seconds(policy, retry, hint, random.Random(seed))
    if hint is None:
        assert 0.0 <= wait <= min(cap, base * 2 ** (retry - 1)) + 1e-9
    else:
        assert hint <= wait <= hint * (1 + jitter) + 1e-9  # never earlier than the server asked


@given(steps=st.lists(st.tuples(st.sampled_from(["success", "failure", "neutral"]), st.floats(0, 20)), max_size=80))
def test_breaker_fails_fast_for_the_whole_open_period(steps: list[tuple[str, float]]) -> None:
    clock = FakeClock(0.0)
    policy = BreakerPolicy(window=6, min_calls=3, failure_ratio=0.6, open_seconds=30)
    breaker = CircuitBreaker(policy, clock)
    opened_at: float | None = None
    for outcome, gap in steps:
        clock.advance(gap)
        allowed = breaker.allow()
        if opened_at is not None and clock.now() - opened_at < policy.open_seconds:
            assert not allowed
        if allowed:
            breaker.record(outcome)
        if breaker.state == OPEN and (opened_at is None or breaker.retry_in() == policy.open_seconds):
            opened_at = clock.now()
        elif breaker.state != OPEN:
            opened_at = None


_OUTCOME = st.one_of(
    st.sampled_from([200, 400, 401, 404, 422, 408, 409, 429, 500, 502, 503, 504, "quota", "drop"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(outcomes=st.lists(_OUTCOME, min_size=1, max_size=10), max_attempts=st.integers(1, 6), seed=st.integers(0, 999))
def test_any_fault_sequence_settles_once_and_stops_where_it_must(
    outcomes: list[Any], max_attempts: int, seed: int
) -> None:
    script = iter(outcomes)
    sent: list[Any] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        outcome = next(script, 200)
        sent.append(outcome)
        if outcome == "drop":
            raise httpx2.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        if outcome == 200:
            return httpx2.Response(200, json=_completion())
        code = "insufficient_quota" if outcome == "quota" else ("rate_limit_exceeded" if outcome == 429 else None)
        status = 429 if outcome == "quota" else outcome
        return httpx2.Response(status, json={"error": {"message": "x", "type": "t", "code": code}})

    clock = FakeClock()
    resilience = Resilience(
        ResilienceConfig.from_mapping({"max_attempts": max_attempts, "circuit_breaker": {"enabled": False}}),
        clock=clock,
        rng=random.Random(seed),
    )
    ledger = open_ledger(tempfile.mkdtemp() + "/ledger.db")
    client = httpx2.Client(transport=GovernedTransport(Pipeline(ledger), httpx2.MockTransport(handler), resilience=resilience))
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    try:
        response = client.post("http://mock.test/v1/chat/completions", json=body)
        final: Any = response.status_code if not (response.status_code == 429 and b"insufficient_quota" in response.content) else "quota"
    except httpx2.RemoteProtocolError:
        final = "drop"

    # where it must stop: the first outcome that is not retryable, or the attempt limit
    expected = 0
    for outcome in list(outcomes) + [200] * max_attempts:
        expected += 1
        retryable = outcome == "drop" or (isinstance(outcome, int) and outcome in RETRY_STATUSES)
        if not retryable or expected == max_attempts:
            break
    assert len(sent) == expected
    assert final == sent[-1]
    assert len(clock.sleeps) == expected - 1

    rows = ledger.exchanges()
    assert len(rows) == expected  # every attempt is a row
    settled = [r for r in rows if r["status"] != "retried"]
    assert len(settled) == 1 and settled[0]["attempt"] == expected
    assert {r["exchange_id"] for r in rows} == {settled[0]["id"]}
    billed = [r for r in rows if r["cost_usd"] not in (None, Decimal(0))]
    assert billed == ([settled[0]] if final == 200 else [])  # only a success costs money


def _completion() -> dict[str, Any]:
    return json.loads(
        '{"id":"c","object":"chat.completion","created":0,"model":"gpt-4o-mini",'
        '"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],'
        '"usage":{"prompt_tokens":8,"completion_tokens":1,"total_tokens":9}}'
    )
