"""Meters: one per endpoint, found by request path.

Other endpoints register here as they are metered; a path with no meter is
still recorded (``GenericMeter``) so nothing leaves the process unledgered.
"""

from __future__ import annotations

from typing import Any

from conduit.meter.base import Estimate, Meter, Payload, StreamMeter, json_model, json_object
from conduit.meter.audio import TranscriptionMeter
from conduit.meter.chat import ChatMeter
from conduit.meter.embeddings import EmbeddingsMeter, ModerationsMeter
from conduit.meter.images import ImagesMeter
from conduit.meter.responses import ResponsesMeter
from conduit.meter.speech import SpeechMeter
from conduit.usage import Usage

__all__ = ["Estimate", "GenericMeter", "Meter", "Payload", "StreamMeter", "meter_for"]


class GenericMeter:
    """For endpoints without a dedicated meter: recorded, cost from ``usage`` tokens if any."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def model_of(self, payload: Payload) -> str | None:
        return json_model(payload)

    def validate(self, payload: Payload) -> None:
        return None

    def prepare(self, payload: Payload) -> None:
        return None

    def estimate(self, payload: Payload, model: str | None) -> Estimate:
        return Estimate(usage=Usage(), usd=None, upper_bound=False)

    def read(self, payload: Payload, status: int, headers: Any, content: bytes) -> tuple[Usage, str | None]:
        data = json_object(content)
        usage = data.get("usage") or {}
        tokens_in = int(usage.get("prompt_tokens") or usage.get("input_tokens") or 0)
        tokens_out = int(usage.get("completion_tokens") or usage.get("output_tokens") or 0)
        return Usage(input_tokens=tokens_in, output_tokens=tokens_out), data.get("model")

    def stream_meter(self, payload: Payload, estimate: Estimate | None = None) -> StreamMeter:
        return _PassThroughStream()


class _PassThroughStream:
    model: str | None = None

    def feed(self, data: str) -> bool:
        return True

    def usage(self, complete: bool) -> Usage:
        return Usage()


# "METHOD /path-suffix" -> meter; paths are matched after the base URL's /v1
_METERS: dict[str, Meter] = {
    "POST /chat/completions": ChatMeter(),
    "POST /responses": ResponsesMeter(),
    "POST /embeddings": EmbeddingsMeter(),
    "POST /moderations": ModerationsMeter(),
    "POST /images/generations": ImagesMeter("images.generations"),
    "POST /images/edits": ImagesMeter("images.edits"),
    "POST /images/variations": ImagesMeter("images.variations"),
    "POST /audio/transcriptions": TranscriptionMeter("audio.transcriptions"),
    "POST /audio/translations": TranscriptionMeter("audio.translations"),
    "POST /audio/speech": SpeechMeter(),
}


def register_meter(method: str, path: str, meter: Meter) -> None:
    _METERS[f"{method.upper()} {path}"] = meter


def meter_for(method: str, path: str) -> Meter:
    """The meter for a request path such as ``/v1/chat/completions``."""
    # after the API version, so proxies that mount the API under a prefix (/openai/v1/...) match too
    marker = path.find("/v1/")
    suffix = path[marker + 3 :] if marker >= 0 else path
    meter = _METERS.get(f"{method.upper()} {suffix}")
    if meter is not None:
        return meter
    endpoint = suffix.strip("/").replace("/", ".") or "root"
    return GenericMeter(endpoint)
