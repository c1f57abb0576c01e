"""Meters for ``POST /embeddings`` (input tokens, exact before the call) and
``POST /moderations`` (free, but recorded like every other exchange)."""

from __future__ import annotations

from typing import Any

from conduit.errors import ValidationError
from conduit.meter.base import Estimate, Payload, StreamMeter, json_model, json_object
from conduit.meter.pricing import estimate_from_usage
from conduit.usage import Usage

_MAX_INPUTS = 2048  # OpenAI: at most 2048 inputs per embeddings request


def _inputs(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        return [value]  # one pre-tokenised input
    return list(value) if isinstance(value, list) else []


class _NoStream:
    model: str | None = None

    def feed(self, data: str) -> bool:
        return True

    def usage(self, complete: bool) -> Usage:
        return Usage()


class EmbeddingsMeter:
    endpoint = "embeddings"

    def model_of(self, payload: Payload) -> str | None:
        return json_model(payload)

    def validate(self, payload: Payload) -> None:
        body = payload.json or {}
        if not isinstance(body.get("model"), str):
            raise ValidationError("The request names no model.", "Pass model=..., e.g. 'text-embedding-3-small'.")
        inputs = _inputs(body.get("input"))
        if not inputs:
            raise ValidationError("input must be a non-empty string or list.", "Pass the text(s) to embed.")
        if len(inputs) > _MAX_INPUTS:
            raise ValidationError(
                f"{len(inputs)} inputs in one request; OpenAI accepts at most {_MAX_INPUTS}.", "Send them in batches."
            )
        for index, item in enumerate(inputs):
            if isinstance(item, str) and not item:
                raise ValidationError(f"input[{index}] is empty; OpenAI rejects empty strings.", "Drop empty inputs.")

    def prepare(self, payload: Payload) -> None:
        return None

    def estimate(self, payload: Payload, model: str | None) -> Estimate:
        from conduit.tokens import count_tokens

        model = model or ""
        tokens = sum(len(item) if isinstance(item, list) else count_tokens(str(item), model)
                     for item in _inputs((payload.json or {}).get("input")))
        estimate = estimate_from_usage(model, Usage(input_tokens=tokens))
        return estimate

    def read(self, payload: Payload, status: int, headers: Any, content: bytes) -> tuple[Usage, str | None]:
        data = json_object(content)
        usage = data.get("usage") or {}
        return Usage(input_tokens=int(usage.get("prompt_tokens") or 0)), data.get("model")

    def stream_meter(self, payload: Payload, estimate: Estimate | None = None) -> StreamMeter:
        return _NoStream()


class ModerationsMeter:
    """Moderations cost nothing; they are still exchanges, so they are recorded."""

    endpoint = "moderations"

    def model_of(self, payload: Payload) -> str | None:
        model = (payload.json or {}).get("model")
        return model if isinstance(model, str) else "omni-moderation-latest"

    def validate(self, payload: Payload) -> None:
        if not (payload.json or {}).get("input"):
            raise ValidationError("input is empty.", "Pass the text (or image parts) to classify.")

    def prepare(self, payload: Payload) -> None:
        return None

    def estimate(self, payload: Payload, model: str | None) -> Estimate:
        from decimal import Decimal

        return Estimate(usage=Usage(), usd=Decimal(0), price_source="free", upper_bound=True)

    def read(self, payload: Payload, status: int, headers: Any, content: bytes) -> tuple[Usage, str | None]:
        return Usage(), json_object(content).get("model")

    def stream_meter(self, payload: Payload, estimate: Estimate | None = None) -> StreamMeter:
        return _NoStream()
