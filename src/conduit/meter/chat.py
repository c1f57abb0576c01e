"""Meter for ``POST /chat/completions``: tokens in, worst-case tokens out, usage back."""

from __future__ import annotations

import json
from typing import Any

from conduit.errors import ValidationError
from conduit.meter.base import Estimate, Payload, json_model, json_object
from conduit.meter.pricing import estimate_from_usage
from conduit.usage import Usage

_ROLES = {"system", "developer", "user", "assistant", "tool", "function"}


def usage_from_chat(data: dict[str, Any] | None) -> Usage:
    """OpenAI's chat ``usage`` object → Usage (cached/reasoning/audio included)."""
    if not data:
        return Usage()
    prompt = data.get("prompt_tokens_details") or {}
    completion = data.get("completion_tokens_details") or {}
    return Usage(
        input_tokens=int(data.get("prompt_tokens") or 0),
        cached_input_tokens=int(prompt.get("cached_tokens") or 0),
        audio_input_tokens=int(prompt.get("audio_tokens") or 0),
        output_tokens=int(data.get("completion_tokens") or 0),
        reasoning_tokens=int(completion.get("reasoning_tokens") or 0),
        audio_output_tokens=int(completion.get("audio_tokens") or 0),
    )


class ChatMeter:
    endpoint = "chat.completions"

    def model_of(self, payload: Payload) -> str | None:
        return json_model(payload)

    def validate(self, payload: Payload) -> None:
        body = payload.json
        if body is None:
            raise ValidationError("A chat completion request needs a JSON body.", "Send model and messages as JSON.")
        if not isinstance(body.get("model"), str) or not body["model"].strip():
            raise ValidationError("The request names no model.", "Pass model=..., e.g. model='gpt-5.4-mini'.")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ValidationError("messages must be a non-empty list.", "Pass at least one {'role': 'user', 'content': ...}.")
        for index, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") not in _ROLES:
                raise ValidationError(
                    f"messages[{index}] has no valid role.",
                    f"Each message needs a role among {sorted(_ROLES)} and content.",
                )
        for key in ("max_tokens", "max_completion_tokens", "n"):
            value = body.get(key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ValidationError(f"{key} must be a positive integer, got {value!r}.", f"Set {key} to 1 or more.")

    def prepare(self, payload: Payload) -> None:
        """Ask for the final usage chunk on streams, so streamed calls are priced exactly."""
        body = payload.json or {}
        if body.get("stream") is True:
            options = body.get("stream_options") or {}
            if not options.get("include_usage"):
                new = dict(body)
                new["stream_options"] = {**options, "include_usage": True}
                payload.set_json(new)
                payload.flags.add("injected_include_usage")

    def estimate(self, payload: Payload, model: str | None) -> Estimate:
        from conduit.catalog import worst_case_output_tokens
        from conduit.tokens import check_context, count_message_tokens

        body = payload.json or {}
        model = model or ""
        input_tokens = count_message_tokens(body.get("messages") or [], model, tools=body.get("tools"))
        requested = body.get("max_completion_tokens") or body.get("max_tokens")
        per_choice = worst_case_output_tokens(model, requested)
        # an explicit output cap must fit beside the prompt; without one the server shrinks the output
        check_context(model, input_tokens, per_choice if requested else 0)
        output_tokens = per_choice * int(body.get("n") or 1)
        return estimate_from_usage(model, Usage(input_tokens=input_tokens, output_tokens=output_tokens))

    def read(self, payload: Payload, status: int, headers: Any, content: bytes) -> tuple[Usage, str | None]:
        data = json_object(content)
        return usage_from_chat(data.get("usage")), data.get("model")

    def stream_meter(self, payload: Payload, estimate: Estimate | None = None) -> "ChatStreamMeter":
        return ChatStreamMeter(
            model=self.model_of(payload),
            hide_usage_chunk="injected_include_usage" in payload.flags,
            estimated_input=estimate.usage.input_tokens if estimate else 0,
        )


class ChatStreamMeter:
    """Reads the final usage chunk; hides it when the caller did not ask for it."""

    def __init__(self, model: str | None, hide_usage_chunk: bool, estimated_input: int) -> None:
        self.model = model
        self._hide = hide_usage_chunk
        self._estimated_input = estimated_input
        self._usage: Usage | None = None
        self._text: list[str] = []

    def feed(self, data: str) -> bool:
        if data.strip() == "[DONE]":
            return True
        try:
            chunk = json.loads(data)
        except ValueError:
            return True
        if not isinstance(chunk, dict):
            return True
        if chunk.get("model"):
            self.model = chunk["model"]
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if isinstance(delta.get("content"), str):
                self._text.append(delta["content"])
            for call in delta.get("tool_calls") or []:
                function = call.get("function") or {}
                self._text.append(str(function.get("name") or "") + str(function.get("arguments") or ""))
        if chunk.get("usage"):
            self._usage = usage_from_chat(chunk["usage"])
            if self._hide and not chunk.get("choices"):
                return False
        return True

    def usage(self, complete: bool) -> Usage:
        if self._usage is not None:
            return self._usage
        from conduit.tokens import count_tokens

        # no usage chunk (dropped stream): bill what we know arrived, never nothing
        return Usage(
            input_tokens=self._estimated_input,
            output_tokens=count_tokens("".join(self._text), self.model or ""),
        )
