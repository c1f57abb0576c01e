"""Fault injection through the sandbox: retries, waits, fallbacks, breakers -- and one settlement per exchange.

Every client here is built inside ``use_resilience(...)`` with a FakeClock,
so backoff and queueing never really sleep: the clock records each wait and
the tests assert them exactly. (The only real waiting is the read timeout
of the slow-response tests, 1.5 s in all: a socket timeout cannot be faked.)
"""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal
from typing import Any, Iterator

import httpx2
import openai
import pytest

import conduit
from conduit.ledger import open_ledger
from conduit.pipeline.resilience import (
    CircuitOpenError,
    FakeClock,
    RateLimitQueueFull,
    Resilience,
    ResilienceConfig,
    listening,
    use_resilience,
)
from conduit.pipeline.resilience.backoff import backoff_seconds
from conduit.sandbox import Fault

MESSAGES = [{"role": "user", "content": "Say hello."}]


def _resilience(clock: FakeClock, seed: int = 7, **section: Any) -> Resilience:
    section.setdefault("hint_jitter", 0.0)
    return Resilience(ResilienceConfig.from_mapping(section), clock=clock, rng=random.Random(seed))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def events() -> Iterator[list[Any]]:
    seen: list[Any] = []
    with listening(seen.append):
        yield seen


def _rows() -> list[dict[str, Any]]:
    return sorted(open_ledger().exchanges(), key=lambda r: (r["exchange_id"], r["attempt"]))


def _settled(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["status"] != "retried"]


def _assert_one_settlement_per_exchange(rows: list[dict[str, Any]]) -> None:
    by_exchange: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_exchange.setdefault(row["exchange_id"], []).append(row)
    for exchange_id, group in by_exchange.items():
        settled = [r for r in group if r["status"] != "retried"]
        assert len(settled) == 1, f"{exchange_id} settled {len(settled)} times"
        assert settled[0]["id"] == exchange_id
        assert sorted(r["attempt"] for r in group) == list(range(1, len(group) + 1))


# -- 429 bursts -------------------------------------------------------------------------


def test_burst_of_429_honours_retry_after_and_settles_once(sandbox_env, clock, events) -> None:
    sandbox_env.inject(Fault("rate_limit", count=3, retry_after=1.5))
    with use_resilience(_resilience(clock)):
        client = conduit.OpenAI()
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)
    completion = raw.parse()
    assert completion.choices[0].message.content
    assert raw.headers["x-conduit-attempts"] == "4"

    assert clock.sleeps == [1.5, 1.5, 1.5]  # retry-after-ms, exactly
    assert [r.status for r in sandbox_env.requests] == [429, 429, 429, 200]
    rows = _rows()
    _assert_one_settlement_per_exchange(rows)
    assert [r["status"] for r in rows] == ["retried", "retried", "retried", "ok"]
    assert [r["http_status"] for r in rows] == [429, 429, 429, 200]
    assert [r["error_class"] for r in rows[:3]] == ["rate_limit_exceeded"] * 3
    assert [r["wait_ms"] for r in rows] == [0.0, 1500.0, 1500.0, 1500.0]
    assert all(r["cost_usd"] == 0 for r in rows[:3])  # a 429 is not billed
    [final] = _settled(rows)
    assert final["cost_usd"] > 0 and final["attempt"] == 4
    assert open_ledger().totals()["cost_usd"] == final["cost_usd"]
    assert [e.describe() for e in events] == [
        "rate limited, retrying in 1.5 s (attempt 2/6)",
        "rate limited, retrying in 1.5 s (attempt 3/6)",
        "rate limited, retrying in 1.5 s (attempt 4/6)",
    ]


def test_429_past_max_total_wait_gives_up_with_the_sdk_error(sandbox_env, clock, events) -> None:
    sandbox_env.inject(Fault("rate_limit", count=None, retry_after=30))
    with use_resilience(_resilience(clock, max_total_wait=60)):
        client = conduit.OpenAI()
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert info.value.code == "rate_limit_exceeded"
    assert clock.sleeps == [30.0, 30.0]  # a third 30 s wait would pass 60 s
    assert len(sandbox_env.requests) == 3
    rows = _rows()
    _assert_one_settlement_per_exchange(rows)
    assert _settled(rows)[0]["status"] == "error" and _settled(rows)[0]["cost_usd"] == 0
    assert events[-1].kind == "give_up" and "max_total_wait" in events[-1].describe()


