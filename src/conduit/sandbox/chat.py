"""POST /v1/chat/completions: validation, usage and (streamed) output like OpenAI's."""

from __future__ import annotations

import re
import time
from typing import Any, AsyncIterator

from starlette.responses import JSONResponse, Response

from conduit.sandbox import models as _models
from conduit.sandbox.content import digest, make_id, text_of, words
from conduit.sandbox.counting import count_messages
from conduit.sandbox.errors import invalid, missing
from conduit.sandbox.generate import REASONING_EFFORTS, Turn, forced_tool_reply, make_turn
from conduit.sandbox.http import Call, sse_data, sse_response
from conduit.sandbox.limits import limits
from conduit.sandbox.prompt_cache import EXTENDED_TTL, IN_MEMORY_TTL, cached_amount
from conduit.sandbox.validate import (
    check_enum,
    check_params,
    check_range,
    check_type,
    unsupported_parameter,
    unsupported_value,
)

PARAMS: dict[str, str] = {
    "model": "string",
    "messages": "array",
    "audio": "object",
    "frequency_penalty": "number",
    "function_call": "string|object",
    "functions": "array",
    "logit_bias": "object",
    "logprobs": "boolean",
    "max_completion_tokens": "integer",
    "max_tokens": "integer",
    "metadata": "object",
    "modalities": "array",
    "moderation": "object",
    "n": "integer",
    "parallel_tool_calls": "boolean",
    "prediction": "object",
    "presence_penalty": "number",
    "prompt_cache_key": "string",
    "prompt_cache_options": "object",
    "prompt_cache_retention": "string",
    "reasoning_effort": "string",
    "response_format": "object",
    "safety_identifier": "string",
    "seed": "integer",
    "service_tier": "string",
    "stop": "string|array",
    "store": "boolean",
    "stream": "boolean",
    "stream_options": "object",
    "temperature": "number",
    "tool_choice": "string|object",
    "tools": "array",
    "top_logprobs": "integer",
    "top_p": "number",
    "user": "string",
    "verbosity": "string",
    "web_search_options": "object",
}
ROLES = ("system", "assistant", "user", "function", "tool", "developer")
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
SYSTEM_FINGERPRINT = "fp_sandbox01"


