"""Resilience building blocks: hints, verdicts, backoff, token buckets, breakers, config, events."""

from __future__ import annotations

import random
import threading
from decimal import Decimal
from email.utils import format_datetime
from datetime import datetime, timezone

import httpx2
import pytest

from conduit.errors import ConfigurationError
from conduit.pipeline.resilience import (
    FakeClock,
    RateLimiter,
    RateLimitRule,
    Resilience,
    ResilienceConfig,
    ResilienceEvent,
    TokenBucket,
    classify_error,
    classify_response,
    default_resilience,
    listening,
    parse_duration,
    retry_hint,
    use_resilience,
)
from conduit.pipeline.resilience.backoff import backoff_seconds
from conduit.pipeline.resilience.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from conduit.pipeline.resilience.config import BreakerPolicy, RetryPolicy
from conduit.pipeline.resilience.events import publish

# -- server hints -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("6m0s", 360.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("1.5", 1.5), ("0s", 0.0), ("2s", 2.0)],
)
def test_parse_duration_reads_openai_reset_formats(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", [None, "", "soon", "5x", "1s and more", "s"])
def test_parse_duration_rejects_garbage(text: str | None) -> None:
    assert parse_duration(text) is None


def test_retry_after_ms_wins_over_retry_after() -> None:
    assert retry_hint(httpx2.Headers({"retry-after": "2", "retry-after-ms": "1500"})) == 1.5


def test_retry_after_seconds_and_http_date() -> None:
    assert retry_hint(httpx2.Headers({"retry-after": "7"})) == 7.0
    now = 1_800_000_000.0
    date = format_datetime(datetime.fromtimestamp(now + 12, tz=timezone.utc), usegmt=True)
    assert retry_hint(httpx2.Headers({"retry-after": date}), wall_now=now) == pytest.approx(12.0)


def test_ratelimit_reset_used_only_for_429_and_picks_the_exhausted_limit() -> None:
    headers = httpx2.Headers(
        {
            "x-ratelimit-remaining-requests": "12",
            "x-ratelimit-reset-requests": "9s",
            "x-ratelimit-remaining-tokens": "0",
            "x-ratelimit-reset-tokens": "1.2s",
        }
    )
    assert retry_hint(headers, 429) == pytest.approx(1.2)
    assert retry_hint(headers, 503) is None


def test_absurd_hints_are_ignored() -> None:
    assert retry_hint(httpx2.Headers({"retry-after": "999999"})) is None
    assert retry_hint(httpx2.Headers({"retry-after": "tomorrow-ish"})) is None
    assert retry_hint(None) is None


# -- verdicts -----------------------------------------------------------------------------


def _error_body(code: str | None, type_: str = "server_error") -> bytes:
    import json

    return json.dumps({"error": {"message": "m", "type": type_, "code": code}}).encode()


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried(status: int) -> None:
    verdict = classify_response(status, httpx2.Headers(), _error_body("rate_limit_exceeded" if status == 429 else None))
    assert verdict.retryable and not verdict.maybe_billed


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 413, 501])
def test_other_errors_are_never_retried(status: int) -> None:
    assert not classify_response(status, httpx2.Headers(), _error_body(None)).retryable


def test_insufficient_quota_is_billing_not_load() -> None:
    verdict = classify_response(429, httpx2.Headers({"retry-after": "1"}), _error_body("insufficient_quota", "insufficient_quota"))
    assert not verdict.retryable and verdict.reason == "insufficient_quota"
    by_type = classify_response(429, httpx2.Headers(), _error_body(None, "insufficient_quota"))
    assert by_type.reason == "insufficient_quota"


def test_breaker_counts_server_failures_not_rate_limits_or_client_errors() -> None:
    assert classify_response(503, httpx2.Headers(), b"").breaker == "failure"
    assert classify_response(429, httpx2.Headers(), _error_body("rate_limit_exceeded")).breaker == "neutral"
    assert classify_response(404, httpx2.Headers(), b"").breaker == "success"
    assert classify_response(200, httpx2.Headers(), b"{}").ok


