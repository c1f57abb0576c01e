"""The sandbox's responses validate against OpenAI's own OpenAPI spec.

The spec (``../shared/openapi/openapi.json``, OpenAPI 3.1 = JSON Schema 2020-12)
is the contract; the SDK's pydantic models are lenient, the spec is not.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx2
import jsonschema
import pytest

from conduit.sandbox import Sandbox, ScriptedReply

# the shared copy when it sits next to the repository, else the copy vendored (gzipped) with the tests
_SHARED_SPEC = Path(__file__).resolve().parents[3] / "shared" / "openapi" / "openapi.json"
_VENDORED_SPEC = Path(__file__).resolve().parents[1] / "data" / "openapi.json.gz"


def _spec_text() -> str:
    if _SHARED_SPEC.is_file():
        return _SHARED_SPEC.read_text()
    import gzip

    return gzip.decompress(_VENDORED_SPEC.read_bytes()).decode()


@lru_cache(maxsize=1)
def _components() -> dict[str, Any]:
    return _nullable_to_json_schema(json.loads(_spec_text())["components"])


def _nullable_to_json_schema(node: Any) -> Any:
    """The spec still uses OpenAPI 3.0's ``nullable: true`` in places; JSON Schema spells it ``null``."""
    if isinstance(node, list):
        return [_nullable_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable_to_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False) is True:
        if isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


def validate(instance: Any, schema_name: str) -> None:
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": _components()}
    jsonschema.Draft202012Validator(root).validate(instance)


@pytest.fixture
def post(sandbox: Sandbox) -> Any:
    def send(path: str, body: dict[str, Any]) -> httpx2.Response:
        return httpx2.post(
            f"{sandbox.base_url}{path}", json=body, headers={"Authorization": f"Bearer {sandbox.api_key}"}, timeout=30
        )

    return send


USER = [{"role": "user", "content": "¿Cuál es la capital de Francia?"}]


def test_chat_completion_matches_spec(post: Any, sandbox: Sandbox) -> None:
    response = post("/chat/completions", {"model": "gpt-4o-mini", "messages": USER, "n": 2})
    validate(response.json(), "CreateChatCompletionResponse")
    response = post("/chat/completions", {"model": "gpt-4o-mini", "messages": USER, "logprobs": True, "top_logprobs": 2})
    validate(response.json(), "CreateChatCompletionResponse")
    sandbox.script(ScriptedReply(tool_calls=[{"name": "f", "arguments": {"a": 1}}]))
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    response = post("/chat/completions", {"model": "gpt-5.4-mini", "messages": USER, "tools": tools})
    validate(response.json(), "CreateChatCompletionResponse")


def test_chat_stream_chunks_match_spec(post: Any, sandbox: Sandbox) -> None:
    sandbox.script(ScriptedReply(content="Hola", tool_calls=[{"name": "f", "arguments": {}}]))
    response = post(
        "/chat/completions",
        {"model": "gpt-4o-mini", "messages": USER, "stream": True, "stream_options": {"include_usage": True},
         "tools": [{"type": "function", "function": {"name": "f"}}]},
    )
    lines = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    for line in lines[:-1]:
        validate(json.loads(line), "CreateChatCompletionStreamResponse")


