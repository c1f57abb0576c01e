"""The drop-in clients: SDK types unchanged, every call in the ledger with its cost."""

from __future__ import annotations

import asyncio
import sqlite3
from decimal import Decimal

import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

import conduit
from conduit.catalog import price
from conduit.ledger import open_ledger
from conduit.usage import Usage

MESSAGES = [{"role": "user", "content": "¿Cuál es la capital de Francia?"}]


def _rows() -> list[dict]:
    return open_ledger().exchanges()


def _expected_cost(row: dict) -> Decimal | None:
    usage = Usage(
        input_tokens=row["input_tokens"],
        cached_input_tokens=row["cached_input_tokens"],
        output_tokens=row["output_tokens"],
        reasoning_tokens=row["reasoning_tokens"],
    )
    return price(row["model"], usage).usd


def test_sync_create_returns_sdk_types_and_records_cost(sandbox_env) -> None:
    client = conduit.OpenAI()
    assert isinstance(client, openai.OpenAI)
    response = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert isinstance(response, ChatCompletion)
    assert response.choices[0].message.content
    [row] = _rows()
    assert row["status"] == "ok" and row["endpoint"] == "chat.completions"
    assert row["input_tokens"] == response.usage.prompt_tokens
    assert row["output_tokens"] == response.usage.completion_tokens
    assert row["cost_usd"] is not None and row["cost_usd"] > 0
    assert row["cost_usd"] == _expected_cost(row)
    assert row["price_source"] and row["price_version"]
    # the estimate is an upper bound on the actual cost and counted the same prompt
    assert row["estimated_input_tokens"] == response.usage.prompt_tokens
    assert row["estimate_usd"] >= row["cost_usd"]


