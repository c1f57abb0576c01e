"""Responses, embeddings, moderations and models through the ``openai`` SDK."""

from __future__ import annotations

import json
import math

import openai
import pytest
from openai.types import CreateEmbeddingResponse, ModerationCreateResponse
from openai.types.responses import Response

from conduit.sandbox import Sandbox, ScriptedReply
from conduit.tokens import count_tokens


@pytest.fixture
def client(sandbox: Sandbox) -> openai.OpenAI:
    return openai.OpenAI(base_url=sandbox.base_url, api_key=sandbox.api_key, max_retries=0)


def test_responses_plain(client: openai.OpenAI) -> None:
    response = client.responses.create(model="gpt-4.1-mini", input="Tell me about Paris", instructions="Be brief.")
    assert isinstance(response, Response)
    assert response.status == "completed"
    assert "simulated" in response.output_text and "Paris" in response.output_text
    usage = response.usage
    assert usage.output_tokens == count_tokens(response.output_text, "gpt-4.1-mini")
    assert usage.input_tokens > count_tokens("Tell me about Paris", "gpt-4.1-mini")
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert client.responses.retrieve(response.id).id == response.id


def test_responses_reasoning_and_truncation(client: openai.OpenAI) -> None:
    response = client.responses.create(model="gpt-5.4", input="hi", reasoning={"effort": "high"}, max_output_tokens=600)
    assert response.output[0].type == "reasoning"
    assert response.usage.output_tokens_details.reasoning_tokens == 576
    assert response.status == "incomplete" and response.incomplete_details.reason == "max_output_tokens"
    assert response.usage.output_tokens == 600


def test_responses_stream_ends_with_completed_usage(client: openai.OpenAI) -> None:
    events = list(client.responses.create(model="gpt-4.1-mini", input="stream please", stream=True))
    kinds = [e.type for e in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    final = events[-1].response
    assert final.output_text == text
    assert final.usage.output_tokens == count_tokens(text, "gpt-4.1-mini")


def test_responses_scripted_function_call_and_chain(client: openai.OpenAI, sandbox: Sandbox) -> None:
    sandbox.script(ScriptedReply(tool_calls=[{"name": "get_weather", "arguments": {"city": "Madrid"}}]), ScriptedReply(content="Sunny"))
    tools = [{"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}]
    first = client.responses.create(model="gpt-4.1-mini", input="Weather?", tools=tools)
    (call,) = [item for item in first.output if item.type == "function_call"]
    assert call.name == "get_weather" and json.loads(call.arguments) == {"city": "Madrid"}
    second = client.responses.create(
        model="gpt-4.1-mini",
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "22C sunny"}],
        tools=tools,
    )
    assert second.output_text == "Sunny"
    assert second.usage.input_tokens > first.usage.input_tokens


def test_responses_stream_function_call(client: openai.OpenAI, sandbox: Sandbox) -> None:
    sandbox.script(ScriptedReply(tool_calls=[{"name": "lookup", "arguments": {"q": "a long query string"}}]))
    tools = [{"type": "function", "name": "lookup", "parameters": {"type": "object"}}]
    with client.responses.stream(model="gpt-4.1-mini", input="x", tools=tools) as stream:
        final = stream.get_final_response()
    (call,) = final.output
    assert json.loads(call.arguments) == {"q": "a long query string"}


def test_responses_errors(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="gpt-4.1-mini", previous_response_id="resp_missing", input="x")
    assert info.value.code == "previous_response_not_found"
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="gpt-4.1-mini", input="x", max_output_tokens=5)
    assert info.value.param == "max_output_tokens"
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="gpt-4", input="x")
    assert client.responses.create(model="o3-pro", input="x").status == "completed"


def test_embeddings_deterministic_unit_vectors(client: openai.OpenAI) -> None:
    result = client.embeddings.create(model="text-embedding-3-small", input=["hola", "adiós", "hola"])
    assert isinstance(result, CreateEmbeddingResponse)
    vectors = [d.embedding for d in result.data]
    assert [len(v) for v in vectors] == [1536] * 3
    assert vectors[0] == vectors[2] and vectors[0] != vectors[1]
    assert math.isclose(sum(x * x for x in vectors[1]), 1.0, rel_tol=1e-5)
    expected = sum(count_tokens(t, "text-embedding-3-small") for t in ["hola", "adiós", "hola"])
    assert result.usage.prompt_tokens == result.usage.total_tokens == expected


def test_embeddings_float_format_and_dimensions(client: openai.OpenAI) -> None:
    result = client.embeddings.create(model="text-embedding-3-large", input="x", dimensions=256, encoding_format="float")
    assert len(result.data[0].embedding) == 256
    with pytest.raises(openai.BadRequestError) as info:
        client.embeddings.create(model="text-embedding-ada-002", input="x", dimensions=256)
    assert info.value.param == "dimensions"
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="text-embedding-3-small", input="")
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="gpt-4o-mini", input="x")


def test_moderation_flags_clear_categories(client: openai.OpenAI) -> None:
    result = client.moderations.create(
        input=["I will kill you and everyone you love", "What a lovely day for a picnic", "quiero suicidarme"]
    )
    assert isinstance(result, ModerationCreateResponse)
    violent, benign, self_harm = result.results
    assert violent.flagged and violent.categories.violence and violent.categories.harassment_threatening
    assert violent.category_scores.violence > 0.5
    assert not benign.flagged and max(benign.category_scores.model_dump().values()) < 0.01
    assert self_harm.flagged and self_harm.categories.self_harm_intent and self_harm.categories.self_harm


def test_moderation_multimodal_input(client: openai.OpenAI) -> None:
    result = client.moderations.create(
        model="omni-moderation-latest",
        input=[{"type": "text", "text": "a calm lake"}, {"type": "image_url", "image_url": {"url": "https://example.com/x.png"}}],
    )
    (only,) = result.results
    assert not only.flagged
    assert only.category_applied_input_types.violence == ["text", "image"]


def test_models_list_and_retrieve(client: openai.OpenAI) -> None:
    ids = {m.id for m in client.models.list()}
    assert {"gpt-4o-mini", "whisper-1", "tts-1", "text-embedding-3-small", "gpt-image-2"} <= ids
    assert not {"gpt-4", "dall-e-3", "gpt-image-1", "o3-mini"} & ids  # shut down by the sandbox's date
    model = client.models.retrieve("ft:gpt-4o-mini-2024-07-18:acme::abc")
    assert model.owned_by == "acme"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("dall-e-3")
