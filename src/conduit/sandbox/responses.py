"""POST /v1/responses (plain and streamed) and GET /v1/responses/{id}.

Input items are turned into chat-style messages so prompt tokens are counted
with the same formula as chat; stored responses make ``previous_response_id``
chains cost what they cost on OpenAI (the whole earlier conversation is input
again, and mostly cached).
"""

from __future__ import annotations

import time
from typing import Any, AsyncIterator

from starlette.responses import JSONResponse, Response

from conduit.sandbox import models as _models
from conduit.sandbox.content import make_id, text_of, words
from conduit.sandbox.counting import count_messages, count_text
from conduit.sandbox.errors import APIError, invalid, missing
from conduit.sandbox.generate import REASONING_EFFORTS, Turn, forced_tool_reply, make_turn
from conduit.sandbox.http import Call, sse_event, sse_response
from conduit.sandbox.limits import limits
from conduit.sandbox.prompt_cache import EXTENDED_TTL, IN_MEMORY_TTL, cached_amount
from conduit.sandbox.validate import check_enum, check_params, check_range, check_type

PARAMS: dict[str, str] = {
    "model": "string",
    "input": "string|array",
    "instructions": "string|array",
    "tools": "array",
    "tool_choice": "string|object",
    "max_output_tokens": "integer",
    "max_tool_calls": "integer",
    "stream": "boolean",
    "stream_options": "object",
    "temperature": "number",
    "top_p": "number",
    "top_logprobs": "integer",
    "text": "object",
    "reasoning": "object",
    "previous_response_id": "string",
    "conversation": "string|object",
    "store": "boolean",
    "metadata": "object",
    "parallel_tool_calls": "boolean",
    "truncation": "string",
    "user": "string",
    "include": "array",
    "background": "boolean",
    "prompt": "object",
    "prompt_cache_key": "string",
    "prompt_cache_retention": "string",
    "safety_identifier": "string",
    "service_tier": "string",
}