def test_sync_streaming_hides_injected_usage_chunk_but_meters_it(sandbox_env) -> None:
    client = conduit.OpenAI()
    chunks = list(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    # the caller did not ask for usage, so it never sees a choices-less usage chunk
    assert all(c.choices for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    [row] = _rows()
    assert row["stream"] and row["status"] == "ok"
    assert row["output_tokens"] > 0 and row["cost_usd"] == _expected_cost(row)
    # the server saw include_usage added by the pipeline
    assert sandbox_env.requests[-1].json["stream_options"] == {"include_usage": True}
    assert text


def test_streaming_with_caller_usage_keeps_usage_chunk(sandbox_env) -> None:
    client = conduit.OpenAI()
    chunks = list(
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )
    assert chunks[-1].usage is not None and chunks[-1].choices == []
    [row] = _rows()
    assert row["input_tokens"] == chunks[-1].usage.prompt_tokens
    assert row["output_tokens"] == chunks[-1].usage.completion_tokens


def test_async_client_plain_and_streaming(sandbox_env) -> None:
    async def scenario() -> tuple[ChatCompletion, list[ChatCompletionChunk]]:
        client = conduit.AsyncOpenAI()
        assert isinstance(client, openai.AsyncOpenAI)
        plain = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        stream = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        chunks = [chunk async for chunk in stream]
        await client.close()
        return plain, chunks

    plain, chunks = asyncio.run(scenario())
    assert isinstance(plain, ChatCompletion)
    assert all(isinstance(c, ChatCompletionChunk) and c.choices for c in chunks)
    rows = _rows()
    assert [r["status"] for r in rows] == ["ok", "ok"]
    assert {r["stream"] for r in rows} == {True, False}
    assert all(r["cost_usd"] == _expected_cost(r) for r in rows)


def test_stream_closed_early_is_recorded_as_cancelled(sandbox_env) -> None:
    client = conduit.OpenAI()
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    next(iter(stream))
    stream.close()
    [row] = _rows()
    assert row["status"] == "cancelled"
    assert row["input_tokens"] > 0  # billed conservatively from the estimate


def test_dropped_stream_is_recorded_with_partial_usage(sandbox_env) -> None:
    from conduit.sandbox import Fault

    sandbox_env.inject(Fault(kind="stream_drop", count=1, after_chunks=3))
    client = conduit.OpenAI()
    with pytest.raises(openai.APIConnectionError):
        list(client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True))
    [row] = _rows()
    assert row["status"] == "error"
    assert row["input_tokens"] > 0 and row["cost_usd"] is not None


def test_unknown_model_cost_is_unknown_not_zero(sandbox_env) -> None:
    client = conduit.OpenAI()
    with pytest.warns(Warning, match="unknown"):
        client.chat.completions.create(model="ft:gpt-4o-mini:acme::abc123", messages=MESSAGES)
    [row] = _rows()
    assert row["status"] == "ok"
    assert row["cost_usd"] is None
    assert open_ledger().totals()["unpriced"] == 1


def test_invalid_request_is_refused_before_sending(sandbox_env) -> None:
    client = conduit.OpenAI()
    with pytest.raises(conduit.ValidationError) as info:
        client.chat.completions.create(model="gpt-4o", messages=[])
    assert info.value.hint
    assert sandbox_env.requests == []
    [row] = _rows()
    assert row["status"] == "refused" and row["cost_usd"] == 0


def test_upstream_error_is_recorded_and_raised_as_sdk_error(sandbox_env, monkeypatch) -> None:
    client = conduit.OpenAI(api_key="sk-invalid-key-for-test")
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    [row] = _rows()
    assert row["status"] == "error" and row["http_status"] == 401
    assert row["cost_usd"] == 0 and row["error_class"]


def test_scope_tags_exchanges(sandbox_env) -> None:
    client = conduit.OpenAI(scope=conduit.Scope(project="demo"))
    with conduit.scope(user="ana", session="s1"):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    rows = sorted(_rows(), key=lambda r: r["created_at"])
    assert (rows[0]["project"], rows[0]["user_id"], rows[0]["session"]) == ("demo", "ana", "s1")
    assert (rows[1]["project"], rows[1]["user_id"], rows[1]["session"]) == ("demo", None, None)


def test_missing_key_names_env_var_and_dotenv(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    from conduit.settings import get_settings

    get_settings.cache_clear()
    try:
        with pytest.raises(conduit.MissingAPIKeyError) as info:
            conduit.OpenAI()
        text = f"{info.value.message} {info.value.hint}"
        assert "OPENAI_API_KEY" in text and ".env" in text
    finally:
        get_settings.cache_clear()


def test_key_from_dotenv_file(monkeypatch, tmp_path, sandbox) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("CONDUIT_DB", str(tmp_path / "l.db"))
    monkeypatch.setenv("OPENAI_BASE_URL", sandbox.base_url)
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={sandbox.api_key}\n")
    monkeypatch.chdir(tmp_path)
    from conduit.settings import get_settings

    get_settings.cache_clear()
    try:
        settings = get_settings()
        assert settings.has_api_key
        assert sandbox.api_key not in repr(settings)
        conduit.OpenAI().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert sandbox.requests[-1].path.endswith("/chat/completions")
    finally:
        get_settings.cache_clear()


def test_key_never_in_logs_or_ledger(sandbox_env, tmp_path) -> None:
    import logging

    from conduit.observability import configure_logging

    log_file = tmp_path / "conduit.log"
    handler = configure_logging("DEBUG", log_file)
    try:
        client = conduit.OpenAI()
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        logging.getLogger("conduit.test").info("headers: Authorization: Bearer %s", sandbox_env.api_key)
        with pytest.raises(openai.AuthenticationError):
            conduit.OpenAI(api_key="sk-invalid-" + "z" * 24).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    finally:
        handler.close()
        logging.getLogger("conduit").removeHandler(handler)
    open_ledger().flush()
    logged = log_file.read_text()
    assert "exchange" in logged  # the pipeline did log
    assert sandbox_env.api_key not in logged
    assert "z" * 24 not in logged
    db_path = open_ledger().path
    dump = "\n".join(sqlite3.connect(db_path).iterdump())
    assert sandbox_env.api_key not in dump and "z" * 24 not in dump


def test_parameter_rules_refuse_before_sending(sandbox_env) -> None:
    client = conduit.OpenAI()
    with pytest.raises(conduit.ValidationError) as info:
        client.chat.completions.create(model="gpt-5.4-mini", messages=MESSAGES, temperature=0.2)
    assert "temperature" in info.value.message
    assert sandbox_env.requests == []


def test_prompt_larger_than_context_window_is_refused(sandbox_env) -> None:
    client = conduit.OpenAI()
    huge = "palabra " * 140_000  # > gpt-4o's 128K-token window
    with pytest.raises(conduit.ValidationError) as info:
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": huge}], max_completion_tokens=1000
        )
    assert "context window" in info.value.message and "trim_to_fit" in info.value.hint
    assert sandbox_env.requests == []


def test_sdk_keywords_keep_their_sdk_meaning(sandbox_env) -> None:
    """``project=`` is OpenAI's project id (a header), not a conduit tag: drop-in code keeps working."""
    client = conduit.OpenAI(project="proj_abc123", organization="org_xyz")
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    headers = sandbox_env.requests[-1].headers
    assert headers.get("openai-project") == "proj_abc123" and headers.get("openai-organization") == "org_xyz"
    [row] = _rows()
    assert row["project"] is None