def test_network_errors_and_whether_they_may_have_been_billed() -> None:
    request = httpx2.Request("POST", "http://x/v1/chat/completions")
    unsent = classify_error(httpx2.ConnectError("refused", request=request))
    assert unsent is not None and unsent.retryable and not unsent.maybe_billed
    read = classify_error(httpx2.ReadTimeout("slow", request=request))
    assert read is not None and read.reason == "timeout" and read.maybe_billed
    dropped = classify_error(httpx2.RemoteProtocolError("closed", request=request))
    assert dropped is not None and dropped.reason == "connection" and dropped.maybe_billed
    assert classify_error(ValueError("bug")) is None  # not ours to retry


# -- backoff ------------------------------------------------------------------------------


def test_full_jitter_stays_under_the_exponential_ceiling() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    rng = random.Random(1)
    for n in range(1, 12):
        ceiling = min(8.0, 0.5 * 2 ** (n - 1))
        waits = [backoff_seconds(policy, n, None, rng) for _ in range(200)]
        assert all(0.0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling * 0.8  # and actually uses the range


def test_server_hint_is_honoured_with_bounded_spread() -> None:
    policy = RetryPolicy(hint_jitter=0.1)
    rng = random.Random(2)
    waits = [backoff_seconds(policy, 3, 2.0, rng) for _ in range(100)]
    assert all(2.0 <= w <= 2.2 for w in waits)
    assert backoff_seconds(RetryPolicy(hint_jitter=0.0), 1, 2.0, rng) == 2.0


# -- token buckets ------------------------------------------------------------------------


def test_bucket_lets_a_burst_through_then_paces() -> None:
    bucket = TokenBucket(60, now=0.0)
    assert [bucket.take(1, 0.0) for _ in range(60)] == [0.0] * 60
    assert bucket.take(1, 0.0) == pytest.approx(1.0)
    assert bucket.take(1, 0.0) == pytest.approx(2.0)  # callers queue in arrival order
    assert bucket.take(1, 10.0) == pytest.approx(0.0)  # 10 s refilled 10 tokens, 2 owed, 1 taken


def test_limiter_charges_estimate_and_corrects_with_actual() -> None:
    clock = FakeClock(0.0)
    limiter = RateLimiter(RateLimitRule(tpm=1000), clock)
    first = limiter.take(800)
    assert first.wait == 0.0
    assert limiter.take(400).wait == pytest.approx(12.0)  # 200 short at 1000/60 per second
    limiter.correct(first, 100)  # the call used far less than its worst case: 700 back
    assert limiter.take(300).wait == pytest.approx(0.0)


def test_limiter_refunds_a_request_that_was_never_sent() -> None:
    clock = FakeClock(0.0)
    limiter = RateLimiter(RateLimitRule(rpm=1, tpm=100), clock)
    ticket = limiter.take(50)
    limiter.cancel(ticket, request_sent=False)
    assert limiter.take(50).wait == 0.0
    limiter.cancel(limiter.take(10), request_sent=True)  # sent: the request slot stays used
    assert limiter.take(10).wait > 0


def test_limiter_is_shared_safely_by_threads() -> None:
    clock = FakeClock(0.0)
    limiter = RateLimiter(RateLimitRule(rpm=60), clock)
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(30):
            wait = limiter.take(0).wait
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 240 requests at 60/min from a full bucket: 60 free, then one second apart, none lost or doubled
    assert sorted(waits) == pytest.approx([0.0] * 60 + [float(i) for i in range(1, 181)])


# -- circuit breaker ----------------------------------------------------------------------


def test_breaker_opens_on_failure_ratio_and_recovers_through_half_open() -> None:
    clock = FakeClock(0.0)
    breaker = CircuitBreaker(BreakerPolicy(window=10, min_calls=4, failure_ratio=0.75, open_seconds=30), clock)
    for outcome in ("failure", "failure", "success"):
        assert breaker.allow()
        breaker.record(outcome)
    assert breaker.state == CLOSED  # only 3 calls seen
    breaker.allow()
    breaker.record("failure")  # 3 of 4 failed
    assert breaker.state == OPEN and not breaker.allow()
    assert breaker.retry_in() == pytest.approx(30.0)
    clock.advance(30)
    assert breaker.allow() and breaker.state == HALF_OPEN
    assert not breaker.allow()  # one probe at a time
    breaker.record("failure")
    assert breaker.state == OPEN and not breaker.allow()
    clock.advance(30)
    assert breaker.allow()
    breaker.record("neutral")  # a 429 proves the server is up
    assert breaker.state == CLOSED and breaker.allow()


def test_rate_limits_do_not_trip_the_breaker() -> None:
    breaker = CircuitBreaker(BreakerPolicy(window=4, min_calls=2, failure_ratio=0.5), FakeClock())
    for _ in range(20):
        breaker.record("neutral")
    assert breaker.state == CLOSED


def test_breaker_tolerates_a_flaky_but_live_endpoint() -> None:
    """30 % transient failures must not open the default breaker (it would fail healthy calls)."""
    rng = random.Random(5)
    breaker = CircuitBreaker(BreakerPolicy(), FakeClock())
    for _ in range(20_000):
        breaker.record("failure" if rng.random() < 0.3 else "success")
        assert breaker.state == CLOSED


# -- configuration ------------------------------------------------------------------------


def test_config_from_toml_section() -> None:
    config = ResilienceConfig.from_mapping(
        {
            "max_attempts": 4,
            "max_usd": 0.25,
            "timeouts": {"connect": 2, "chat.completions": 90, "default": 100},
            "rate_limits": {"gpt-4o": {"rpm": 500, "tpm": 30000}, "gpt-4o*": {"rpm": 5}, "*": {"rpm": 1000}},
            "circuit_breaker": {"open_seconds": 10},
            "fallbacks": {"gpt-4o": ["gpt-4o-mini", "gpt-4.1-mini"], "o3": "o4-mini"},
        }
    )
    assert config.retry.max_attempts == 4 and config.retry.max_usd == Decimal("0.25")
    assert config.timeouts.for_endpoint("chat.completions") == {"connect": 2.0, "read": 90.0, "write": 90.0, "pool": 90.0}
    assert config.timeouts.for_endpoint("images.generations")["read"] == 600.0  # longer default kept
    assert config.timeouts.for_endpoint("something.new")["read"] == 100.0
    assert config.rate_limit_for("gpt-4o") == RateLimitRule(rpm=500, tpm=30000)  # exact beats pattern
    assert config.rate_limit_for("gpt-4o-mini") == RateLimitRule(rpm=5)  # the more specific pattern
    assert config.rate_limit_for("o3") == RateLimitRule(rpm=1000)
    assert config.fallbacks_for("gpt-4o") == ("gpt-4o-mini", "gpt-4.1-mini")
    assert config.fallbacks_for("o3") == ("o4-mini",)
    assert config.fallbacks_for("gpt-5") == ()
    assert config.breaker.open_seconds == 10


def test_default_timeouts_are_longer_for_images_and_audio() -> None:
    timeouts = ResilienceConfig().timeouts
    chat = timeouts.for_endpoint("chat.completions")["read"]
    for endpoint in ("images.generations", "images.edits", "audio.transcriptions", "audio.speech"):
        assert timeouts.for_endpoint(endpoint)["read"] > chat


def test_caller_timeout_wins_unless_it_is_the_sdk_default() -> None:
    timeouts = ResilienceConfig().timeouts
    sdk_default = {"connect": 5.0, "read": 600.0, "write": 600.0, "pool": 600.0}
    assert timeouts.apply("chat.completions", sdk_default)["read"] == 300.0
    chosen = {"connect": 1.0, "read": 12.0, "write": 12.0, "pool": 12.0}
    assert timeouts.apply("chat.completions", chosen) == chosen


@pytest.mark.parametrize(
    "section",
    [
        {"max_attempts": 0},
        {"max_attempts": "three"},
        {"base_delay": -1},
        {"max_usd": "lots"},
        {"max_usd": 0},
        {"rate_limits": {"gpt-4o": {"rpm": 500, "burst": 3}}},
        {"rate_limits": {"gpt-4o": 500}},
        {"fallbacks": {"gpt-4o": [1, 2]}},
        {"timeouts": "fast"},
    ],
)
def test_bad_config_is_a_clear_configuration_error(section: dict) -> None:
    with pytest.raises(ConfigurationError) as info:
        ResilienceConfig.from_mapping(section)
    assert "[resilience]" in info.value.message and info.value.hint


def test_process_default_is_shared_and_can_be_overridden(monkeypatch, tmp_path) -> None:
    from conduit.settings import get_settings

    (tmp_path / "conduit.toml").write_text('[resilience]\nmax_attempts = 3\n[resilience.fallbacks]\n"a" = ["b"]\n')
    monkeypatch.setenv("CONDUIT_CONFIG", str(tmp_path / "conduit.toml"))
    get_settings.cache_clear()
    try:
        first = default_resilience()
        assert first is default_resilience()  # one set of limiters and breakers per process
        assert first.config.retry.max_attempts == 3 and first.config.fallbacks_for("a") == ("b",)
        mine = Resilience(clock=FakeClock())
        with use_resilience(mine):
            assert default_resilience() is mine
        assert default_resilience() is first
    finally:
        get_settings.cache_clear()


# -- events -------------------------------------------------------------------------------


def test_event_lines_read_like_the_cli_shows_them() -> None:
    retry = ResilienceEvent("retry", "ex_1", "gpt-4o", reason="rate_limited", attempt=2, max_attempts=6, wait_s=2.14)
    assert retry.describe() == "rate limited, retrying in 2.1 s (attempt 2/6)"
    five = ResilienceEvent("retry", "ex_1", "gpt-4o", reason="server_error", attempt=3, max_attempts=6, wait_s=0.4, http_status=502)
    assert five.describe() == "server error (502), retrying in 0.4 s (attempt 3/6)"
    fallback = ResilienceEvent("fallback", "ex_1", "gpt-4o", reason="circuit_open", fallback_to="gpt-4o-mini")
    assert fallback.describe() == "circuit open on gpt-4o; falling back to gpt-4o-mini"


def test_a_failing_listener_never_breaks_the_call() -> None:
    seen: list[ResilienceEvent] = []

    def broken(event: ResilienceEvent) -> None:
        raise RuntimeError("listener bug")

    with listening(broken), listening(seen.append):
        publish(ResilienceEvent("queued", "ex_1", "gpt-4o", wait_s=1.0))
    assert len(seen) == 1
    publish(ResilienceEvent("queued", "ex_2", "gpt-4o", wait_s=1.0))
    assert len(seen) == 1  # removed on exit


def test_fake_clock_records_and_advances() -> None:
    clock = FakeClock(10.0)
    clock.sleep(1.5)
    clock.advance(2)
    assert clock.now() == 13.5 and clock.sleeps == [1.5] and clock.total_slept == 1.5


# -- shared (cross-process) limits ------------------------------------------------------


def test_shared_limiter_keeps_its_buckets_in_the_ledger_database(tmp_path) -> None:
    from conduit.ledger import open_ledger
    from conduit.pipeline.resilience import SharedRateLimiter

    ledger = open_ledger(str(tmp_path / "ledger.db"))
    clock = FakeClock(0.0)
    rule = RateLimitRule(rpm=2, tpm=100, shared=True)
    here = SharedRateLimiter(rule, clock, ledger, "http://api gpt-4o")
    there = SharedRateLimiter(rule, clock, ledger, "http://api gpt-4o")  # as another process would
    assert here.take(10).wait == 0.0
    big = there.take(80)
    assert big.wait == 0.0
    assert here.take(10).wait == pytest.approx(30.0)  # third request in a 2-per-minute bucket
    there.correct(big, 20)  # 60 tokens back
    clock.advance(60)
    assert here.take(60).wait == 0.0
    other_model = SharedRateLimiter(rule, clock, ledger, "http://api gpt-4o-mini")
    assert other_model.take(100).wait == 0.0  # buckets are per (base URL, model)


def test_shared_rule_parses_and_selects_the_shared_limiter(tmp_path) -> None:
    from conduit.ledger import open_ledger
    from conduit.pipeline.resilience import RateLimits, SharedRateLimiter

    config = ResilienceConfig.from_mapping({"rate_limits": {"gpt-4o": {"rpm": 5, "shared": True}}})
    rule = config.rate_limit_for("gpt-4o")
    assert rule is not None and rule.shared
    limits = RateLimits(FakeClock())
    ledger = open_ledger(str(tmp_path / "l.db"))
    assert isinstance(limits.limiter("http://a", "gpt-4o", rule, ledger), SharedRateLimiter)
    assert isinstance(limits.limiter("http://a", "gpt-4o", RateLimitRule(rpm=5), ledger), RateLimiter)
    with pytest.raises(ConfigurationError):
        ResilienceConfig.from_mapping({"rate_limits": {"gpt-4o": {"rpm": 5, "shared": "yes"}}})
