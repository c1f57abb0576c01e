"""One simulated model turn, shared by chat completions and responses.

Decides what the "model" says (a scripted reply, or the deterministic default
shaped by the requested output format), how many reasoning tokens it spent,
and whether the output limit cut it short.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from conduit.sandbox import content as _content
from conduit.sandbox.counting import count_text, truncate_to_tokens
from conduit.sandbox.models import ModelInfo
from conduit.sandbox.script import ScriptedReply

REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
_REASONING_TOKENS = {"none": 0, "minimal": 0, "low": 64, "medium": 192, "high": 576, "xhigh": 1024}


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass
class Turn:
    """The model's output for one choice."""

    content: str | None
    tool_calls: list[ToolCall] = field(default_factory=list)
    refusal: str | None = None
    finish_reason: str = "stop"
    reasoning_tokens: int = 0
    output_tokens: int = 0  # visible output (content/refusal/tool calls), excluding reasoning

    @property
    def completion_tokens(self) -> int:
        return self.output_tokens + self.reasoning_tokens


def reasoning_tokens_for(info: ModelInfo, effort: str | None) -> int:
    if not info.is_reasoning:
        return 0
    return _REASONING_TOKENS.get(effort or "medium", 192)


def make_turn(
    info: ModelInfo,
    model: str,
    prompt: str,
    *,
    index: int,
    script: ScriptedReply | None,
    max_output: int | None,
    effort: str | None,
    output_format: dict[str, Any] | None,
    call_id_seed: Any,
    stop: str | list[str] | None = None,
) -> Turn:
    """Build the turn, then apply the output limit (reasoning is spent first, as on OpenAI)."""
    reasoning = reasoning_tokens_for(info, effort)
    if script is not None and script.reasoning_tokens is not None and info.is_reasoning:
        reasoning = script.reasoning_tokens
    tool_calls: list[ToolCall] = []
    refusal = None
    finish = "stop"
    if script is not None:
        text = script.content
        refusal = script.refusal
        for position, call in enumerate(script.tool_calls):
            call_id = call.get("id") or _content.make_id("call_", call_id_seed, index, position, length=24)
            tool_calls.append(ToolCall(call_id, call["name"], call["arguments"]))
        if tool_calls:
            finish = "tool_calls"
    else:
        text = _answer_for_format(model, prompt, index, output_format)
    if script is not None and script.finish_reason:
        finish = script.finish_reason
    if text and stop and not tool_calls:
        text = _cut_at_stop(text, [stop] if isinstance(stop, str) else stop)

    visible = count_text(text or "", model) + count_text(refusal or "", model)
    for call in tool_calls:
        visible += count_text(call.name, model) + count_text(call.arguments, model) + 4
    if max_output is not None and reasoning + visible > max_output:
        if reasoning >= max_output:
            reasoning, text, tool_calls, refusal, visible = max_output, ("" if text is not None else None), [], None, 0
        else:
            budget = max_output - reasoning
            text = truncate_to_tokens(text or "", model, budget)
            tool_calls, refusal = [], None
            visible = count_text(text, model)
        finish = "length"
    return Turn(text, tool_calls, refusal, finish, reasoning, visible)


def _answer_for_format(model: str, prompt: str, index: int, output_format: dict[str, Any] | None) -> str:
    kind = (output_format or {}).get("type", "text")
    if kind == "json_object":
        return _content.json_object_answer(model, prompt, index)
    if kind == "json_schema":
        schema = output_format.get("schema") if output_format else None
        if schema is None and output_format:
            schema = (output_format.get("json_schema") or {}).get("schema")
        return json.dumps(_content.instance_for_schema(schema or {"type": "object"}), ensure_ascii=False)
    return _content.default_answer(model, prompt, index)


def _cut_at_stop(text: str, stops: list[str]) -> str:
    """The text before the earliest stop sequence (the sequence itself is not returned, as on OpenAI)."""
    cut = min((text.find(s) for s in stops if s and s in text), default=-1)
    return text if cut < 0 else text[:cut]


def forced_tool_reply(choice: Any, tools: list[tuple[str, Any]]) -> ScriptedReply | None:
    """What a model does when ``tool_choice`` forces a call and nothing is scripted.

    ``required`` calls the first tool, a named choice calls that tool; the
    arguments are a minimal instance of the tool's parameter schema, so they
    validate like a strict-mode call would.
    """
    if not tools:
        return None
    name: str | None = None
    if choice == "required":
        name = tools[0][0]
    elif isinstance(choice, dict) and choice.get("type") == "function":
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else choice.get("name")
    if name is None:
        return None
    parameters = dict(tools).get(name) or {"type": "object", "properties": {}}
    arguments = _content.instance_for_schema(parameters)
    return ScriptedReply(tool_calls=[{"name": name, "arguments": arguments if arguments is not None else {}}])
