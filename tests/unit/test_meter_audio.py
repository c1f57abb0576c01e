"""Transcription/translation meter: audio checks before upload, duration-based estimates, usage read.

Prices: OpenAI pricing page -- whisper-1 $0.006 / minute; gpt-4o-transcribe audio input $6 / 1M tokens with an
estimated $0.006 / minute (hence 1,000 audio tokens per minute).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal

import httpx2
import pytest

from conduit.catalog import price
from conduit.errors import ValidationError
from conduit.meter import meter_for
from conduit.meter.audio import TranscriptionMeter, transcription_estimate
from conduit.meter.base import Payload
from conduit.sandbox.media import audio as sandbox_audio
from conduit.usage import Usage

STT = TranscriptionMeter("audio.transcriptions")
TRANSLATE = TranscriptionMeter("audio.translations")
WAV_90S = sandbox_audio.wav(90.0, "hola")


def _payload(fields: dict, data: bytes | None = WAV_90S, filename: str = "grabacion.wav") -> Payload:
    # data=None: the audio is uploaded under the wrong field name, so there is no "file"
    field = "file" if data is not None else "audio"
    request = httpx2.Request("POST", "http://x/v1/audio/transcriptions", data=fields,
                             files={field: (filename, data if data is not None else WAV_90S, "audio/wav")})
    return Payload.parse(request.read(), request.headers["content-type"])


def test_registered() -> None:
    assert meter_for("POST", "/v1/audio/transcriptions").endpoint == "audio.transcriptions"
    assert meter_for("POST", "/v1/audio/translations").endpoint == "audio.translations"


def test_whisper_estimate_is_per_minute_from_the_header() -> None:
    payload = _payload({"model": "whisper-1"})
    STT.validate(payload)
    estimate = STT.estimate(payload, "whisper-1")
    assert estimate.usage == Usage(audio_seconds=90.0)
    assert estimate.usd == Decimal("0.009")  # 1.5 min x $0.006


def test_token_model_estimate_bounds_audio_and_text_tokens() -> None:
    payload = _payload({"model": "gpt-4o-transcribe", "language": "es"})
    STT.validate(payload)
    estimate = STT.estimate(payload, "gpt-4o-transcribe")
    assert estimate.usage.audio_input_tokens == 1500  # 90 s at 1,000 tokens / minute
    assert estimate.usage.output_tokens == 916  # 10 tokens / s bound + 16
    assert estimate.usd == price("gpt-4o-transcribe", estimate.usage).usd
    assert transcription_estimate("gpt-4o-transcribe", 90.0).usd == estimate.usd


def test_unreadable_duration_is_bounded_from_size() -> None:
    webm = b"\x1a\x45\xdf\xa3" + bytes(50_000)  # WebM without a Duration element (browser recordings)
    payload = _payload({"model": "whisper-1"}, webm, "nota.webm")
    STT.validate(payload)
    # 2 kbit/s floor on the duration, billed by whisper-1 in whole seconds
    assert STT.estimate(payload, "whisper-1").usage.audio_seconds == math.ceil(50_004 / 250)


@pytest.mark.parametrize(
    ("fields", "data", "filename", "expected"),
    [
        ({"model": "whisper-1"}, b"%PDF-1.7 not audio at all", "doc.wav", "not an audio file"),
        ({"model": "whisper-1"}, b"", "vacio.wav", "empty"),
        ({"model": "whisper-1"}, sandbox_audio.wav(2.0, "x"), "audio.aiff", "does not accept .aiff"),
        ({"model": "whisper-1"}, b"RIFF\x00\x00\x00\x00WAVEjunk", "rota.wav", "header is damaged"),
        ({"model": "gpt-4o-transcribe", "response_format": "srt"}, WAV_90S, "a.wav", "Use one of: json"),
        ({"model": "whisper-1", "stream": "true"}, WAV_90S, "a.wav", "does not stream"),
        ({"model": "whisper-1", "language": "spanish"}, WAV_90S, "a.wav", "ISO-639-1"),
        ({"model": "whisper-1", "temperature": "1.5"}, WAV_90S, "a.wav", "between 0 and 1"),
        ({"model": "whisper-1", "timestamp_granularities[]": "word"}, WAV_90S, "a.wav", "verbose_json"),
        ({"model": "tts-1"}, WAV_90S, "a.wav", "not a speech-to-text model"),
        ({}, WAV_90S, "a.wav", "names no model"),
        ({"model": "whisper-1", "bogus": "1"}, WAV_90S, "a.wav", "Unknown parameter 'bogus'"),
    ],
)
def test_refusals(fields: dict, data: bytes, filename: str, expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        STT.validate(_payload(fields, data, filename))
    assert expected in caught.value.message + " " + caught.value.hint


def test_missing_file_and_size_limit() -> None:
    with pytest.raises(ValidationError, match="no audio file"):
        STT.validate(_payload({"model": "whisper-1"}, None))
    big = sandbox_audio.wav(600.0, "x")  # 24 kHz 16-bit: 28.8 MB
    with pytest.raises(ValidationError, match="limited to 25 MB"):
        STT.validate(_payload({"model": "whisper-1"}, big))


def test_translations_only_on_whisper_and_without_language() -> None:
    with pytest.raises(ValidationError, match="only whisper-1"):
        TRANSLATE.validate(_payload({"model": "gpt-4o-transcribe"}))
    with pytest.raises(ValidationError, match="always English"):
        TRANSLATE.validate(_payload({"model": "whisper-1", "language": "es"}))
    TRANSLATE.validate(_payload({"model": "whisper-1"}))


def test_read_usage_in_the_units_each_model_is_billed() -> None:
    whisper = _payload({"model": "whisper-1"})
    usage, _ = STT.read(whisper, 200, {}, json.dumps({"text": "hola", "usage": {"type": "duration", "seconds": 91}}).encode())
    assert usage == Usage(audio_seconds=91.0)
    tokens = _payload({"model": "gpt-4o-transcribe"})
    body = {"text": "hola", "usage": {"type": "tokens", "input_tokens": 1510, "output_tokens": 3,
                                      "input_token_details": {"audio_tokens": 1500, "text_tokens": 10}}}
    usage, _ = STT.read(tokens, 200, {}, json.dumps(body).encode())
    assert usage == Usage(input_tokens=1510, audio_input_tokens=1500, output_tokens=3, audio_seconds=90.0)
    # gpt-transcribe is priced per minute: a token usage is recorded as the file's duration
    per_minute = _payload({"model": "gpt-transcribe"})
    usage, _ = STT.read(per_minute, 200, {}, json.dumps(body).encode())
    assert usage == Usage(audio_seconds=90.0)
    assert price("gpt-transcribe", usage).usd is not None


def test_read_subtitles_without_usage() -> None:
    srt = b"1\n00:00:00,000 --> 00:00:05,000\nHola a todos.\n\n2\n00:00:05,000 --> 00:01:30,000\nAdios.\n"
    usage, _ = STT.read(_payload({"model": "whisper-1", "response_format": "srt"}), 200, {}, srt)
    assert usage == Usage(audio_seconds=90.0)
    text = _payload({"model": "gpt-4o-mini-transcribe", "response_format": "text"})
    usage, _ = STT.read(text, 200, {}, b"Hola a todos.\n")
    assert usage.audio_input_tokens == math.ceil(90 * 1000 / 60) and 0 < usage.output_tokens < 10


def test_stream_meter_reads_the_done_event_and_falls_back() -> None:
    payload = _payload({"model": "gpt-4o-mini-transcribe", "stream": "true"})
    meter = STT.stream_meter(payload)
    meter.feed(json.dumps({"type": "transcript.text.delta", "delta": "Hola"}))
    meter.feed(json.dumps({"type": "transcript.text.done", "text": "Hola",
                           "usage": {"type": "tokens", "input_tokens": 1500, "output_tokens": 2,
                                     "input_token_details": {"audio_tokens": 1500}}}))
    assert meter.usage(True) == Usage(input_tokens=1500, audio_input_tokens=1500, output_tokens=2, audio_seconds=90.0)
    cut = STT.stream_meter(payload)
    cut.feed(json.dumps({"type": "transcript.text.delta", "delta": "Hola a"}))
    usage = cut.usage(False)
    assert usage.audio_input_tokens == 1500 and usage.output_tokens >= 2