def test_responses_match_spec(post: Any, sandbox: Sandbox) -> None:
    response = post("/responses", {"model": "gpt-5.4", "input": "hola", "instructions": "Sé breve"})
    validate(response.json(), "Response")
    tools = [{"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}}]
    sandbox.script(ScriptedReply(tool_calls=[{"name": "f", "arguments": {"x": 1}}]))
    validate(post("/responses", {"model": "gpt-4.1-mini", "input": "hola", "tools": tools}).json(), "Response")
    sandbox.script(ScriptedReply(content="Hola", tool_calls=[{"name": "f", "arguments": {"x": 1}}]))
    stream = post("/responses", {"model": "gpt-4.1-mini", "input": "hola", "stream": True, "tools": tools})
    events = [json.loads(line[6:]) for line in stream.text.splitlines() if line.startswith("data: ")]
    kinds = set()
    for event in events:
        # validate against the event's own schema (the union's anyOf hides the reason of a mismatch)
        validate(event, _EVENT_SCHEMAS[event["type"]])
        kinds.add(event["type"])
    assert {"response.created", "response.output_text.delta", "response.function_call_arguments.done", "response.completed"} <= kinds


_EVENT_SCHEMAS = {
    "response.created": "ResponseCreatedEvent",
    "response.in_progress": "ResponseInProgressEvent",
    "response.output_item.added": "ResponseOutputItemAddedEvent",
    "response.output_item.done": "ResponseOutputItemDoneEvent",
    "response.content_part.added": "ResponseContentPartAddedEvent",
    "response.content_part.done": "ResponseContentPartDoneEvent",
    "response.output_text.delta": "ResponseTextDeltaEvent",
    "response.output_text.done": "ResponseTextDoneEvent",
    "response.function_call_arguments.delta": "ResponseFunctionCallArgumentsDeltaEvent",
    "response.function_call_arguments.done": "ResponseFunctionCallArgumentsDoneEvent",
    "response.completed": "ResponseCompletedEvent",
    "response.incomplete": "ResponseIncompleteEvent",
}


def test_embeddings_moderations_models_match_spec(post: Any, sandbox: Sandbox) -> None:
    validate(post("/embeddings", {"model": "text-embedding-3-small", "input": ["a", "b"]}).json(), "CreateEmbeddingResponse")
    validate(post("/moderations", {"input": "I will kill you"}).json(), "CreateModerationResponse")
    models = httpx2.get(f"{sandbox.base_url}/models", headers={"Authorization": f"Bearer {sandbox.api_key}"}).json()
    validate(models, "ListModelsResponse")


def test_images_match_spec(post: Any) -> None:
    validate(post("/images/generations", {"model": "gpt-image-2", "prompt": "a lighthouse", "quality": "low"}).json(), "ImagesResponse")
    stream = post("/images/generations", {"model": "gpt-image-2", "prompt": "a lighthouse", "stream": True, "partial_images": 1})
    events = [json.loads(line[6:]) for line in stream.text.splitlines() if line.startswith("data: ")]
    validate(events[0], "ImageGenPartialImageEvent")
    validate(events[1], "ImageGenCompletedEvent")


def test_transcription_matches_spec(sandbox: Sandbox) -> None:
    from conduit.sandbox.media.audio import wav

    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    for model, fmt, schema in (
        ("whisper-1", "json", "CreateTranscriptionResponseJson"),
        ("gpt-4o-transcribe", "json", "CreateTranscriptionResponseJson"),
        ("whisper-1", "verbose_json", "CreateTranscriptionResponseVerboseJson"),
    ):
        response = httpx2.post(
            f"{sandbox.base_url}/audio/transcriptions",
            headers=headers,
            files={"file": ("a.wav", wav(2.5, "x"), "audio/wav")},
            data={"model": model, "response_format": fmt},
        )
        validate(response.json(), schema)


def test_errors_match_spec(post: Any) -> None:
    for body in ({"model": "gpt-4o-mini", "messages": []}, {"model": "gpt-4", "messages": USER}):
        validate(post("/chat/completions", body).json(), "ErrorResponse")


def test_audio_stream_events_match_spec(post: Any, sandbox: Sandbox) -> None:
    from conduit.sandbox.media.audio import wav

    speech = post("/audio/speech", {"model": "gpt-4o-mini-tts", "voice": "coral", "input": "Hola", "stream_format": "sse"})
    events = [json.loads(line[6:]) for line in speech.text.splitlines() if line.startswith("data: ")]
    for event in events[:-1]:
        validate(event, "SpeechAudioDeltaEvent")
    validate(events[-1], "SpeechAudioDoneEvent")
    transcript = httpx2.post(
        f"{sandbox.base_url}/audio/transcriptions",
        headers={"Authorization": f"Bearer {sandbox.api_key}"},
        files={"file": ("a.wav", wav(1.5, "x"), "audio/wav")},
        data={"model": "gpt-4o-transcribe", "stream": "true"},
    )
    events = [json.loads(line[6:]) for line in transcript.text.splitlines() if line.startswith("data: ")]
    for event in events[:-1]:
        validate(event, "TranscriptTextDeltaEvent")
    validate(events[-1], "TranscriptTextDoneEvent")
