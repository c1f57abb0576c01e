"""Chat completions through the real ``openai`` SDK against the sandbox."""

from __future__ import annotations

import json

import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from conduit.sandbox import Fault, Sandbox, ScriptedReply
from conduit.tokens import count_message_tokens, count_tokens


@pytest.fixture
def client(sandbox: Sandbox) -> openai.OpenAI:
    return openai.OpenAI(base_url=sandbox.base_url, api_key=sandbox.api_key, max_retries=0)


USER = [{"role": "user", "content": "¿Cuál es la capital de Francia?"}]


def test_plain_completion_parses_and_counts_prompt_with_tiktoken(client: openai.OpenAI, sandbox: Sandbox) -> None:
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=USER)
    completion = raw.parse()
    assert isinstance(completion, ChatCompletion)
    assert raw.headers["x-conduit-sandbox"] == "simulation"
    assert raw.headers["x-request-id"].startswith("req_")
    assert int(raw.headers["x-ratelimit-remaining-requests"]) > 0
    message = completion.choices[0].message
    assert "simulated" in message.content and "capital de Francia" in message.content
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens == count_message_tokens(USER, "gpt-4o-mini")
    assert completion.usage.completion_tokens == count_tokens(message.content, "gpt-4o-mini")
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    assert completion.usage.prompt_tokens_details.cached_tokens == 0


def test_default_answer_is_deterministic(client: openai.OpenAI) -> None:
    first = client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    second = client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert first.choices[0].message.content == second.choices[0].message.content
    assert first.id != second.id


def test_streaming_with_final_usage_chunk(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model="gpt-4o-mini", messages=USER, stream=True, stream_options={"include_usage": True}
        )
    )
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "simulated" in text
    assert chunks[0].choices[0].delta.role == "assistant"
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert [c.choices[0].finish_reason for c in finals] == ["stop"]
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.completion_tokens == count_tokens(text, "gpt-4o-mini")
    assert all(c.usage is None for c in chunks[:-1])


def test_streaming_without_include_usage_has_no_usage(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True))
    assert all(c.usage is None for c in chunks) and all(c.choices for c in chunks)


def test_scripted_parallel_tool_calls_then_final_answer(client: openai.OpenAI, sandbox: Sandbox) -> None:
    sandbox.script(
        ScriptedReply(
            tool_calls=[
                {"name": "read_file", "arguments": {"path": "a.txt"}},
                {"name": "list_dir", "arguments": {"path": "."}},
            ]
        ),
        ScriptedReply(content="final"),
    )
    tools = [
        {"type": "function", "function": {"name": "read_file", "parameters": {"type": "object"}}},
        {"type": "function", "function": {"name": "list_dir", "parameters": {"type": "object"}}},
    ]
    first = client.chat.completions.create(model="gpt-4o-mini", messages=USER, tools=tools)
    calls = first.choices[0].message.tool_calls
    assert first.choices[0].finish_reason == "tool_calls"
    assert [c.function.name for c in calls] == ["read_file", "list_dir"]
    assert json.loads(calls[0].function.arguments) == {"path": "a.txt"}
    assert len({c.id for c in calls}) == 2
    history = USER + [
        first.choices[0].message.model_dump(exclude_none=True),
        *({"role": "tool", "tool_call_id": c.id, "content": "ok"} for c in calls),
    ]
    second = client.chat.completions.create(model="gpt-4o-mini", messages=history, tools=tools)
    assert second.choices[0].message.content == "final"
    # the queue is now empty: the default answer comes back
    third = client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert "simulated" in third.choices[0].message.content


def test_streamed_tool_call_deltas_reassemble(client: openai.OpenAI, sandbox: Sandbox) -> None:
    sandbox.script(ScriptedReply(tool_calls=[{"name": "read_file", "arguments": {"path": "a/very/long/name.txt"}}]))
    tools = [{"type": "function", "function": {"name": "read_file"}}]
    with client.chat.completions.stream(model="gpt-4o-mini", messages=USER, tools=tools) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    call = final.choices[0].message.tool_calls[0]
    assert call.function.name == "read_file"
    assert json.loads(call.function.arguments) == {"path": "a/very/long/name.txt"}
    assert final.choices[0].finish_reason == "tool_calls"


def test_script_model_filter(client: openai.OpenAI, sandbox: Sandbox) -> None:
    sandbox.script(ScriptedReply(content="for nano", model="gpt-5.4-nano"))
    other = client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert other.choices[0].message.content != "for nano"
    mine = client.chat.completions.create(model="gpt-5.4-nano", messages=USER)
    assert mine.choices[0].message.content == "for nano"


def test_tool_message_without_preceding_call_is_rejected(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=USER + [{"role": "tool", "tool_call_id": "call_x", "content": "r"}]
        )
    assert "role 'tool'" in info.value.message


def test_unanswered_tool_calls_are_rejected(client: openai.OpenAI) -> None:
    assistant = {
        "role": "assistant",
        "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
    }
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="gpt-4o-mini", messages=USER + [assistant, {"role": "user", "content": "?"}])
    assert "call_1" in info.value.message


