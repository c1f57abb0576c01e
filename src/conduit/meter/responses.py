"""Meter for ``POST /responses``: input + instructions + tools, worst-case output, usage back.

The Responses API is what the OpenAI Agents SDK speaks by default, so an
agent built on ``conduit.AsyncOpenAI()`` is estimated, budgeted and priced
like a chat call.
"""

from __future__ import annotations

import json
from typing import Any

from conduit.errors import ValidationError
from conduit.meter.base import Estimate, Payload, json_model, json_object
from conduit.meter.pricing import estimate_from_usage
from conduit.usage import Usage


def usage_from_responses(data: dict[str, Any] | None) -> Usage:
    """The Responses ``usage`` object (input/output tokens with details) → Usage."""
    if not data:
        return Usage()
    input_details = data.get("input_tokens_details") or {}
    output_details = data.get("output_tokens_details") or {}
    return Usage(
        input_tokens=int(data.get("input_tokens") or 0),
        cached_input_tokens=int(input_details.get("cached_tokens") or 0),
        output_tokens=int(data.get("output_tokens") or 0),
        reasoning_tokens=int(output_details.get("reasoning_tokens") or 0),
    )


class ResponsesMeter:
    endpoint = "responses"

    def model_of(self, payload: Payload) -> str | None:
        return json_model(payload)

    def validate(self, payload: Payload) -> None:
        body = payload.json
        if body is None:
            raise ValidationError("A Responses API request needs a JSON body.", "Send model and input as JSON.")
        if not isinstance(body.get("model"), str) or not body["model"].strip():
            raise ValidationError("The request names no model.", "Pass model=..., e.g. model='gpt-5.4-mini'.")
        if body.get("input") is None and not body.get("previous_response_id") and not body.get("prompt"):
            raise ValidationError("The request has no input.", "Pass input= (a string or a list of input items).")
        limit = body.get("max_output_tokens")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
            raise ValidationError(f"max_output_tokens must be a positive integer, got {limit!r}.", "Set it to 1 or more.")

    def prepare(self, payload: Payload) -> None:
        return None  # streamed responses always end with response.completed carrying usage

    def estimate(self, payload: Payload, model: str | None) -> Estimate:
        from conduit.catalog import worst_case_output_tokens
        from conduit.tokens import check_context, count_response_input

        body = payload.json or {}
        model = model or ""
        text_format = (body.get("text") or {}).get("format") if isinstance(body.get("text"), dict) else None
        counted = count_response_input(
            body.get("input") or "", model, body.get("instructions"), body.get("tools"), text_format
        )
        requested = body.get("max_output_tokens")
        output_tokens = worst_case_output_tokens(model, requested)
        check_context(model, counted.tokens, output_tokens if requested else 0)
        estimate = estimate_from_usage(model, Usage(input_tokens=counted.tokens, output_tokens=output_tokens))
        # a previous_response_id carries history we cannot see: the input count is a floor, not a bound
        estimate.upper_bound = counted.exact and not body.get("previous_response_id")
        return estimate

    def read(self, payload: Payload, status: int, headers: Any, content: bytes) -> tuple[Usage, str | None]:
        data = json_object(content)
        return usage_from_responses(data.get("usage")), data.get("model")

    def stream_meter(self, payload: Payload, estimate: Estimate | None = None) -> "ResponsesStreamMeter":
        return ResponsesStreamMeter(self.model_of(payload), estimate.usage.input_tokens if estimate else 0)


class ResponsesStreamMeter:
    """Usage arrives in the terminal event (response.completed / incomplete / failed)."""

    _TERMINAL = {"response.completed", "response.incomplete", "response.failed"}

    def __init__(self, model: str | None, estimated_input: int) -> None:
        self.model = model
        self._estimated_input = estimated_input
        self._usage: Usage | None = None
        self._text: list[str] = []

    def feed(self, data: str) -> bool:
        try:
            event = json.loads(data)
        except ValueError:
            return True
        if not isinstance(event, dict):
            return True
        kind = event.get("type")
        if kind in ("response.output_text.delta", "response.function_call_arguments.delta"):
            self._text.append(str(event.get("delta") or ""))
        elif kind in self._TERMINAL:
            response = event.get("response") or {}
            self.model = response.get("model") or self.model
            if response.get("usage"):
                self._usage = usage_from_responses(response["usage"])
        return True

    def usage(self, complete: bool) -> Usage:
        if self._usage is not None:
            return self._usage
        from conduit.tokens import count_tokens

        return Usage(input_tokens=self._estimated_input, output_tokens=count_tokens("".join(self._text), self.model or ""))