async def create(call: Call) -> Response:
    body = call.body
    info = call.resolve_model((_models.CHAT,), endpoint="v1/chat/completions")
    model: str = body["model"]
    check_params(body, PARAMS)
    messages = _validate_messages(body)
    tools = _validate_tools(body)
    _validate_options(body, info, messages, tools)
    audio_format = _validate_audio(body, info)

    prompt_tokens = count_messages(messages, model, tools or None)
    context_window, max_output_cap = limits(model)
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if limit is not None and limit > max_output_cap:
        param = "max_completion_tokens" if body.get("max_completion_tokens") else "max_tokens"
        raise invalid(
            f"{param} is too large: {limit}. This model supports at most {max_output_cap} completion tokens, "
            f"whereas you provided {limit}.",
            param,
            "invalid_value",
        )
    if prompt_tokens > context_window or (limit is not None and prompt_tokens + limit > context_window):
        raise invalid(
            f"This model's maximum context length is {context_window} tokens. However, you requested "
            f"{prompt_tokens + (limit or 0)} tokens ({prompt_tokens} in the messages, {limit or 0} in the "
            "completion). Please reduce the length of the messages or completion.",
            "messages",
            "context_length_exceeded",
        )
    cached = _cached_tokens(call, model, messages, tools, prompt_tokens)

    n = body.get("n") or 1
    script = call.state.scripts.take(call.path, model) or forced_tool_reply(
        body.get("tool_choice"),
        [((t.get("function") or {}).get("name", ""), (t.get("function") or {}).get("parameters")) for t in tools],
    )
    prompt_text = _last_user_text(messages)
    created = int(time.time())
    completion_id = make_id("chatcmpl-", call.request_id, length=29)
    output_format = body.get("response_format")
    turns = [
        make_turn(
            info,
            model,
            prompt_text,
            index=i,
            script=script,
            max_output=limit,
            effort=body.get("reasoning_effort"),
            output_format=output_format,
            call_id_seed=(call.request_id, digest(messages)),
            stop=body.get("stop"),
        )
        for i in range(n)
    ]
    usage = _usage(prompt_tokens, cached, turns)
    audio_outputs = [_audio_output(turn, audio_format, call.request_id, i) for i, turn in enumerate(turns)] if audio_format else []
    if audio_outputs:
        audio_tokens = sum(a["_tokens"] for a in audio_outputs)
        usage["completion_tokens"] += audio_tokens
        usage["total_tokens"] += audio_tokens
        usage["completion_tokens_details"]["audio_tokens"] = audio_tokens
        usage["completion_tokens_details"]["text_tokens"] = sum(t.output_tokens for t in turns)
        for output in audio_outputs:
            del output["_tokens"]
    estimated = str(prompt_tokens + (limit or 0))
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        logprobs = (body.get("top_logprobs") or 0) if body.get("logprobs") else None
        stream = _stream(
            completion_id, created, model, turns, usage if include_usage else None, include_usage, audio_outputs, logprobs
        )
        return sse_response(stream, headers={"x-conduit-estimated-tokens": estimated})
    payload = {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": i,
                "message": _message(turn, audio_outputs[i] if audio_outputs else None),
                "logprobs": _logprobs(turn.content, body.get("top_logprobs") or 0) if body.get("logprobs") else None,
                "finish_reason": turn.finish_reason,
            }
            for i, turn in enumerate(turns)
        ],
        "usage": usage,
        "service_tier": body.get("service_tier") if body.get("service_tier") not in (None, "auto") else "default",
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    return JSONResponse(payload, headers={"x-conduit-estimated-tokens": estimated})


def _message(turn: Turn, audio: dict[str, Any] | None = None) -> dict[str, Any]:
    if audio is not None:  # spoken answer: the text travels as the audio's transcript
        return {"role": "assistant", "content": None, "refusal": None, "annotations": [], "audio": audio}
    message: dict[str, Any] = {
        "role": "assistant",
        "content": turn.content if not turn.tool_calls or turn.content else None,
        "refusal": turn.refusal,
        "annotations": [],
    }
    if turn.refusal is not None:
        message["content"] = None
    if turn.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in turn.tool_calls
        ]
    return message


def _usage(prompt_tokens: int, cached: int, turns: list[Turn]) -> dict[str, Any]:
    completion = sum(t.completion_tokens for t in turns)
    reasoning = sum(t.reasoning_tokens for t in turns)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": prompt_tokens + completion,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


async def _stream(
    completion_id: str,
    created: int,
    model: str,
    turns: list[Turn],
    usage: dict[str, Any] | None,
    include_usage: bool,
    audio_outputs: list[dict[str, Any]] | None = None,
    top_logprobs: int | None = None,
) -> AsyncIterator[bytes]:
    def chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> bytes:
        logprobs = None
        if top_logprobs is not None and delta.get("content"):
            logprobs = _logprobs(delta["content"], top_logprobs)
        payload: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": [{"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}],
        }
        if include_usage:
            payload["usage"] = None
        return sse_data(payload)

    for index, turn in enumerate(turns):
        first: dict[str, Any] = {"role": "assistant", "content": "", "refusal": None}
        if turn.tool_calls and not turn.content:
            first["content"] = None
        yield chunk(index, first)
        if audio_outputs:
            yield chunk(index, {"audio": audio_outputs[index]})
        elif turn.refusal:
            for piece in words(turn.refusal):
                yield chunk(index, {"refusal": piece})
        elif turn.content:
            for piece in words(turn.content):
                yield chunk(index, {"content": piece})
        for position, call in enumerate(turn.tool_calls):
            yield chunk(
                index,
                {
                    "tool_calls": [
                        {
                            "index": position,
                            "id": call.id,
                            "type": "function",
                            "function": {"name": call.name, "arguments": ""},
                        }
                    ]
                },
            )
            for piece in _argument_pieces(call.arguments):
                yield chunk(index, {"tool_calls": [{"index": position, "function": {"arguments": piece}}]})
        yield chunk(index, {}, turn.finish_reason)
    if usage is not None:
        yield sse_data(
            {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "service_tier": "default",
                "system_fingerprint": SYSTEM_FINGERPRINT,
                "choices": [],
                "usage": usage,
            }
        )
    yield b"data: [DONE]\n\n"