async def create(call: Call) -> Response:
    body = call.body
    info = call.resolve_model((_models.CHAT, _models.RESPONSES_ONLY), endpoint="v1/responses")
    model: str = body["model"]
    check_params(body, PARAMS)
    if body.get("input") is None and body.get("previous_response_id") is None and body.get("prompt") is None:
        raise missing("input")
    check_range(body.get("max_output_tokens"), "max_output_tokens", minimum=16, integer=True)
    check_range(body.get("temperature"), "temperature", minimum=0, maximum=2)
    check_range(body.get("top_p"), "top_p", minimum=0, maximum=1)
    check_enum(body.get("truncation"), "truncation", ("auto", "disabled"))
    reasoning = body.get("reasoning") or {}
    effort = reasoning.get("effort")
    check_enum(effort, "reasoning.effort", REASONING_EFFORTS)
    if effort is not None and not info.is_reasoning:
        raise invalid(
            "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
            "reasoning.effort",
            "unsupported_parameter",
        )
    if info.is_reasoning and body.get("temperature") not in (None, 1):
        raise invalid(
            "Unsupported parameter: 'temperature' is not supported with this model.", "temperature", "unsupported_parameter"
        )
    tools = _validate_tools(body.get("tools") or [])
    text_format = ((body.get("text") or {}).get("format")) or {"type": "text"}
    check_type(text_format, "object", "text.format")
    check_enum(text_format.get("type"), "text.format.type", ("text", "json_object", "json_schema"))
    if text_format.get("type") == "json_schema":
        if "name" not in text_format:
            raise missing("text.format.name")
        if text_format.get("schema") is not None:
            check_type(text_format["schema"], "object", "text.format.schema")
    _validate_tool_choice(body.get("tool_choice"), tools)

    history: list[dict[str, Any]] = []
    previous_id = body.get("previous_response_id")
    if previous_id is not None:
        stored = call.state.stored_response(previous_id)
        if stored is None:
            raise APIError(
                400,
                f"Previous response with id '{previous_id}' not found.",
                param="previous_response_id",
                code="previous_response_not_found",
            )
        history = list(stored[1])
    messages = history + _instructions(body.get("instructions")) + _input_messages(body.get("input"))
    if not messages:
        raise missing("input")
    chat_tools = [
        {"type": "function", "function": {k: t[k] for k in ("name", "description", "parameters") if k in t}}
        for t in tools
        if t.get("type") == "function"
    ]
    input_tokens = count_messages(messages, model, chat_tools or None)
    context_window, _ = limits(model)
    if input_tokens > context_window:
        raise invalid(
            f"Your input exceeds the context window of this model ({input_tokens} > {context_window} tokens). "
            "Please adjust your input and try again.",
            "input",
            "context_length_exceeded",
        )
    cached = 0
    if input_tokens >= 1024:
        matched = call.state.prompt_cache.lookup_and_store(
            model,
            [{"tools": chat_tools}, *messages],
            [count_text(str(chat_tools), model) if chat_tools else 0]
            + [count_messages(messages[: i + 1], model, chat_tools or None) - 3 for i in range(len(messages))],
            cache_key=body.get("prompt_cache_key"),
            ttl=EXTENDED_TTL if body.get("prompt_cache_retention") == "24h" else IN_MEMORY_TTL,
        )
        cached = cached_amount(matched, input_tokens)

    script = call.state.scripts.take(call.path, model) or forced_tool_reply(
        body.get("tool_choice"), [(t["name"], t.get("parameters")) for t in tools if t.get("type") == "function"]
    )
    last_user = next((text_of(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    turn = make_turn(
        info,
        model,
        last_user,
        index=0,
        script=script,
        max_output=body.get("max_output_tokens"),
        effort=effort,
        output_format=text_format,
        call_id_seed=(call.request_id,),
    )
    response_id = make_id("resp_", call.request_id, length=48)
    created = time.time()
    output = _output_items(turn, response_id, info)
    status = "incomplete" if turn.finish_reason == "length" else "completed"
    payload: dict[str, Any] = {
        "id": response_id,
        "object": "response",
        "created_at": int(created),
        "status": status,
        "background": bool(body.get("background", False)),
        "completed_at": int(created) if status == "completed" else None,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": model,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": previous_id,
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": {"effort": effort or ("medium" if info.is_reasoning else None), "summary": None},
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": "default",
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": {"format": text_format, "verbosity": (body.get("text") or {}).get("verbosity", "medium")},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": tools,
        "top_logprobs": body.get("top_logprobs", 0),
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
            "output_tokens": turn.completion_tokens,
            "output_tokens_details": {"reasoning_tokens": turn.reasoning_tokens},
            "total_tokens": input_tokens + turn.completion_tokens,
        },
        "user": body.get("user"),
        "metadata": body.get("metadata") or {},
    }
    for optional in ("user", "safety_identifier", "prompt_cache_key"):
        if payload[optional] is None:
            del payload[optional]  # the spec types these as strings: absent, not null
    if body.get("store", True) is not False:
        call.state.store_response(payload, messages + _output_messages(turn))
    headers = {"x-conduit-estimated-tokens": str(input_tokens + (body.get("max_output_tokens") or 0))}
    if body.get("stream"):
        return sse_response(_stream(payload, turn), headers=headers)
    return JSONResponse(payload, headers=headers)


async def retrieve(call: Call) -> Response:
    response_id = call.request.path_params["response_id"]
    stored = call.state.stored_response(response_id)
    if stored is None:
        raise APIError(404, f"Response with id '{response_id}' not found.", param=None, code=None)
    return JSONResponse(stored[0])


def _validate_tools(tools: list[Any]) -> list[dict[str, Any]]:
    echoed = []
    for i, tool in enumerate(tools):
        check_type(tool, "object", f"tools[{i}]")
        kind = tool.get("type")
        if kind is None:
            raise missing(f"tools[{i}].type")
        if kind == "function":
            if "name" not in tool:
                raise missing(f"tools[{i}].name")
            check_type(tool["name"], "string", f"tools[{i}].name")
            if tool.get("parameters") is not None:
                check_type(tool["parameters"], "object", f"tools[{i}].parameters")
            echoed.append(
                {
                    "type": "function",
                    "name": tool["name"],
                    "description": tool.get("description"),
                    "parameters": tool.get("parameters"),
                    "strict": tool.get("strict", True),
                }
            )
        else:
            echoed.append(tool)
    return echoed


def _instructions(instructions: Any) -> list[dict[str, Any]]:
    if instructions is None:
        return []
    if isinstance(instructions, str):
        return [{"role": "developer", "content": instructions}]
    return _input_messages(instructions)


def _input_messages(items: Any) -> list[dict[str, Any]]:
    """Responses input items → chat-style messages (for token counting and the default answer)."""
    if items is None:
        return []
    if isinstance(items, str):
        return [{"role": "user", "content": items}]
    messages: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        check_type(item, "object", f"input[{i}]")
        kind = item.get("type", "message")
        if kind == "message":
            role = item.get("role")
            if role is None:
                raise missing(f"input[{i}].role")
            check_enum(role, f"input[{i}].role", ("user", "assistant", "system", "developer"))
            if "content" not in item:
                raise missing(f"input[{i}].content")
            content = item["content"]
            check_type(content, "string|array", f"input[{i}].content")
            messages.append({"role": role, "content": content if isinstance(content, str) else text_of(content)})
        elif kind == "function_call":
            for key in ("call_id", "name", "arguments"):
                if key not in item:
                    raise missing(f"input[{i}].{key}")
                check_type(item[key], "string", f"input[{i}].{key}")
            messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": item.get("call_id", ""),
                            "type": "function",
                            "function": {"name": item.get("name", ""), "arguments": item.get("arguments", "")},
                        }
                    ],
                }
            )
        elif kind == "function_call_output":
            if "call_id" not in item:
                raise missing(f"input[{i}].call_id")
            check_type(item["call_id"], "string", f"input[{i}].call_id")
            output = item.get("output", "")
            messages.append(
                {"role": "tool", "tool_call_id": item["call_id"], "content": output if isinstance(output, str) else text_of(output)}
            )
        elif kind == "reasoning":
            continue
        else:
            messages.append({"role": "user", "content": text_of(item.get("content")) or str(item)})
    return messages


