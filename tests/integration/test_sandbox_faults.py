"""Switchable faults, auth and the request log, seen through the ``openai`` SDK."""

from __future__ import annotations

import openai
import pytest

from conduit.sandbox import Fault, Sandbox

USER = [{"role": "user", "content": "hello"}]


@pytest.fixture
def client(sandbox: Sandbox) -> openai.OpenAI:
    return openai.OpenAI(base_url=sandbox.base_url, api_key=sandbox.api_key, max_retries=0, timeout=10)


def _chat(client: openai.OpenAI, **kwargs: object) -> object:
    return client.chat.completions.create(model="gpt-4o-mini", messages=USER, **kwargs)


def test_rate_limit_count_then_normal(client: openai.OpenAI, sandbox: Sandbox) -> None:
    sandbox.inject(Fault(kind="rate_limit", count=2, retry_after=1.5, path="/v1/chat/completions"))
    for _ in range(2):
        with pytest.raises(openai.RateLimitError) as info:
            _chat(client)
        headers = info.value.response.headers
        assert info.value.code == "rate_limit_exceeded"
        assert headers["retry-after"] == "2" and headers["retry-after-ms"] == "1500"
        assert headers["x-ratelimit-remaining-requests"] == "0"
        assert headers["x-ratelimit-reset-requests"] == "1.5s"
    assert _chat(client).choices[0].message.content
    assert [r.fault for r in sandbox.requests] == ["rate_limit", "rate_limit", None]
    assert [r.status for r in sandbox.requests] == [429, 429, 200]


def test_insufficient_quota_has_no_retry_after(client: openai.OpenAI, sandbox: Sandbox) -> None:
    sandbox.inject(Fault("insufficient_quota"))
    with pytest.raises(openai.RateLimitError) as info:
        _chat(client)
    assert info.value.code == "insufficient_quota"
    assert "retry-after" not in info.value.response.headers


@pytest.mark.parametrize(("kind", "status"), [("server_error", 500), ("bad_gateway", 502), ("unavailable", 503), ("timeout", 504)])
def test_server_errors(client: openai.OpenAI, sandbox: Sandbox, kind: str, status: int) -> None:
    sandbox.inject(Fault(kind))
    with pytest.raises(openai.InternalServerError) as info:
        _chat(client)
    assert info.value.status_code == status
    assert _chat(client).choices


def test_path_and_model_filters(client: openai.OpenAI, sandbox: Sandbox) -> None:
    sandbox.inject(Fault("server_error", path="/v1/embeddings"), Fault("unavailable", model="gpt-5.4-nano"))
    assert _chat(client).choices  # neither filter matches
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="gpt-5.4-nano", messages=USER)
    assert info.value.status_code == 503


def test_unlimited_probabilistic_fault_is_reproducible(client: openai.OpenAI, sandbox: Sandbox) -> None:
    def pattern() -> list[bool]:
        sandbox.reset()
        sandbox.inject(Fault("server_error", count=None, probability=0.3, seed=7))
        outcome = []
        for _ in range(20):
            try:
                _chat(client)
                outcome.append(True)
            except openai.InternalServerError:
                outcome.append(False)
        return outcome

    first = pattern()
    assert first == pattern()
    assert 0 < first.count(False) < 20


def test_drop_closes_connection_without_response(client: openai.OpenAI, sandbox: Sandbox) -> None:
    sandbox.inject(Fault("drop"))
    with pytest.raises(openai.APIConnectionError):
        _chat(client)
    assert sandbox.requests[-1].fault == "drop" and sandbox.requests[-1].status is None
    assert _chat(client).choices


def test_stream_drop_cuts_the_stream_after_k_chunks(client: openai.OpenAI, sandbox: Sandbox) -> None:
    sandbox.inject(Fault("stream_drop", after_chunks=3))
    received = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in _chat(client, stream=True):
            received.append(chunk)
    assert len(received) == 3


def test_slow_fault_times_out_client(sandbox: Sandbox) -> None:
    client = openai.OpenAI(base_url=sandbox.base_url, api_key=sandbox.api_key, max_retries=0, timeout=0.2)
    sandbox.inject(Fault("slow", delay=1.0))
    with pytest.raises(openai.APITimeoutError):
        _chat(client)


def test_missing_and_invalid_keys_are_401(sandbox: Sandbox) -> None:
    import httpx2

    response = httpx2.post(f"{sandbox.base_url}/chat/completions", json={"model": "gpt-4o-mini", "messages": USER})
    assert response.status_code == 401
    assert "didn't provide an API key" in response.json()["error"]["message"]
    bad = openai.OpenAI(base_url=sandbox.base_url, api_key="sk-invalid-123456789", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        bad.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert info.value.code == "invalid_api_key"
    assert "sk-invalid-123456789" not in info.value.message  # the key is masked, as OpenAI does


def test_request_log_redacts_authorization(client: openai.OpenAI, sandbox: Sandbox) -> None:
    _chat(client, temperature=0.5)
    (record,) = sandbox.requests
    assert record.method == "POST" and record.path == "/v1/chat/completions"
    assert record.json["temperature"] == 0.5 and record.model == "gpt-4o-mini"
    assert sandbox.api_key not in record.headers["authorization"]
    assert sandbox.api_key not in str(record.to_dict())


def test_reset_clears_everything(client: openai.OpenAI, sandbox: Sandbox) -> None:
    sandbox.inject(Fault("server_error", count=None))
    sandbox.reset()
    assert _chat(client).choices
    sandbox.reset()
    assert sandbox.requests == []


def test_fault_validation() -> None:
    with pytest.raises(ValueError):
        Fault("meltdown")
    with pytest.raises(ValueError):
        Fault("rate_limit", probability=2)


@pytest.mark.parametrize(("kind", "status"), [("request_timeout", 408), ("conflict", 409)])
def test_retryable_client_statuses(client: openai.OpenAI, sandbox: Sandbox, kind: str, status: int) -> None:
    sandbox.inject(Fault(kind, retry_after=0.5))
    with pytest.raises(openai.APIStatusError) as info:
        _chat(client)
    assert info.value.status_code == status
    assert info.value.response.headers["retry-after-ms"] == "500"
    assert _chat(client).choices
