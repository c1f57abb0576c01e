"""Downgrade: re-plan a call on the cheapest catalog model that still meets its needs.

"Needs" are read from the request itself, never guessed: the input
modalities it sends (images, audio), the output it asks for (audio), the
context it fills (estimated input + requested output must fit the window),
and the features it uses (tools, structured outputs, streaming, reasoning
effort). Only active (not deprecated, not retired), general-purpose chat
models with a known price are candidates; each is priced with the endpoint's
own meter on the rewritten request, so the comparison is the same worst case
the budget reserves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from conduit.meter.base import Estimate, Meter, Payload

# endpoints whose requests we know how to move to another model
_REPLANNABLE = {"chat.completions"}
# specialised families that are not drop-in substitutes for a general chat call
_SPECIAL = re.compile(r"(instruct|search|deep-research|computer-use|codex|realtime|-pro$|-pro-|rosalind|cyber|-law$|chat-latest)")


@dataclass(frozen=True, slots=True)
class Needs:
    """What a request requires of any model that answers it."""

    inputs: frozenset[str] = frozenset({"text"})
    outputs: frozenset[str] = frozenset({"text"})
    tools: bool = False
    structured: bool = False
    streaming: bool = False
    reasoning: bool = False
    temperature: bool = False
    context_tokens: int = 0
    notes: tuple[str, ...] = field(default=())


def needs_of(payload: Payload, estimate: Estimate | None) -> Needs:
    """Read a chat request's needs from its wire JSON."""
    body = payload.json or {}
    inputs = {"text"}
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            for part in content:
                kind = part.get("type") if isinstance(part, dict) else None
                if kind == "image_url":
                    inputs.add("image")
                elif kind == "input_audio":
                    inputs.add("audio")
                elif kind == "file":
                    inputs.add("file")
    outputs = {"text"}
    if "audio" in (body.get("modalities") or []) or body.get("audio"):
        outputs.add("audio")
    response_format = body.get("response_format") or {}
    requested_output = body.get("max_completion_tokens") or body.get("max_tokens") or 0
    input_tokens = estimate.usage.input_tokens if estimate is not None else 0
    return Needs(
        inputs=frozenset(inputs),
        outputs=frozenset(outputs),
        tools=bool(body.get("tools") or body.get("functions")),
        structured=isinstance(response_format, dict) and response_format.get("type") == "json_schema",
        streaming=body.get("stream") is True,
        reasoning=body.get("reasoning_effort") is not None,
        temperature=body.get("temperature") is not None or body.get("top_p") is not None,
        context_tokens=int(input_tokens) + int(requested_output or 0),
    )


def meets(spec: Any, needs: Needs) -> bool:
    """Whether the catalog ``spec`` can answer a request with ``needs``."""
    if spec.kind != "chat" or spec.status() != "active" or _SPECIAL.search(spec.name):
        return False
    if "not a supported model id" in (spec.description or ""):
        return False
    if not needs.inputs <= set(spec.input_modalities) or not needs.outputs <= set(spec.output_modalities):
        return False
    if "audio" in spec.output_modalities and "audio" not in needs.outputs:
        return False  # audio models cost more per token and answer differently; never a text downgrade
    features = spec.features
    if (needs.tools and not features.tools) or (needs.structured and not features.structured_outputs):
        return False
    if (needs.streaming and not features.streaming) or (needs.reasoning and not features.reasoning):
        return False
    if needs.temperature and not spec.rules.supports_temperature:
        return False
    if spec.context_window is not None and needs.context_tokens > spec.context_window:
        return False
    return True


def rewrite(payload: Payload, model: str, spec: Any) -> dict[str, Any]:
    """The request body for ``model``: same content, the model's token-limit parameter."""
    body = dict(payload.json or {})
    body["model"] = model
    limit = body.pop("max_completion_tokens", None)
    legacy = body.pop("max_tokens", None)
    value = limit if limit is not None else legacy
    if value is not None:
        if spec.max_output_tokens is not None:
            value = min(int(value), spec.max_output_tokens)
        body[spec.rules.token_limit_param] = value
    return body


@dataclass(frozen=True, slots=True)
class Plan:
    """A cheaper way to make the same call."""

    model: str
    body: dict[str, Any]
    estimate: Estimate


def cheaper_plans(endpoint: str, meter: Meter, payload: Payload, current_model: str | None, current: Estimate | None) -> list[Plan]:
    """Every candidate cheaper than the current worst case, cheapest first (empty if none)."""
    if endpoint not in _REPLANNABLE or payload.json is None:
        return []
    from conduit.catalog import list_models, lookup_model, price
    from conduit.usage import Usage

    probe = Usage(input_tokens=1, output_tokens=1)

    needs = needs_of(payload, current)
    ceiling: Decimal | None = current.usd if current is not None else None
    current_family = None
    if current_model:
        spec = lookup_model(current_model)
        current_family = spec.family or spec.name if spec is not None else None
    plans: list[Plan] = []
    for spec in list_models("chat"):
        if spec.name in (current_model, current_family) or not meets(spec, needs):
            continue
        if price(spec.name, probe, warn=False).usd is None:  # unpriced: cannot be compared (and must not warn)
            continue
        body = rewrite(payload, spec.name, spec)
        trial = Payload(raw=b"", content_type=payload.content_type, json=body)
        try:
            estimate = meter.estimate(trial, spec.name)
        except Exception:  # a candidate the meter cannot price is not a candidate
            continue
        if estimate.usd is None or (ceiling is not None and estimate.usd >= ceiling):
            continue
        plans.append(Plan(spec.name, body, estimate))
    plans.sort(key=lambda plan: (plan.estimate.usd, plan.model))
    return plans