def _argument_pieces(arguments: str, size: int = 8) -> list[str]:
    return [arguments[i : i + size] for i in range(0, len(arguments), size)] or [""]


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return text_of(message.get("content"))
    return text_of(messages[-1].get("content")) if messages else ""


def _cached_tokens(
    call: Call, model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]], prompt_tokens: int
) -> int:
    """Prompt-cache hit for this prompt (see :mod:`conduit.sandbox.prompt_cache`)."""
    if prompt_tokens < 1024:
        return 0
    parts: list[Any] = [{"tools": tools}] if tools else []
    running = (count_messages([], model, tools) - 3) if tools else 0
    counts: list[int] = [running] if tools else []
    for message in messages:
        # per-message tokens (memoised by conduit.tokens), accumulated: O(messages), not O(messages²)
        running += count_messages([message], model) - 3
        parts.append(message)
        counts.append(running)
    retention = call.body.get("prompt_cache_retention")
    matched = call.state.prompt_cache.lookup_and_store(
        model,
        parts,
        counts,
        cache_key=call.body.get("prompt_cache_key"),
        ttl=EXTENDED_TTL if retention == "24h" else IN_MEMORY_TTL,
    )
    return cached_amount(matched, prompt_tokens)


def _validate_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    if "messages" not in body or body["messages"] is None:
        raise missing("messages")
    messages = body["messages"]
    check_type(messages, "array", "messages")
    if not messages:
        raise invalid(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array "
            "instead.",
            "messages",
            "empty_array",
        )
    pending_tool_ids: dict[str, int] = {}
    last_tool_call_index: int | None = None
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        check_type(message, "object", where)
        role = message.get("role")
        if role is None:
            raise missing(f"{where}.role")
        check_type(role, "string", f"{where}.role")
        check_enum(role, f"{where}.role", ROLES)
        content = message.get("content")
        if role in ("system", "user", "developer", "tool") and "content" not in message:
            raise missing(f"{where}.content")
        if content is not None:
            check_type(content, "string|array", f"{where}.content")
            if isinstance(content, list):
                _validate_parts(content, f"{where}.content", role)
        if role == "assistant":
            if pending_tool_ids and last_tool_call_index is not None:
                _unanswered(pending_tool_ids, last_tool_call_index)
            tool_calls = message.get("tool_calls")
            if content is None and not tool_calls and not message.get("function_call") and not message.get("refusal") and not message.get("audio"):
                raise missing(f"{where}.content")
            if tool_calls is not None:
                check_type(tool_calls, "array", f"{where}.tool_calls")
                for j, tool_call in enumerate(tool_calls):
                    tw = f"{where}.tool_calls[{j}]"
                    check_type(tool_call, "object", tw)
                    if "id" not in tool_call:
                        raise missing(f"{tw}.id")
                    check_type(tool_call["id"], "string", f"{tw}.id")
                    if tool_call.get("type", "function") == "function":
                        function = tool_call.get("function")
                        if not isinstance(function, dict):
                            raise missing(f"{tw}.function")
                        for key in ("name", "arguments"):
                            if key not in function:
                                raise missing(f"{tw}.function.{key}")
                            check_type(function[key], "string", f"{tw}.function.{key}")
                    pending_tool_ids[tool_call["id"]] = i
                last_tool_call_index = i if tool_calls else None
        elif role == "tool":
            tool_call_id = message.get("tool_call_id")
            if tool_call_id is None:
                raise missing(f"{where}.tool_call_id")
            check_type(tool_call_id, "string", f"{where}.tool_call_id")
            if tool_call_id not in pending_tool_ids:
                raise invalid(
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message "
                    "with 'tool_calls'.",
                    f"messages.[{i}].role",
                )
            pending_tool_ids.pop(tool_call_id)
        else:
            if pending_tool_ids and last_tool_call_index is not None:
                _unanswered(pending_tool_ids, last_tool_call_index)
        if role == "function" and "name" not in message:
            raise missing(f"{where}.name")
        if message.get("name") is not None:
            check_type(message["name"], "string", f"{where}.name")
    if pending_tool_ids and last_tool_call_index is not None:
        _unanswered(pending_tool_ids, last_tool_call_index)
    return messages


