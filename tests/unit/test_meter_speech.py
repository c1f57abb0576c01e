"""Speech meter: voices/instructions/format/speed/length checks; characters or tokens; SSE usage.

Prices: OpenAI pricing page -- TTS $15 / 1M characters, TTS HD $30 / 1M characters; gpt-4o-mini-tts
$0.60 / 1M text input tokens, $12 / 1M audio output tokens, estimated $0.015 / minute (1,250 tokens / minute).
"""

from __future__ import annotations

import base64
import json
import math
from decimal import Decimal

import pytest

from conduit.catalog import price
from conduit.errors import ValidationError
from conduit.meter import meter_for
from conduit.meter.base import Payload
from conduit.meter.speech import SpeechMeter
from conduit.sandbox.media import audio as sandbox_audio
from conduit.tokens import count_tokens
from conduit.usage import Usage

TTS = SpeechMeter()
HOLA = "Hola, ¿cómo estás hoy?"


def _json(body: dict) -> Payload:
    return Payload.parse(json.dumps(body).encode(), "application/json")


def test_registered() -> None:
    assert meter_for("POST", "/v1/audio/speech").endpoint == "audio.speech"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"model": "tts-1", "voice": "marin", "input": HOLA}, ["no voice 'marin'", "alloy", "shimmer"]),
        ({"model": "tts-1", "voice": "alloy", "input": HOLA, "instructions": "amable"}, ["does not accept instructions", "gpt-4o-mini-tts"]),
        ({"model": "tts-1", "voice": "alloy", "input": HOLA, "speed": 5}, ["0.25 and 4.0"]),
        ({"model": "tts-1", "voice": "alloy", "input": HOLA, "response_format": "ogg"}, ["mp3", "opus", "pcm"]),
        ({"model": "tts-1", "voice": "alloy", "input": "a" * 4097}, ["4,096 characters", "Split the text"]),
        ({"model": "tts-1", "voice": "alloy", "input": "  "}, ["no input text"]),
        ({"model": "tts-1", "input": HOLA}, ["names no voice", "alloy"]),
        ({"model": "tts-1-hd", "voice": "alloy", "input": HOLA, "stream_format": "sse"}, ["cannot stream", "gpt-4o-mini-tts"]),
        ({"model": "gpt-4o-mini-tts", "voice": "alloy", "input": HOLA, "stream_format": "chunks"}, ["'audio' or 'sse'"]),
        ({"model": "whisper-1", "voice": "alloy", "input": HOLA}, ["not a text-to-speech model"]),
        ({"voice": "alloy", "input": HOLA}, ["names no model", "tts-1"]),
        ({"model": "tts-1", "voice": "alloy", "input": HOLA, "pitch": 2}, ["Unknown parameter 'pitch'"]),
    ],
)
def test_refusals_name_the_allowed_values(body: dict, expected: list[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        TTS.validate(_json(body))
    text = caught.value.message + " " + caught.value.hint
    for part in expected:
        assert part in text


def test_valid_requests_pass() -> None:
    TTS.validate(_json({"model": "gpt-4o-mini-tts", "voice": "marin", "input": HOLA, "instructions": "amable",
                        "speed": 1.25, "response_format": "wav", "stream_format": "sse"}))
    TTS.validate(_json({"model": "tts-1-hd", "voice": "nova", "input": "a" * 4096}))


def test_tts1_is_priced_per_character_exactly_before_and_after() -> None:
    payload = _json({"model": "tts-1", "voice": "alloy", "input": HOLA})
    estimate = TTS.estimate(payload, "tts-1")
    assert estimate.usage == Usage(characters=22)
    assert estimate.usd == Decimal(15) * 22 / 1_000_000
    usage, _ = TTS.read(payload, 200, {}, sandbox_audio.encode("mp3", 1.5, HOLA))
    assert usage == Usage(characters=22)
    hd = _json({"model": "tts-1-hd", "voice": "alloy", "input": HOLA})
    assert TTS.estimate(hd, "tts-1-hd").usd == Decimal(30) * 22 / 1_000_000


def test_mini_tts_counts_text_tokens_and_audio_tokens_from_the_audio() -> None:
    body = {"model": "gpt-4o-mini-tts", "voice": "coral", "input": HOLA, "instructions": "Habla como un agente amable",
            "response_format": "wav"}
    payload = _json(body)
    text_tokens = count_tokens(HOLA, "gpt-4o-mini-tts") + count_tokens(body["instructions"], "gpt-4o-mini-tts")
    estimate = TTS.estimate(payload, "gpt-4o-mini-tts")
    assert estimate.usage.input_tokens == text_tokens
    assert estimate.usage.audio_output_tokens == math.ceil(2.2 * 1250 / 60)  # 22 chars at 10 chars/s
    usage, _ = TTS.read(payload, 200, {}, sandbox_audio.wav(1.5, HOLA))
    assert usage.input_tokens == text_tokens
    assert usage.audio_output_tokens == usage.output_tokens == math.ceil(1.5 * 1250 / 60)
    assert price("gpt-4o-mini-tts", usage).usd <= estimate.usd


def test_pcm_and_aac_durations_are_measured() -> None:
    for fmt in ("pcm", "aac", "flac", "opus"):
        payload = _json({"model": "gpt-4o-mini-tts", "voice": "coral", "input": HOLA, "response_format": fmt})
        usage, _ = TTS.read(payload, 200, {}, sandbox_audio.encode(fmt, 3.0, HOLA))
        assert usage.audio_output_tokens == pytest.approx(63, abs=2), fmt  # 3 s x 1250 / 60


def test_sse_stream_meter() -> None:
    payload = _json({"model": "gpt-4o-mini-tts", "voice": "coral", "input": HOLA, "stream_format": "sse",
                     "response_format": "pcm"})
    meter = TTS.stream_meter(payload)
    audio = sandbox_audio.encode("pcm", 2.0, HOLA)
    meter.feed(json.dumps({"type": "speech.audio.delta", "audio": base64.b64encode(audio).decode()}))
    cut_usage = meter.usage(False)  # no done event yet: measured from the audio received
    assert cut_usage.audio_output_tokens == math.ceil(2.0 * 1250 / 60)
    meter.feed(json.dumps({"type": "speech.audio.done", "usage": {"input_tokens": 9, "output_tokens": 40, "total_tokens": 49}}))
    assert meter.usage(True) == Usage(input_tokens=9, output_tokens=40, audio_output_tokens=40, characters=22)