def test_x_ratelimit_reset_is_used_when_retry_after_is_missing(sandbox_env, clock) -> None:
    """A 429 carrying only x-ratelimit-reset-* (some proxies strip Retry-After)."""
    calls = {"n": 0}

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return httpx2.Response(
                429,
                headers={"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2.5s",
                         "x-ratelimit-remaining-tokens": "100", "x-ratelimit-reset-tokens": "20ms"},
                json={"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}},
            )
        return httpx2.Response(200, json=_completion())

    client = _mock_client(handler, _resilience(clock))
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert clock.sleeps == [2.5]


# -- 5xx --------------------------------------------------------------------------------


def test_each_retryable_5xx_is_retried_with_full_jitter_backoff(sandbox_env, clock) -> None:
    for kind in ("server_error", "bad_gateway", "unavailable", "timeout"):
        sandbox_env.inject(Fault(kind, count=1))
    with use_resilience(_resilience(clock, seed=11, base_delay=0.5, max_delay=20)):
        client = conduit.OpenAI()
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    assert [r.status for r in sandbox_env.requests] == [500, 502, 503, 504, 200]
    rng = random.Random(11)
    policy = ResilienceConfig.from_mapping({"hint_jitter": 0.0}).retry
    expected = [backoff_seconds(policy, n, None, rng) for n in (1, 2, 3, 4)]
    assert clock.sleeps == pytest.approx(expected)
    assert all(0 <= w <= 0.5 * 2 ** i for i, w in enumerate(clock.sleeps))
    rows = _rows()
    _assert_one_settlement_per_exchange(rows)
    assert [r["http_status"] for r in rows] == [500, 502, 503, 504, 200]


def test_5xx_until_attempts_run_out_returns_the_sdk_error(sandbox_env, clock) -> None:
    sandbox_env.inject(Fault("unavailable", count=None))
    with use_resilience(_resilience(clock, max_attempts=3)):
        client = conduit.OpenAI()
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert info.value.status_code == 503
    assert len(clock.sleeps) == 2 and len(sandbox_env.requests) == 3
    rows = _rows()
    _assert_one_settlement_per_exchange(rows)
    assert [r["status"] for r in rows] == ["retried", "retried", "error"]


# -- connections and timeouts -----------------------------------------------------------


def test_dropped_connections_are_retried_and_marked_maybe_billed(sandbox_env, clock) -> None:
    sandbox_env.inject(Fault("drop", count=2))
    with use_resilience(_resilience(clock)):
        client = conduit.OpenAI()
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    rows = _rows()
    _assert_one_settlement_per_exchange(rows)
    assert [r["status"] for r in rows] == ["retried", "retried", "ok"]
    for row in rows[:2]:
        assert row["error_class"] == "RemoteProtocolError" and row["http_status"] is None
        # the request had left: it may have been processed, so its cost is unknown, not zero
        assert row["cost_usd"] is None and row["price_source"] == "unknown:maybe-billed"
    assert len(clock.sleeps) == 2


def test_slow_response_past_the_read_timeout_is_retried(sandbox_env, clock) -> None:
    sandbox_env.inject(Fault("slow", count=1, delay=4.0))
    with use_resilience(_resilience(clock, timeouts={"chat.completions": 1.0})):  # (generous: CI may be loaded)
        client = conduit.OpenAI()
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    rows = _rows()
    _assert_one_settlement_per_exchange(rows)
    assert [r["error_class"] for r in rows] == ["ReadTimeout", None]
    assert rows[0]["latency_ms"] < 4000  # gave up at the endpoint's timeout, not the server's delay
    assert len(sandbox_env.requests) == 2


def test_a_timeout_the_caller_chose_wins_over_the_endpoint_default(sandbox_env, clock) -> None:
    sandbox_env.inject(Fault("slow", count=1, delay=0.4))
    with use_resilience(_resilience(clock, timeouts={"chat.completions": 0.1})):
        client = conduit.OpenAI()
    client.with_options(timeout=30.0).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(sandbox_env.requests) == 1 and clock.sleeps == []


def test_timeouts_exhausted_raise_the_sdk_timeout_error(sandbox_env, clock) -> None:
    sandbox_env.inject(Fault("slow", count=None, delay=1.0))
    with use_resilience(_resilience(clock, max_attempts=2, timeouts={"chat.completions": 0.15})):
        client = conduit.OpenAI()
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    rows = _rows()
    _assert_one_settlement_per_exchange(rows)
    assert [(r["status"], r["error_class"]) for r in rows] == [("retried", "ReadTimeout"), ("error", "ReadTimeout")]
    # both were sent and may have been processed: cost unknown (the budget keeps their estimate), never "free"
    assert all(r["cost_usd"] is None and r["price_source"] == "unknown:maybe-billed" for r in rows)


# -- never retried ----------------------------------------------------------------------


def test_insufficient_quota_fails_at_once_with_the_sdk_error(sandbox_env, clock, events) -> None:
    sandbox_env.inject(Fault("insufficient_quota", count=1))
    with use_resilience(_resilience(clock)):
        client = conduit.OpenAI()
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert info.value.code == "insufficient_quota"
    assert len(sandbox_env.requests) == 1 and clock.sleeps == [] and events == []
    [row] = _rows()
    assert (row["status"], row["http_status"], row["error_class"]) == ("error", 429, "insufficient_quota")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_never_retried(status, clock) -> None:
    calls = {"n": 0}

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls["n"] += 1
        return httpx2.Response(status, json={"error": {"message": "no", "type": "invalid_request_error", "code": None}})

    client = _mock_client(handler, _resilience(clock))
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert info.value.status_code == status
    assert calls["n"] == 1 and clock.sleeps == []


def test_409_and_408_are_retried(clock) -> None:
    statuses = iter([409, 408, 200])

    def handler(request: httpx2.Request) -> httpx2.Response:
        status = next(statuses)
        if status == 200:
            return httpx2.Response(200, json=_completion())
        return httpx2.Response(status, json={"error": {"message": "again", "type": "server_error", "code": None}})

    client = _mock_client(handler, _resilience(clock))
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(clock.sleeps) == 2


# -- streaming --------------------------------------------------------------------------


def test_stream_dropped_before_the_first_byte_is_retried(sandbox_env, clock) -> None:
    sandbox_env.inject(Fault("stream_drop", count=1, after_chunks=0), Fault("rate_limit", count=1, retry_after=0.5))
    with use_resilience(_resilience(clock)):
        client = conduit.OpenAI()
    chunks = list(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks)
    assert len(sandbox_env.requests) == 3 and clock.sleeps[1] == 0.5
    rows = _rows()
    _assert_one_settlement_per_exchange(rows)
    assert [r["status"] for r in rows] == ["retried", "retried", "ok"]
    assert _settled(rows)[0]["output_tokens"] > 0


def test_stream_that_reached_the_caller_is_never_retried(sandbox_env, clock) -> None:
    sandbox_env.inject(Fault("stream_drop", count=1, after_chunks=3))
    with use_resilience(_resilience(clock)):
        client = conduit.OpenAI()
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    received = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in stream:
            received.append(chunk)
    assert received  # the caller had seen text: a retry would duplicate it
    assert len(sandbox_env.requests) == 1 and clock.sleeps == []
    [row] = _rows()
    assert row["status"] == "error" and row["cost_usd"] is not None


# -- async ------------------------------------------------------------------------------


def test_async_client_retries_429_and_5xx_plain_and_streaming(sandbox_env, clock) -> None:
    sandbox_env.inject(
        Fault("rate_limit", count=2, retry_after=2.0),
        Fault("bad_gateway", count=1),
    )

    async def scenario() -> tuple[Any, list[Any]]:
        with use_resilience(_resilience(clock)):
            client = conduit.AsyncOpenAI()
        plain = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        sandbox_env.inject(Fault("drop", count=1))
        stream = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        chunks = [c async for c in stream]
        await client.close()
        return plain, chunks

    plain, chunks = asyncio.run(scenario())
    assert plain.choices[0].message.content and chunks
    assert clock.sleeps[:2] == [2.0, 2.0] and len(clock.sleeps) == 4
    rows = _rows()
    _assert_one_settlement_per_exchange(rows)
    settled = _settled(rows)
    assert len(settled) == 2 and all(r["status"] == "ok" and r["cost_usd"] > 0 for r in settled)
    assert sorted(r["attempt"] for r in settled) == [2, 4]


def test_async_concurrent_calls_each_settle_once(sandbox_env, clock) -> None:
    sandbox_env.inject(Fault("unavailable", count=None, probability=0.4, seed=3))

    async def scenario() -> None:
        with use_resilience(_resilience(clock, max_attempts=12)):
            client = conduit.AsyncOpenAI()
        await asyncio.gather(*(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES) for _ in range(24)))
        await client.close()

    asyncio.run(scenario())
    rows = _rows()
    _assert_one_settlement_per_exchange(rows)
    assert len(_settled(rows)) == 24 and all(r["status"] == "ok" for r in _settled(rows))
    assert len(rows) == len(sandbox_env.requests)  # every attempt on the wire is in the ledger


