"""POST /v1/audio/speech: real audio bytes, validated like OpenAI's TTS models.

Duration follows the input (about 15 characters per second at speed 1.0,
divided by ``speed``), so metering tests see plausible lengths. With
``stream_format: "sse"`` (gpt-4o-mini-tts only) the audio arrives as
``speech.audio.delta`` events and a final ``speech.audio.done`` with token
usage.
"""

from __future__ import annotations

import base64
import math
from typing import Any, AsyncIterator

from starlette.responses import Response, StreamingResponse

from conduit.sandbox import models as _models
from conduit.sandbox.counting import count_text
from conduit.sandbox.errors import invalid, missing
from conduit.sandbox.http import Call, sse_data, sse_response
from conduit.sandbox.media import audio as _audio
from conduit.sandbox.validate import check_enum, check_params, check_range, check_string_length

PARAMS = {
    "model": "string",
    "input": "string",
    "voice": "string|object",
    "instructions": "string",
    "response_format": "string",
    "speed": "number",
    "stream_format": "string",
}
FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
CLASSIC_VOICES = ("alloy", "ash", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer")
ALL_VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin", "cedar")
MAX_INPUT_CHARS = 4096
CHARS_PER_SECOND = 15.0
AUDIO_TOKENS_PER_SECOND = 1250 / 60  # gpt-4o-mini-tts: ~1,250 audio tokens per minute of speech


def speech_seconds(text: str, speed: float = 1.0) -> float:
    return max(0.5, len(text) / CHARS_PER_SECOND) / speed


async def create(call: Call) -> Response:
    body = call.body
    info = call.resolve_model((_models.TTS,), endpoint="v1/audio/speech")
    model: str = body["model"]
    check_params(body, PARAMS)
    text = body.get("input")
    if text is None:
        raise missing("input")
    check_string_length(text, "input", MAX_INPUT_CHARS)
    if not text.strip():
        raise invalid("Invalid 'input': empty string. Expected a string with minimum length 1.", "input", "empty_string")
    mini_tts = info.family_id.startswith("gpt-4o-mini-tts")
    voice = body.get("voice")
    if voice is None:
        raise missing("voice")
    if isinstance(voice, dict):
        if not mini_tts:
            raise invalid("Custom voices are not supported for this model.", "voice", "unsupported_value")
        if not isinstance(voice.get("id"), str):
            raise missing("voice.id")
    else:
        check_enum(voice, "voice", ALL_VOICES if mini_tts else CLASSIC_VOICES)
    if body.get("instructions") is not None and not mini_tts:
        raise invalid(
            f"Instructions are not supported for the model '{model}'. Use gpt-4o-mini-tts for voice instructions.",
            "instructions",
            "unsupported_parameter",
        )
    fmt = body.get("response_format") or "mp3"
    check_enum(fmt, "response_format", FORMATS)
    speed = body.get("speed")
    check_range(speed, "speed", minimum=0.25, maximum=4.0)
    stream_format = body.get("stream_format") or "audio"
    check_enum(stream_format, "stream_format", ("sse", "audio"))
    if stream_format == "sse" and not mini_tts:
        raise invalid(f"stream_format 'sse' is not supported for model '{model}'.", "stream_format", "unsupported_value")
    seconds = speech_seconds(text, float(speed or 1.0))
    data = _audio.encode(fmt, seconds, text)
    headers = {"x-conduit-audio-seconds": f"{seconds:.3f}"}
    if stream_format == "sse":
        input_tokens = count_text(text, model) + count_text(body.get("instructions") or "", model)
        output_tokens = math.ceil(seconds * AUDIO_TOKENS_PER_SECOND)
        usage = {"input_tokens": input_tokens, "output_tokens": output_tokens, "total_tokens": input_tokens + output_tokens}
        return sse_response(_sse(data, usage), headers=headers)
    return StreamingResponse(_chunks(data), media_type=_audio.CONTENT_TYPES[fmt], headers=headers)


async def _chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def _sse(data: bytes, usage: dict[str, Any]) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 24_000):
        chunk = base64.b64encode(data[start : start + 24_000]).decode()
        yield sse_data({"type": "speech.audio.delta", "audio": chunk})
    yield sse_data({"type": "speech.audio.done", "usage": usage})


