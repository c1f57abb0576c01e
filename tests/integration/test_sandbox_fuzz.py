"""Arbitrary request bodies never crash the sandbox: every answer is 2xx or an OpenAI-shaped 4xx.

A 500 from the sandbox would be a sandbox bug masquerading as a transient
server error (which the pipeline would retry), so hypothesis hunts for them.
"""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conduit.sandbox import Sandbox

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5000), st.floats(-3, 3, allow_nan=False), st.text(max_size=12)
)
_json = st.recursive(
    _scalars, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8
)

_MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "system", "assistant", "tool", "developer", "bogus"])},
    optional={
        "content": st.one_of(st.text(max_size=20), st.lists(st.fixed_dictionaries({"type": st.sampled_from(["text", "image_url", "x"])}, optional={"text": _scalars, "image_url": _json}), max_size=2), _scalars),
        "tool_calls": st.lists(st.fixed_dictionaries({"id": st.text(max_size=4)}, optional={"type": st.just("function"), "function": _json}), max_size=2),
        "tool_call_id": st.one_of(_scalars, _json),
        "name": _scalars,
    },
)

_TOOL_CHOICE = st.one_of(
    st.sampled_from(["auto", "none", "required"]),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["function", "custom", "allowed_tools"])},
        optional={"function": st.one_of(_json, st.fixed_dictionaries({"name": _scalars})), "custom": _json, "name": _scalars},
    ),
    _json,
)
_SCHEMA = st.recursive(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["object", "array", "string", "integer", "number", "boolean", "null"])},
        optional={"minItems": _scalars, "minLength": _scalars, "minimum": _scalars, "enum": _json, "required": _json, "$ref": _scalars},
    ),
    lambda inner: st.fixed_dictionaries(
        {"type": st.just("object")},
        optional={"properties": st.dictionaries(st.text(max_size=3), inner, max_size=3), "items": inner, "anyOf": st.lists(inner, max_size=2)},
    ),
    max_leaves=6,
)
_RESPONSE_FORMAT = st.one_of(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["json_schema", "json_object", "text"])},
        optional={"json_schema": st.one_of(_json, st.fixed_dictionaries({"name": _scalars}, optional={"schema": st.one_of(_SCHEMA, _json)}))},
    ),
    _json,
)

CHAT_FIELDS = {
    "messages": st.one_of(st.lists(_MESSAGE, min_size=1, max_size=3), _json),
    "model": st.sampled_from(["gpt-4o-mini", "o3", "gpt-audio-mini", "gpt-4", "ft:x:y::z", ""]),
    "stream": _scalars,
    "stream_options": _json,
    "tools": st.one_of(st.lists(st.fixed_dictionaries({"type": st.sampled_from(["function", "custom", "x"])}, optional={"function": _json, "custom": _json}), max_size=2), _json),
    "tool_choice": _TOOL_CHOICE,
    "response_format": _RESPONSE_FORMAT,
    "max_tokens": _scalars,
    "max_completion_tokens": _scalars,
    "n": st.one_of(st.integers(0, 4), _scalars),
    "stop": _json,
    "logprobs": _scalars,
    "top_logprobs": _scalars,
    "modalities": _json,
    "audio": _json,
    "reasoning_effort": _scalars,
    "temperature": _scalars,
    "parallel_tool_calls": _scalars,
}


_client = httpx2.Client(timeout=30)  # one keep-alive connection: hypothesis sends hundreds of requests


def _post(sandbox: Sandbox, path: str, body: Any) -> httpx2.Response:
    return _client.post(f"{sandbox.base_url}{path}", json=body, headers={"Authorization": f"Bearer {sandbox.api_key}"})


def _assert_sane(response: httpx2.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        error = response.json()["error"]
        assert set(error) == {"message", "type", "param", "code"} and error["message"]


@pytest.fixture(scope="module")
def server() -> Any:
    with Sandbox() as sandbox:
        yield sandbox


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.fixed_dictionaries({}, optional=CHAT_FIELDS))
def test_chat_never_500(server: Sandbox, body: dict[str, Any]) -> None:
    response = _post(server, "/chat/completions", body)
    _assert_sane(response)