# -- circuit breaker and fallbacks --------------------------------------------------------


def test_circuit_opens_fails_fast_and_probes_again_later(sandbox_env, clock, events) -> None:
    sandbox_env.inject(Fault("unavailable", count=None))
    breaker = {"window": 4, "min_calls": 4, "failure_ratio": 1.0, "open_seconds": 30}
    with use_resilience(_resilience(clock, max_attempts=4, circuit_breaker=breaker)):
        client = conduit.OpenAI()
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(sandbox_env.requests) == 4

    with pytest.raises(CircuitOpenError) as info:  # fails fast: nothing sent
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(sandbox_env.requests) == 4
    assert info.value.hint and "fallback" in info.value.hint

    sandbox_env.reset()
    clock.advance(31)  # half-open: one probe goes out, succeeds, the circuit closes
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(sandbox_env.requests) == 2

    rows = _rows()
    _assert_one_settlement_per_exchange(rows)
    refused = [r for r in rows if r["error_class"] == "CircuitOpenError"]
    assert len(refused) == 1 and refused[0]["cost_usd"] == 0 and refused[0]["http_status"] is None


def test_circuit_opening_mid_retry_stops_the_retries(sandbox_env, clock) -> None:
    sandbox_env.inject(Fault("server_error", count=None))
    breaker = {"window": 3, "min_calls": 3, "failure_ratio": 1.0}
    with use_resilience(_resilience(clock, max_attempts=6, circuit_breaker=breaker)):
        client = conduit.OpenAI()
    with pytest.raises(CircuitOpenError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(sandbox_env.requests) == 3  # the 4th attempt was refused by the open breaker
    rows = _rows()
    _assert_one_settlement_per_exchange(rows)
    assert [(r["attempt"], r["status"], r["error_class"]) for r in rows] == [
        (1, "retried", "server_error"),
        (2, "retried", "server_error"),
        (3, "retried", "server_error"),
        (4, "refused", "CircuitOpenError"),  # conduit stopped it: nothing was sent
    ]


def test_fallback_after_retries_exhausted_is_recorded_and_shown(sandbox_env, clock, events) -> None:
    sandbox_env.inject(Fault("unavailable", count=None, model="gpt-4o"))
    with use_resilience(_resilience(clock, max_attempts=2, fallbacks={"gpt-4o": ["gpt-4o-mini"]})):
        client = conduit.OpenAI()
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
    completion = raw.parse()
    assert completion.model.startswith("gpt-4o-mini")
    assert raw.headers["x-conduit-fallback-from"] == "gpt-4o"
    assert [r.model for r in sandbox_env.requests] == ["gpt-4o", "gpt-4o", "gpt-4o-mini"]

    rows = _rows()
    _assert_one_settlement_per_exchange(rows)
    [final] = _settled(rows)
    assert final["status"] == "ok" and final["model"].startswith("gpt-4o-mini")
    assert final["requested_model"] == "gpt-4o" and final["fallback_from"] == "gpt-4o"
    assert "fallback: gpt-4o → gpt-4o-mini" in final["note"]
    assert rows[1]["note"] == "falling back to gpt-4o-mini"
    fallback = [e for e in events if e.kind == "fallback"]
    assert [e.describe() for e in fallback] == ["server error (503) on gpt-4o; falling back to gpt-4o-mini"]


def test_open_circuit_goes_straight_to_the_fallback(sandbox_env, clock) -> None:
    sandbox_env.inject(Fault("unavailable", count=None, model="gpt-4o"))
    section = {
        "max_attempts": 2,
        "fallbacks": {"gpt-4o": ["gpt-4o-mini"]},
        "circuit_breaker": {"window": 2, "min_calls": 2, "failure_ratio": 1.0},
    }
    with use_resilience(_resilience(clock, **section)):
        client = conduit.OpenAI()
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # 2 failures open gpt-4o's circuit
    before = len(sandbox_env.requests)
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert [r.model for r in sandbox_env.requests[before:]] == ["gpt-4o-mini"]
    _assert_one_settlement_per_exchange(_rows())


# -- money ------------------------------------------------------------------------------


class _RecordingGate:
    """A BudgetGate that records the protocol calls (and can refuse extensions)."""

    def __init__(self, refuse_extend_after: int | None = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.refuse_after = refuse_extend_after

    def reserve(self, exchange: Any) -> str:
        self.calls.append(("reserve", exchange.estimate.usd))
        return "res-1"

    def extend(self, reservation: Any, usd: Decimal) -> None:
        extensions = sum(1 for c in self.calls if c[0] == "extend")
        if self.refuse_after is not None and extensions >= self.refuse_after:
            raise conduit.BudgetExceeded("budget 'global' would be exceeded", "raise the limit")
        self.calls.append(("extend", usd))

    def settle(self, reservation: Any, usd: Decimal | None) -> None:
        self.calls.append(("settle", usd))

    def release(self, reservation: Any) -> None:
        self.calls.append(("release", None))


def _gated_client(sandbox: Any, gate: _RecordingGate, resilience: Resilience) -> openai.OpenAI:
    from conduit.pipeline.clients import build_pipeline
    from conduit.pipeline.transport import GovernedTransport

    pipeline = build_pipeline()
    pipeline.budget = gate
    http = httpx2.Client(transport=GovernedTransport(pipeline, resilience=resilience))
    return openai.OpenAI(api_key=sandbox.api_key, base_url=sandbox.base_url, http_client=http, max_retries=0)


def test_attempts_that_may_have_been_billed_extend_the_reservation(sandbox_env, clock) -> None:
    sandbox_env.inject(Fault("drop", count=2))
    gate = _RecordingGate()
    client = _gated_client(sandbox_env, gate, _resilience(clock))
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    kinds = [c[0] for c in gate.calls]
    assert kinds == ["reserve", "extend", "extend", "settle"]  # one reservation, settled once
    estimate = gate.calls[0][1]
    assert gate.calls[1][1] == gate.calls[2][1] == estimate
    assert gate.calls[-1][1] == _settled(_rows())[0]["cost_usd"]


def test_budget_refusing_an_extension_stops_the_retries(sandbox_env, clock, events) -> None:
    sandbox_env.inject(Fault("drop", count=None))
    gate = _RecordingGate(refuse_extend_after=1)
    client = _gated_client(sandbox_env, gate, _resilience(clock))
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(sandbox_env.requests) == 2
    assert [c[0] for c in gate.calls] == ["reserve", "extend", "settle"]
    assert gate.calls[-1][1] is None  # the last drop may have been billed too: settle at the estimate
    assert "budget" in events[-1].describe()
    _assert_one_settlement_per_exchange(_rows())


def test_usd_cap_counts_every_attempt_that_may_have_been_billed(sandbox_env, clock) -> None:
    sandbox_env.inject(Fault("drop", count=None))
    probe = conduit.OpenAI()  # learn this request's worst case from a clean call
    sandbox_env.reset()
    probe.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_completion_tokens=50)
    worst = _rows()[0]["estimate_usd"]
    sandbox_env.inject(Fault("drop", count=None))
    # room for 3 attempts' worst case: the third drop leaves no room for a fourth
    with use_resilience(_resilience(clock, max_usd=float(worst * 3))):
        client = conduit.OpenAI()
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_completion_tokens=50)
    assert len(sandbox_env.requests) == 1 + 3