def _output_items(turn: Turn, response_id: str, info: _models.ModelInfo) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if info.is_reasoning:
        items.append({"id": make_id("rs_", response_id, "reasoning", length=48), "type": "reasoning", "summary": []})
    if turn.content is not None and (turn.content or not turn.tool_calls):
        part: dict[str, Any] = {"type": "output_text", "text": turn.content, "annotations": [], "logprobs": []}
        if turn.refusal is not None:
            part = {"type": "refusal", "refusal": turn.refusal}
        items.append(
            {
                "id": make_id("msg_", response_id, "message", length=48),
                "type": "message",
                "status": "incomplete" if turn.finish_reason == "length" else "completed",
                "role": "assistant",
                "content": [part],
            }
        )
    elif turn.refusal is not None:
        items.append(
            {
                "id": make_id("msg_", response_id, "message", length=48),
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "refusal", "refusal": turn.refusal}],
            }
        )
    for position, tool_call in enumerate(turn.tool_calls):
        items.append(
            {
                "id": make_id("fc_", response_id, position, length=48),
                "type": "function_call",
                "status": "completed",
                "call_id": tool_call.id,
                "name": tool_call.name,
                "arguments": tool_call.arguments,
            }
        )
    return items


def _output_messages(turn: Turn) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    if turn.content:
        messages.append({"role": "assistant", "content": turn.content})
    if turn.tool_calls:
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                    for c in turn.tool_calls
                ],
            }
        )
    return messages


async def _stream(payload: dict[str, Any], turn: Turn) -> AsyncIterator[bytes]:
    sequence = 0

    def event(kind: str, data: dict[str, Any]) -> bytes:
        nonlocal sequence
        data = {"type": kind, "sequence_number": sequence, **data}
        sequence += 1
        return sse_event(kind, data)

    pending = dict(payload, status="in_progress", output=[], completed_at=None, incomplete_details=None)
    pending.pop("usage")  # not known yet; the spec has no null usage
    yield event("response.created", {"response": pending})
    yield event("response.in_progress", {"response": pending})
    for index, item in enumerate(payload["output"]):
        item_id = item["id"]
        if item["type"] == "message":
            yield event("response.output_item.added", {"output_index": index, "item": dict(item, status="in_progress", content=[])})
            for content_index, part in enumerate(item["content"]):
                if part["type"] == "output_text":
                    empty = dict(part, text="")
                    yield event("response.content_part.added", {"item_id": item_id, "output_index": index, "content_index": content_index, "part": empty})
                    for piece in words(part["text"]):
                        yield event(
                            "response.output_text.delta",
                            {"item_id": item_id, "output_index": index, "content_index": content_index, "delta": piece, "logprobs": []},
                        )
                    yield event(
                        "response.output_text.done",
                        {"item_id": item_id, "output_index": index, "content_index": content_index, "text": part["text"], "logprobs": []},
                    )
                else:
                    yield event("response.content_part.added", {"item_id": item_id, "output_index": index, "content_index": content_index, "part": dict(part, refusal="")})
                    yield event("response.refusal.done", {"item_id": item_id, "output_index": index, "content_index": content_index, "refusal": part["refusal"]})
                yield event("response.content_part.done", {"item_id": item_id, "output_index": index, "content_index": content_index, "part": part})
        elif item["type"] == "function_call":
            yield event("response.output_item.added", {"output_index": index, "item": dict(item, status="in_progress", arguments="")})
            arguments = item["arguments"]
            for start in range(0, len(arguments), 8):
                yield event(
                    "response.function_call_arguments.delta",
                    {"item_id": item_id, "output_index": index, "delta": arguments[start : start + 8]},
                )
            yield event(
                "response.function_call_arguments.done",
                {"item_id": item_id, "output_index": index, "arguments": arguments, "name": item["name"]},
            )
        else:
            yield event("response.output_item.added", {"output_index": index, "item": item})
        yield event("response.output_item.done", {"output_index": index, "item": item})
    final = "response.incomplete" if payload["status"] == "incomplete" else "response.completed"
    yield event(final, {"response": payload})


def _validate_tool_choice(choice: Any, tools: list[dict[str, Any]]) -> None:
    if choice is None:
        return
    if isinstance(choice, str):
        check_enum(choice, "tool_choice", ("none", "auto", "required"))
        return
    check_type(choice, "object", "tool_choice")
    if choice.get("type") is None:
        raise missing("tool_choice.type")
    if choice["type"] == "function":
        name = choice.get("name")
        if name is None:
            raise missing("tool_choice.name")
        check_type(name, "string", "tool_choice.name")
        if name not in {t.get("name") for t in tools}:
            raise invalid(f"Tool choice '{name}' not found in 'tools' parameter.", "tool_choice")