def _unanswered(pending: dict[str, int], index: int) -> None:
    ids = ", ".join(pending)
    raise invalid(
        "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
        f"'tool_call_id'. The following tool_call_ids did not have response messages: {ids}",
        f"messages.[{index}].role",
    )


_PART_TYPES = {
    "user": ("text", "image_url", "input_audio", "file"),
    "system": ("text",),
    "developer": ("text",),
    "assistant": ("text", "refusal"),
    "tool": ("text",),
    "function": ("text",),
}


def _validate_parts(parts: list[Any], where: str, role: str) -> None:
    for k, part in enumerate(parts):
        pw = f"{where}[{k}]"
        check_type(part, "object", pw)
        kind = part.get("type")
        if kind is None:
            raise missing(f"{pw}.type")
        check_enum(kind, f"{pw}.type", _PART_TYPES.get(role, ("text",)))
        if kind == "text":
            if "text" not in part:
                raise missing(f"{pw}.text")
            check_type(part["text"], "string", f"{pw}.text")
        elif kind == "image_url":
            image = part.get("image_url")
            if not isinstance(image, dict) or "url" not in image:
                raise missing(f"{pw}.image_url.url")
            url = image["url"]
            check_type(url, "string", f"{pw}.image_url.url")
            if not (url.startswith(("http://", "https://", "data:image/"))):
                raise invalid(
                    f"Invalid '{pw}.image_url.url': Expected a base64-encoded data URL with an image MIME type "
                    "(e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got a value without the 'data:' "
                    "prefix.",
                    f"{pw}.image_url.url",
                    "invalid_value",
                )
            check_enum(image.get("detail"), f"{pw}.image_url.detail", ("auto", "low", "high", "original"))
        elif kind == "file":
            check_type(part.get("file"), "object", f"{pw}.file")
        elif kind == "input_audio":
            audio = part.get("input_audio")
            if not isinstance(audio, dict) or "data" not in audio:
                raise missing(f"{pw}.input_audio.data")
            check_enum(audio.get("format"), f"{pw}.input_audio.format", ("wav", "mp3"))


def _validate_tools(body: dict[str, Any]) -> list[dict[str, Any]]:
    tools = body.get("tools") or []
    if len(tools) > 128:
        raise invalid(
            f"Invalid 'tools': array too long. Expected an array with maximum length 128, but got an array with "
            f"length {len(tools)} instead.",
            "tools",
            "array_above_max_length",
        )
    for i, tool in enumerate(tools):
        where = f"tools[{i}]"
        check_type(tool, "object", where)
        kind = tool.get("type")
        if kind is None:
            raise missing(f"{where}.type")
        check_enum(kind, f"{where}.type", ("function", "custom"))
        spec = tool.get(kind)
        if not isinstance(spec, dict):
            raise missing(f"{where}.{kind}")
        name = spec.get("name")
        if name is None:
            raise missing(f"{where}.{kind}.name")
        check_type(name, "string", f"{where}.{kind}.name")
        if not _TOOL_NAME.match(name):
            raise invalid(
                f"Invalid '{where}.{kind}.name': string does not match pattern. Expected a string that matches the "
                f"pattern '^[a-zA-Z0-9_-]+$'.",
                f"{where}.{kind}.name",
                "invalid_value",
            )
        if kind == "function" and spec.get("parameters") is not None:
            check_type(spec["parameters"], "object", f"{where}.function.parameters")
    return tools