# -- client-side rate limits ------------------------------------------------------------


@pytest.mark.parametrize("shared", [False, True], ids=["process", "shared-db"])
def test_client_side_rate_limit_queues_on_the_injected_clock(sandbox_env, clock, events, shared) -> None:
    rule = {"rpm": 2, "max_queue": 120, "shared": shared}
    with use_resilience(_resilience(clock, rate_limits={"gpt-4o-mini": rule})):
        client = conduit.OpenAI()
    for _ in range(3):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert clock.sleeps == [pytest.approx(30.0)]  # 2 per minute: the third waits half a minute
    assert [e.kind for e in events] == ["queued"]
    assert _rows()[-1]["wait_ms"] == pytest.approx(30000.0)


def test_rate_limit_queue_longer_than_allowed_is_refused_before_sending(sandbox_env, clock) -> None:
    with use_resilience(_resilience(clock, rate_limits={"*": {"rpm": 1, "max_queue": 5}})):
        client = conduit.OpenAI()
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    with pytest.raises(RateLimitQueueFull) as info:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert "rpm" in info.value.hint
    assert len(sandbox_env.requests) == 1
    _assert_one_settlement_per_exchange(_rows())


# -- helpers ----------------------------------------------------------------------------


def _completion() -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10},
    }


def _mock_client(handler: Any, resilience: Resilience, tmp: Any = None) -> openai.OpenAI:
    """An SDK client whose governed transport talks to ``handler`` (no server at all)."""
    import tempfile

    from conduit.ledger import open_ledger
    from conduit.pipeline.core import Pipeline
    from conduit.pipeline.transport import GovernedTransport

    ledger = open_ledger(tempfile.mkdtemp() + "/ledger.db")
    transport = GovernedTransport(Pipeline(ledger), httpx2.MockTransport(handler), resilience=resilience)
    http = httpx2.Client(transport=transport)
    return openai.OpenAI(api_key="sk-test", base_url="http://mock.test/v1", http_client=http, max_retries=0)