def test_max_tokens_truncates_with_length(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=USER, max_tokens=5)
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens == 5
    assert count_tokens(completion.choices[0].message.content, "gpt-4o-mini") <= 5


def test_n_choices(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=USER, n=3)
    assert [c.index for c in completion.choices] == [0, 1, 2]
    assert len({c.message.content for c in completion.choices}) == 3
    assert completion.usage.completion_tokens == sum(
        count_tokens(c.message.content, "gpt-4o-mini") for c in completion.choices
    )


def test_reasoning_model_reports_reasoning_tokens(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="gpt-5.4-mini", messages=USER, reasoning_effort="low")
    details = completion.usage.completion_tokens_details
    assert details.reasoning_tokens == 64
    visible = count_tokens(completion.choices[0].message.content, "gpt-5.4-mini")
    assert completion.usage.completion_tokens == visible + 64
    plain = client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert plain.usage.completion_tokens_details.reasoning_tokens == 0


def test_reasoning_budget_exhausted_gives_empty_length(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="o3", messages=USER, reasoning_effort="high", max_completion_tokens=100
    )
    assert completion.choices[0].finish_reason == "length"
    assert completion.choices[0].message.content == ""
    assert completion.usage.completion_tokens_details.reasoning_tokens == 100


def test_reasoning_model_rejects_max_tokens_and_temperature(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="o3", messages=USER, max_tokens=10)
    assert info.value.code == "unsupported_parameter" and info.value.param == "max_tokens"
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="gpt-5.4", messages=USER, temperature=0.2)
    assert info.value.code == "unsupported_value"


def test_json_object_and_json_schema_outputs_are_valid_json(client: openai.OpenAI) -> None:
    import jsonschema

    completion = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Answer in JSON"}],
        response_format={"type": "json_object"},
    )
    assert json.loads(completion.choices[0].message.content)["simulation"] is True
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "population": {"type": "integer", "minimum": 1},
            "tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}, "minItems": 2},
            "kind": {"enum": ["capital", "town"]},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["city", "population", "tags", "kind", "note"],
        "additionalProperties": False,
        "$defs": {"tag": {"type": "object", "properties": {"v": {"type": "boolean"}}, "required": ["v"]}},
    }
    completion = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=USER,
        response_format={"type": "json_schema", "json_schema": {"name": "city", "schema": schema, "strict": True}},
    )
    jsonschema.validate(json.loads(completion.choices[0].message.content), schema)


def test_json_object_requires_the_word_json(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="gpt-4o-mini", messages=USER, response_format={"type": "json_object"})
    assert info.value.param == "messages"


def test_prompt_caching_reports_cached_tokens_in_128_increments(client: openai.OpenAI) -> None:
    system = {"role": "system", "content": "Reglas del asistente. " * 400}
    first = client.chat.completions.create(model="gpt-4o-mini", messages=[system, *USER])
    assert first.usage.prompt_tokens >= 1024
    assert first.usage.prompt_tokens_details.cached_tokens == 0
    followup = [system, *USER, {"role": "assistant", "content": "París."}, {"role": "user", "content": "¿Y de España?"}]
    second = client.chat.completions.create(model="gpt-4o-mini", messages=followup)
    cached = second.usage.prompt_tokens_details.cached_tokens
    assert cached >= 1024 and cached % 128 == 0
    assert cached <= first.usage.prompt_tokens < second.usage.prompt_tokens
    # another model has its own cache
    other = client.chat.completions.create(model="gpt-4.1-mini", messages=followup)
    assert other.usage.prompt_tokens_details.cached_tokens == 0


def test_short_prompts_are_never_cached(client: openai.OpenAI) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    again = client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert again.usage.prompt_tokens_details.cached_tokens == 0


@pytest.mark.parametrize(
    ("kwargs", "param", "code"),
    [
        ({"messages": []}, "messages", "empty_array"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role", "invalid_value"),
        ({"messages": [{"role": "user"}]}, "messages[0].content", "missing_required_parameter"),
        ({"messages": USER, "temperature": "hot"}, "temperature", "invalid_type"),
        ({"messages": USER, "temperature": 3}, "temperature", "decimal_above_max_value"),
        ({"messages": USER, "n": 0}, "n", "integer_below_min_value"),
        ({"messages": USER, "stream_options": {"include_usage": True}}, "stream_options", None),
        ({"messages": USER, "max_tokens": 10_000_000}, "max_tokens", "invalid_value"),
    ],
)
def test_invalid_requests_get_openai_shaped_400(
    client: openai.OpenAI, kwargs: dict, param: str, code: str | None
) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="gpt-4o-mini", **kwargs)
    assert info.value.param == param
    assert info.value.code == code
    assert info.value.type == "invalid_request_error"
    assert info.value.response.headers["x-conduit-sandbox"] == "simulation"