def _validate_options(
    body: dict[str, Any], info: _models.ModelInfo, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> None:
    check_range(body.get("temperature"), "temperature", minimum=0, maximum=2)
    check_range(body.get("top_p"), "top_p", minimum=0, maximum=1)
    check_range(body.get("presence_penalty"), "presence_penalty", minimum=-2, maximum=2)
    check_range(body.get("frequency_penalty"), "frequency_penalty", minimum=-2, maximum=2)
    check_range(body.get("n"), "n", minimum=1, maximum=128, integer=True)
    check_range(body.get("max_tokens"), "max_tokens", minimum=1, integer=True)
    check_range(body.get("max_completion_tokens"), "max_completion_tokens", minimum=1, integer=True)
    check_range(body.get("top_logprobs"), "top_logprobs", minimum=0, maximum=20, integer=True)
    check_enum(body.get("reasoning_effort"), "reasoning_effort", REASONING_EFFORTS)
    check_enum(body.get("service_tier"), "service_tier", ("auto", "default", "flex", "scale", "priority", "fast"))
    check_enum(body.get("verbosity"), "verbosity", ("low", "medium", "high"))
    check_enum(body.get("prompt_cache_retention"), "prompt_cache_retention", ("in_memory", "24h"))
    stop = body.get("stop")
    if isinstance(stop, list):
        for i, item in enumerate(stop):
            check_type(item, "string", f"stop[{i}]")
    if isinstance(stop, list) and len(stop) > 4:
        raise invalid(
            f"Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with "
            f"length {len(stop)} instead.",
            "stop",
            "array_above_max_length",
        )
    if body.get("stream_options") is not None and not body.get("stream"):
        raise invalid(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options"
        )
    if body.get("top_logprobs") is not None and not body.get("logprobs"):
        raise invalid("'logprobs' must be set to true when 'top_logprobs' is set.", "logprobs")
    if body.get("parallel_tool_calls") is not None and not tools:
        raise invalid(
            "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are "
            "specified.",
            "parallel_tool_calls",
        )
    _validate_tool_choice(body.get("tool_choice"), tools)
    _validate_response_format(body.get("response_format"), messages)
    if info.is_reasoning:
        if body.get("max_tokens") is not None:
            raise unsupported_parameter("max_tokens", "Use 'max_completion_tokens' instead.")
        for name, default in (("temperature", 1), ("top_p", 1), ("presence_penalty", 0), ("frequency_penalty", 0)):
            value = body.get(name)
            if value is not None and value != default:
                raise unsupported_value(
                    name, f"does not support {value} with this model. Only the default ({default}) value is supported."
                )
        if body.get("logprobs"):
            raise unsupported_parameter("logprobs")
    elif body.get("reasoning_effort") is not None:
        raise unsupported_parameter("reasoning_effort")


def _validate_tool_choice(choice: Any, tools: list[dict[str, Any]]) -> None:
    if choice is None:
        return
    if isinstance(choice, str):
        check_enum(choice, "tool_choice", ("none", "auto", "required"))
        if choice == "required" and not tools:
            raise invalid(
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
                "tool_choice",
            )
        return
    kind = choice.get("type")
    if kind is None:
        raise missing("tool_choice.type")
    check_enum(kind, "tool_choice.type", ("function", "custom", "allowed_tools"))
    if kind in ("function", "custom"):
        check_type(choice.get(kind), "object", f"tool_choice.{kind}")
    if not tools:
        raise invalid(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
            "tool_choice",
        )
    if kind in ("function", "custom"):
        name = choice[kind].get("name")
        if name is None:
            raise missing(f"tool_choice.{kind}.name")
        check_type(name, "string", f"tool_choice.{kind}.name")
        names = {(t.get(t.get("type", "")) or {}).get("name") for t in tools}
        if name not in names:
            raise invalid(f"Tool choice '{name}' not found in 'tools' parameter.", "tool_choice")


def _validate_response_format(fmt: Any, messages: list[dict[str, Any]]) -> None:
    if fmt is None:
        return
    kind = fmt.get("type")
    if kind is None:
        raise missing("response_format.type")
    check_enum(kind, "response_format.type", ("text", "json_object", "json_schema"))
    if kind == "json_object":
        joined = " ".join(text_of(m.get("content")) for m in messages)
        if "json" not in joined.lower():
            raise invalid(
                "'messages' must contain the word 'json' in some form, to use 'response_format' of type "
                "'json_object'.",
                "messages",
            )
    if kind == "json_schema":
        spec = fmt.get("json_schema")
        if not isinstance(spec, dict):
            raise missing("response_format.json_schema")
        if "name" not in spec:
            raise missing("response_format.json_schema.name")
        check_type(spec["name"], "string", "response_format.json_schema.name")
        if spec.get("schema") is not None:
            check_type(spec["schema"], "object", "response_format.json_schema.schema")


AUDIO_OUTPUT_FORMATS = ("wav", "aac", "mp3", "flac", "opus", "pcm16")
AUDIO_TOKENS_PER_SECOND = 1250 / 60


def _validate_audio(body: dict[str, Any], info: _models.ModelInfo) -> str | None:
    """The requested audio output format, after the checks OpenAI makes (None: text only)."""
    modalities = body.get("modalities") or ["text"]
    for i, modality in enumerate(modalities):
        check_enum(modality, f"modalities[{i}]", ("text", "audio"))
    if "audio" not in modalities:
        return None
    if "audio" not in info.family_id:
        raise invalid(
            "This model does not support the audio modality. Use an audio model such as gpt-audio-mini.",
            "modalities",
            "unsupported_value",
        )
    audio = body.get("audio")
    if not isinstance(audio, dict):
        raise invalid("The 'audio' parameter is required when 'modalities' includes 'audio'.", "audio")
    if audio.get("voice") is None:
        raise missing("audio.voice")
    if audio.get("format") is None:
        raise missing("audio.format")
    check_enum(audio["format"], "audio.format", AUDIO_OUTPUT_FORMATS)
    if body.get("stream") and audio["format"] != "pcm16":
        raise invalid("Streaming audio output only supports the 'pcm16' format.", "audio.format", "unsupported_value")
    return str(audio["format"])


def _audio_output(turn: Turn, fmt: str, request_id: str, index: int) -> dict[str, Any]:
    import base64
    import math

    from conduit.sandbox.audio_speech import speech_seconds
    from conduit.sandbox.media import audio as _audio

    transcript = turn.content or ""
    seconds = speech_seconds(transcript)
    data = _audio.encode("pcm" if fmt == "pcm16" else fmt, seconds, transcript)
    return {
        "id": make_id("audio_", request_id, index, length=24),
        "data": base64.b64encode(data).decode(),
        "expires_at": int(time.time()) + 3600,
        "transcript": transcript,
        "_tokens": math.ceil(seconds * AUDIO_TOKENS_PER_SECOND),
    }


def _logprobs(text: str | None, top: int) -> dict[str, Any] | None:
    """Deterministic per-piece log probabilities (pieces = the streaming word pieces)."""
    if text is None:
        return None
    content = []
    for piece in words(text):
        value = -round(int(digest(piece)[:4], 16) / 0xFFFF * 0.5, 6)
        alternatives = [
            {"token": piece, "logprob": value, "bytes": list(piece.encode())}
        ] + [
            {"token": f"{piece.strip()}_{k}", "logprob": round(value - 2.0 * k, 6), "bytes": list(f"{piece.strip()}_{k}".encode())}
            for k in range(1, top)
        ]
        content.append(
            {"token": piece, "logprob": value, "bytes": list(piece.encode()), "top_logprobs": alternatives[:top]}
        )
    return {"content": content, "refusal": None}