# -- with conduit.budget's real gate ----------------------------------------------------


def test_real_budget_holds_every_attempt_that_may_have_been_billed(sandbox_env, clock) -> None:
    from conduit.budget import Budget, budget_status

    sandbox_env.inject(Fault("drop", count=2))
    with Budget("global", "5"):
        with use_resilience(_resilience(clock)):
            client = conduit.OpenAI()
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_completion_tokens=40)
        [status] = budget_status("global")
    rows = _rows()
    _assert_one_settlement_per_exchange(rows)
    [final] = _settled(rows)
    # the answer's actual cost, plus the worst case of each dropped attempt (their cost is unknown)
    assert status.spent == pytest.approx(final["cost_usd"] + 2 * final["estimate_usd"], abs=Decimal("1e-9"))
    assert status.reserved == 0 and status.calls == 1


def test_real_budget_too_small_for_a_retry_stops_it_before_sending(sandbox_env, clock, events) -> None:
    from conduit.budget import Budget

    sandbox_env.inject(Fault("drop", count=None))
    probe = conduit.OpenAI()
    sandbox_env.reset()
    probe.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_completion_tokens=40)
    worst = _rows()[0]["estimate_usd"]
    sandbox_env.inject(Fault("drop", count=None))
    with Budget("session:tight", worst * Decimal("2.5")):  # room for 2 worst cases, not 3
        with conduit.scope(session="tight"):
            with use_resilience(_resilience(clock)):
                client = conduit.OpenAI()
            with pytest.raises(openai.APIConnectionError):
                client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_completion_tokens=40)
    assert len(sandbox_env.requests) == 1 + 2  # the probe, then 2 attempts: a third could overspend
    assert events[-1].kind == "give_up" and "budget" in events[-1].describe()