def test_missing_messages_and_unknown_argument(sandbox: Sandbox) -> None:
    import httpx2

    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    response = httpx2.post(f"{sandbox.base_url}/chat/completions", json={"model": "gpt-4o-mini"}, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "missing_required_parameter"
    response = httpx2.post(
        f"{sandbox.base_url}/chat/completions",
        json={"model": "gpt-4o-mini", "messages": USER, "bogus": 1},
        headers=headers,
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Unrecognized request argument supplied: bogus"
    response = httpx2.post(
        f"{sandbox.base_url}/chat/completions", content=b"{not json", headers=headers | {"content-type": "application/json"}
    )
    assert response.status_code == 400 and "could not parse the JSON body" in response.json()["error"]["message"]


@pytest.mark.parametrize("model", ["gpt-4", "gpt-4-turbo", "gpt-3.5-turbo", "o3-mini", "no-such-model", "gpt-4o-2099-01-01x"])
def test_retired_and_unknown_models_are_404(client: openai.OpenAI, model: str) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model=model, messages=USER)
    assert info.value.code == "model_not_found"
    assert model in info.value.message


@pytest.mark.parametrize("model", ["gpt-4o-mini-2024-07-18", "ft:gpt-4o-mini-2024-07-18:acme::abc123", "ft:custom-base:org::x", "gpt-5.5"])
def test_snapshots_and_fine_tunes_are_served(client: openai.OpenAI, model: str) -> None:
    completion = client.chat.completions.create(model=model, messages=USER)
    assert completion.model == model


def test_non_chat_model_on_chat_endpoint(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="o3-pro", messages=USER)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="text-embedding-3-small", messages=USER)


def test_async_client_streams(sandbox: Sandbox) -> None:
    import asyncio

    async def run() -> str:
        client = openai.AsyncOpenAI(base_url=sandbox.base_url, api_key=sandbox.api_key, max_retries=0)
        stream = await client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream])
        await client.close()
        return text

    assert "simulated" in asyncio.run(run())


def test_audio_output_for_audio_models(client: openai.OpenAI) -> None:
    import base64
    import io
    import wave

    completion = client.chat.completions.create(
        model="gpt-audio-mini", messages=USER, modalities=["text", "audio"], audio={"voice": "alloy", "format": "wav"}
    )
    audio = completion.choices[0].message.audio
    assert "simulated" in audio.transcript
    with wave.open(io.BytesIO(base64.b64decode(audio.data))) as reader:
        assert reader.getnframes() > 0
    details = completion.usage.completion_tokens_details
    assert details.audio_tokens > 0
    assert completion.usage.completion_tokens == details.audio_tokens + details.text_tokens
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=USER, modalities=["text", "audio"], audio={"voice": "alloy", "format": "wav"}
        )
    assert info.value.param == "modalities"


def test_stop_sequence_cuts_the_answer(client: openai.OpenAI) -> None:
    full = client.chat.completions.create(model="gpt-4o-mini", messages=USER).choices[0].message.content
    cut = client.chat.completions.create(model="gpt-4o-mini", messages=USER, stop=["sandbox"])
    assert cut.choices[0].message.content == full[: full.index("sandbox")]
    assert cut.choices[0].finish_reason == "stop"


def test_logprobs_plain_and_streamed(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=USER, logprobs=True, top_logprobs=3)
    content = completion.choices[0].logprobs.content
    assert "".join(t.token for t in content) == completion.choices[0].message.content
    assert all(len(t.top_logprobs) == 3 and t.logprob <= 0 for t in content)
    chunks = list(client.chat.completions.create(model="gpt-4o-mini", messages=USER, logprobs=True, stream=True))
    streamed = [c.choices[0].logprobs for c in chunks if c.choices and c.choices[0].delta.content]
    assert streamed and all(lp is not None and lp.content for lp in streamed)


def test_forced_tool_choice_calls_the_tool_with_schema_valid_arguments(client: openai.OpenAI) -> None:
    import jsonschema

    schema = {
        "type": "object",
        "properties": {"path": {"type": "string"}, "limit": {"type": "integer", "minimum": 1}},
        "required": ["path", "limit"],
        "additionalProperties": False,
    }
    tools = [
        {"type": "function", "function": {"name": "list_dir", "parameters": {"type": "object"}}},
        {"type": "function", "function": {"name": "read_file", "parameters": schema}},
    ]
    named = client.chat.completions.create(
        model="gpt-4o-mini", messages=USER, tools=tools, tool_choice={"type": "function", "function": {"name": "read_file"}}
    )
    (call,) = named.choices[0].message.tool_calls
    assert call.function.name == "read_file"
    jsonschema.validate(json.loads(call.function.arguments), schema)
    required = client.chat.completions.create(model="gpt-4o-mini", messages=USER, tools=tools, tool_choice="required")
    assert required.choices[0].message.tool_calls[0].function.name == "list_dir"
    auto = client.chat.completions.create(model="gpt-4o-mini", messages=USER, tools=tools)
    assert auto.choices[0].message.tool_calls is None
