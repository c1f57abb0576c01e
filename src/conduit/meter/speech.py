"""Meter for ``POST /audio/speech`` (text to speech).

The response is audio bytes with no ``usage``, so the cost is computed from
the request: tts-1 and tts-1-hd bill input characters (exact before the
call); gpt-4o-mini-tts bills text tokens (exact) plus audio output tokens,
which depend on how long the speech lasts -- bounded before the call from the
text length and speed, and measured afterwards from the returned audio's own
duration. With ``stream_format="sse"`` the final ``speech.audio.done`` event
carries the token usage.

Validation names the allowed values: voices per model, ``instructions`` only
where supported, the 4,096-character input limit, output formats, speed
0.25-4.0, and SSE streaming only on models that offer it.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

from conduit.errors import ValidationError
from conduit.meter.base import Estimate, Payload
from conduit.meter.pricing import estimate_from_usage
from conduit.usage import Usage

__all__ = ["SpeechMeter", "SpeechStreamMeter", "speech_usage"]

_FIELDS = {"model", "input", "voice", "instructions", "response_format", "speed", "stream_format"}
# a slow speaker reads ~10 characters per second at speed 1.0 (typical TTS: ~15): the bound before the call
_SLOW_CHARS_PER_SECOND = 10.0
_MAX_STREAM_BUFFER = 64 * 1024 * 1024


def _family(model: str) -> str:
    from conduit.catalog import resolve_family

    return resolve_family(model) or model


def speech_usage(model: str, text: str, instructions: str | None, audio_seconds: float) -> Usage:
    """Billable units of synthesising ``text`` into ``audio_seconds`` of speech on ``model``."""
    from conduit.media.billing import audio_output_tokens_per_minute, billing_unit

    if billing_unit(model) == "characters":
        return Usage(characters=len(text))
    from conduit.tokens import count_tokens

    text_tokens = count_tokens(text, model) + (count_tokens(instructions, model) if instructions else 0)
    audio_tokens = math.ceil(audio_seconds * audio_output_tokens_per_minute(model) / 60)
    return Usage(input_tokens=text_tokens, output_tokens=audio_tokens, audio_output_tokens=audio_tokens,
                 characters=len(text))


def _speed(body: dict[str, Any]) -> float:
    speed = body.get("speed")
    return float(speed) if isinstance(speed, (int, float)) and not isinstance(speed, bool) and speed > 0 else 1.0


class SpeechMeter:
    endpoint = "audio.speech"

    def model_of(self, payload: Payload) -> str | None:
        model = (payload.json or {}).get("model")
        return model if isinstance(model, str) else None

    def validate(self, payload: Payload) -> None:
        from conduit.catalog import check_request, lookup_model
        from conduit.media.billing import current_models

        body = payload.json
        if body is None:
            raise ValidationError("A speech request needs a JSON body.", "Send model, voice and input as JSON.")
        model = body.get("model")
        if not isinstance(model, str) or not model.strip():
            raise ValidationError("The speech request names no model.",
                                  "Pass model=..., one of: " + ", ".join(current_models("speech")) + ".")
        unknown = sorted(set(body) - _FIELDS)
        if unknown:
            raise ValidationError(f"Unknown parameter {unknown[0]!r} for audio.speech.",
                                  "Accepted: " + ", ".join(sorted(_FIELDS)) + ".")
        spec = lookup_model(model)
        if spec is not None and spec.kind != "speech":
            raise ValidationError(f"{model} is not a text-to-speech model.",
                                  "Use one of: " + ", ".join(current_models("speech")) + ".")
        text = body.get("input")
        if not isinstance(text, str) or not text.strip():
            raise ValidationError("The speech request has no input text.", "Pass the words to say as input=....")
        voice = body.get("voice")
        if voice is None or voice == "":
            voices = ", ".join(spec.rules.voices) if spec is not None and spec.rules.voices else "alloy, nova, ..."
            raise ValidationError("The speech request names no voice.", f"Pass voice=..., one of: {voices}.")
        if isinstance(voice, dict):
            if not isinstance(voice.get("id"), str):
                raise ValidationError("A custom voice must be {'id': 'voice_...'}.", "Pass the custom voice's id.")
            if spec is not None and not spec.rules.supports_instructions:
                raise ValidationError(f"{model} does not support custom voices.", "Use a built-in voice name.")
        elif not isinstance(voice, str):
            raise ValidationError(f"voice must be a name, got {voice!r}.", "Pass a voice name such as 'alloy'.")
        check_request(model, self.endpoint, body)
        speed = body.get("speed")
        if speed is not None and (
            isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0.25 <= speed <= 4.0
        ):
            raise ValidationError(f"speed must be between 0.25 and 4.0, got {speed!r}.", "Use 1.0 for normal speed.")
        stream_format = body.get("stream_format")
        if stream_format is not None:
            if stream_format not in ("audio", "sse"):
                raise ValidationError(f"stream_format {stream_format!r} is not valid.", "Use 'audio' or 'sse'.")
            if stream_format == "sse" and spec is not None and not spec.rules.supports_instructions:
                raise ValidationError(f"{model} cannot stream speech as server-sent events.",
                                      "Use gpt-4o-mini-tts for stream_format='sse', or stream the audio bytes.")

    def prepare(self, payload: Payload) -> None:
        return None

    def estimate(self, payload: Payload, model: str | None) -> Estimate:
        body = payload.json or {}
        model = model or str(body.get("model") or "")
        text = str(body.get("input") or "")
        seconds = len(text) / _SLOW_CHARS_PER_SECOND / _speed(body)
        instructions = body.get("instructions") if isinstance(body.get("instructions"), str) else None
        return estimate_from_usage(model, speech_usage(model, text, instructions, seconds))

    def read(self, payload: Payload, status: int, headers: Any, content: bytes) -> tuple[Usage, str | None]:
        from conduit.media.probe import audio_seconds

        body = payload.json or {}
        model = str(body.get("model") or "")
        fmt = str(body.get("response_format") or "mp3")
        seconds = audio_seconds(content, fmt)
        if seconds is None:  # undecodable container: fall back to the pre-call bound
            seconds = len(str(body.get("input") or "")) / _SLOW_CHARS_PER_SECOND / _speed(body)
        instructions = body.get("instructions") if isinstance(body.get("instructions"), str) else None
        return speech_usage(model, str(body.get("input") or ""), instructions, seconds), model

    def stream_meter(self, payload: Payload, estimate: Estimate | None = None) -> "SpeechStreamMeter":
        return SpeechStreamMeter(self, payload)


class SpeechStreamMeter:
    """``speech.audio.delta`` events (base64 audio), then ``speech.audio.done`` with the usage."""

    def __init__(self, meter: SpeechMeter, payload: Payload) -> None:
        self.model = meter.model_of(payload)
        self._meter = meter
        self._payload = payload
        self._usage: Usage | None = None
        self._audio = bytearray()

    def feed(self, data: str) -> bool:
        try:
            event = json.loads(data)
        except ValueError:
            return True
        if not isinstance(event, dict):
            return True
        kind = event.get("type")
        if kind == "speech.audio.delta" and isinstance(event.get("audio"), str):
            if len(self._audio) < _MAX_STREAM_BUFFER:
                try:
                    self._audio += base64.b64decode(event["audio"])
                except (binascii.Error, ValueError):
                    pass
        elif kind == "speech.audio.done" and isinstance(event.get("usage"), dict):
            usage = event["usage"]
            output = int(usage.get("output_tokens") or 0)
            text = str((self._payload.json or {}).get("input") or "")
            self._usage = Usage(
                input_tokens=int(usage.get("input_tokens") or 0),
                output_tokens=output,
                audio_output_tokens=output,
                characters=len(text),
            )
        return True

    def usage(self, complete: bool) -> Usage:
        if self._usage is not None:
            return self._usage
        usage, _ = self._meter.read(self._payload, 200, None, bytes(self._audio))
        return usage