RESPONSES_FIELDS = {
    "model": st.sampled_from(["gpt-4.1-mini", "gpt-5.4", "o3-pro"]),
    "input": st.one_of(st.text(max_size=10), st.lists(_json, max_size=3), _json),
    "instructions": _json,
    "tools": st.one_of(st.lists(st.fixed_dictionaries({"type": st.sampled_from(["function", "web_search"])}, optional={"name": _scalars, "parameters": _json}), max_size=2), _json),
    "tool_choice": _TOOL_CHOICE,
    "text": st.one_of(_json, st.fixed_dictionaries({"format": st.one_of(_json, st.fixed_dictionaries({"type": st.sampled_from(["json_schema", "text"])}, optional={"name": _scalars, "schema": st.one_of(_SCHEMA, _json)}))})),
    "reasoning": _json,
    "max_output_tokens": _scalars,
    "previous_response_id": _scalars,
    "stream": _scalars,
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.fixed_dictionaries({}, optional=RESPONSES_FIELDS))
def test_responses_never_500(server: Sandbox, body: dict[str, Any]) -> None:
    _assert_sane(_post(server, "/responses", body))


OTHER = st.sampled_from(["/embeddings", "/moderations", "/images/generations", "/audio/speech"])
OTHER_FIELDS = {
    "model": st.sampled_from(["text-embedding-3-small", "omni-moderation-latest", "gpt-image-2", "tts-1", "gpt-4o-mini-tts"]),
    "input": _json,
    "prompt": _json,
    "voice": _json,
    "size": st.one_of(st.sampled_from(["1024x1024", "auto", "512x2048", "0x0"]), _scalars),
    "quality": _scalars,
    "n": _scalars,
    "dimensions": _scalars,
    "encoding_format": _scalars,
    "response_format": _scalars,
    "speed": _scalars,
    "output_format": _scalars,
    "background": _scalars,
}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(path=OTHER, body=st.one_of(st.fixed_dictionaries({}, optional=OTHER_FIELDS), _json))
def test_other_endpoints_never_500(server: Sandbox, path: str, body: Any) -> None:
    _assert_sane(_post(server, path, body))


_USER = [{"role": "user", "content": "x"}]
_TOOLS = [{"type": "function", "function": {"name": "f"}}]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/chat/completions", {"model": "gpt-4o-mini", "messages": _USER, "tools": _TOOLS, "tool_choice": {"type": "function", "function": "f"}}),
        ("/chat/completions", {"model": "gpt-4o-mini", "messages": _USER, "stop": [1, 2]}),
        ("/chat/completions", {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x", "name": 5}]}),
        ("/chat/completions", {"model": "gpt-4o-mini", "messages": [
            {"role": "assistant", "tool_calls": [{"id": "a", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": ["a"], "content": "x"}]}),
        ("/responses", {"model": "gpt-4.1-mini", "input": "x", "text": {"format": "x"}}),
        ("/responses", {"model": "gpt-4.1-mini", "input": [{"type": "function_call", "call_id": 5, "name": 5, "arguments": 5}]}),
        ("/responses", {"model": "gpt-4.1-mini", "input": "x", "tools": [{"type": "function", "name": "f"}], "tool_choice": {"type": "function", "function": "f"}}),
    ],
)
def test_malformed_nested_fields_are_400(server: Sandbox, path: str, body: dict[str, Any]) -> None:
    response = _post(server, path, body)
    assert response.status_code == 400, response.text
    _assert_sane(response)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "array", "minItems": 10_000_000},
        {"type": "string", "minLength": 10_000_000},
        {"type": "object", "properties": {f"p{i}": {"$ref": "#"} for i in range(30)}, "required": [f"p{i}" for i in range(30)]},
    ],
)
def test_hostile_json_schemas_are_answered_quickly(server: Sandbox, schema: dict[str, Any]) -> None:
    body = {"model": "gpt-4o-mini", "messages": _USER, "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}}
    response = _post(server, "/chat/completions", body)  # _post's 30 s timeout is the bound; it answers in milliseconds
    assert response.status_code == 200