# -- cancellation -----------------------------------------------------------------------


class _StuckClock(FakeClock):
    """Backoff waits that never end (until the task is cancelled)."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = asyncio.Event()

    async def asleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.waiting.set()
        await asyncio.Event().wait()


def test_a_call_cancelled_during_backoff_is_settled_once(sandbox_env) -> None:
    sandbox_env.inject(Fault("rate_limit", count=None, retry_after=30))
    clock = _StuckClock()

    async def scenario() -> None:
        with use_resilience(_resilience(clock)):
            client = conduit.AsyncOpenAI()
        task = asyncio.create_task(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES))
        await clock.waiting.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await client.close()

    asyncio.run(scenario())
    rows = _rows()
    _assert_one_settlement_per_exchange(rows)
    assert [(r["status"], r["error_class"]) for r in rows] == [
        ("retried", "rate_limit_exceeded"),
        ("error", "CancelledError"),
    ]
    assert rows[-1]["wait_ms"] == 30000.0 and rows[-1]["cost_usd"] == 0


def test_fallbacks_that_are_retired_or_do_not_fit_the_budget_are_skipped(sandbox_env, clock) -> None:
    from conduit.budget import Budget

    sandbox_env.inject(Fault("unavailable", count=None, model="gpt-4o-mini"))
    # gpt-4o: its worst case does not fit the budget; gpt-4.1-nano: shut down on 2026-10-23
    # (the sandbox's date is 2026-11-26); gpt-5-nano: cheap and current
    section = {"max_attempts": 2, "fallbacks": {"gpt-4o-mini": ["gpt-4o", "gpt-4.1-nano", "gpt-5-nano"]}}
    with Budget("global", "0.0005"):
        with use_resilience(_resilience(clock, **section)):
            client = conduit.OpenAI()
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_completion_tokens=100)
    assert [r.model for r in sandbox_env.requests] == ["gpt-4o-mini", "gpt-4o-mini", "gpt-5-nano"]
    [final] = _settled(_rows())
    assert final["fallback_from"] == "gpt-4o-mini" and final["model"].startswith("gpt-5-nano")
    assert "fallback gpt-4o skipped: its worst case does not fit the budget" in final["note"]
    assert "fallback gpt-4.1-nano skipped: gpt-4.1-nano was shut down" in final["note"]


def test_a_dearer_fallback_grows_the_reservation_but_is_charged_its_actual_cost(sandbox_env, clock) -> None:
    from conduit.budget import Budget, budget_status

    sandbox_env.inject(Fault("unavailable", count=None, model="gpt-4o-mini"))
    with Budget("global", "5"):
        with use_resilience(_resilience(clock, max_attempts=2, fallbacks={"gpt-4o-mini": ["gpt-4o"]})):
            client = conduit.OpenAI()
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_completion_tokens=100)
        [status] = budget_status("global")
    [final] = _settled(_rows())
    assert [r.model for r in sandbox_env.requests] == ["gpt-4o-mini", "gpt-4o-mini", "gpt-4o"]
    assert final["requested_model"] == "gpt-4o-mini" and final["fallback_from"] == "gpt-4o-mini"
    assert status.spent == pytest.approx(final["cost_usd"], abs=Decimal("1e-9")) and status.reserved == 0


def test_a_maybe_billed_last_attempt_is_held_before_the_fallback_goes_out(sandbox_env, clock) -> None:
    sandbox_env.inject(Fault("drop", count=None, model="gpt-4o-mini"))
    gate = _RecordingGate()
    resilience = _resilience(clock, max_attempts=2, fallbacks={"gpt-4o-mini": ["gpt-5-nano"]})
    client = _gated_client(sandbox_env, gate, resilience)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_completion_tokens=100)
    assert [r.model for r in sandbox_env.requests] == ["gpt-4o-mini", "gpt-4o-mini", "gpt-5-nano"]
    estimate = gate.calls[0][1]
    # both dropped attempts may have been billed: each is held before the next request leaves
    assert gate.calls == [("reserve", estimate), ("extend", estimate), ("extend", estimate), ("settle", gate.calls[-1][1])]
    _assert_one_settlement_per_exchange(_rows())


def test_async_stream_is_retried_only_before_its_first_byte(sandbox_env, clock) -> None:
    sandbox_env.inject(Fault("stream_drop", count=1, after_chunks=0))

    async def scenario() -> tuple[list[Any], int]:
        with use_resilience(_resilience(clock)):
            client = conduit.AsyncOpenAI()
        stream = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        chunks = [c async for c in stream]
        sandbox_env.inject(Fault("stream_drop", count=1, after_chunks=3))
        seen = 0
        with pytest.raises(openai.APIConnectionError):
            stream = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
            async for _ in stream:
                seen += 1
        await client.close()
        return chunks, seen

    chunks, seen = asyncio.run(scenario())
    assert chunks and seen > 0
    assert len(sandbox_env.requests) == 3  # 2 for the first stream, 1 for the second (never retried)
    rows = _rows()
    _assert_one_settlement_per_exchange(rows)
    assert [r["status"] for r in _settled(rows)] == ["ok", "error"]
