"""Worst-case media estimates priced before the call.

[PRICING] https://platform.openai.com/docs/pricing: tts-1 $15 / 1M characters; gpt-4o-mini-tts $0.60 / 1M
text tokens, $12 / 1M audio tokens (~$0.015 / minute); whisper-1 $0.006 / minute; DALL·E 3 standard
1024x1024 $0.04. [IMAGEGEN] image generation guide: gpt-image-1 high 1024x1024 = 4160 output tokens.
"""

from __future__ import annotations

import datetime as _dt
import io
import wave
from decimal import Decimal

from conduit.catalog import image_usage, price, speech_usage, transcription_usage
from conduit.tokens import count_tokens

AT = _dt.datetime(2026, 11, 26, tzinfo=_dt.timezone.utc)


def _wav(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(b"\x00\x00" * int(16000 * seconds))
    return buffer.getvalue()


def test_tts1_by_characters() -> None:
    estimate = speech_usage("tts-1", "a" * 2000)
    assert estimate.exact and estimate.usage.characters == 2000
    assert price("tts-1", estimate.usage, at=AT, overrides={}).usd == Decimal("0.03")  # [PRICING] $15 / 1M chars


def test_gpt_4o_mini_tts_is_an_upper_bound() -> None:
    text = "The quick brown fox jumps over the lazy dog. " * 20  # 900 characters
    estimate = speech_usage("gpt-4o-mini-tts", text, instructions="Speak calmly.")
    assert not estimate.exact
    assert estimate.usage.input_tokens == count_tokens(text, "gpt-4o-mini-tts") + count_tokens("Speak calmly.",
                                                                                                 "gpt-4o-mini-tts")
    # 900 chars at <= 10 chars/s = 90 s of audio at 1250 tokens/min ([PRICING] $12/1M ~ $0.015/min)
    assert estimate.usage.audio_output_tokens == 1875
    usd = price("gpt-4o-mini-tts", estimate.usage, at=AT, overrides={}).usd
    assert usd is not None and usd >= Decimal("0.015") * Decimal("1.5")  # >= 90 s at $0.015 / min
    slow = speech_usage("gpt-4o-mini-tts", text, speed=0.5)
    assert slow.usage.audio_output_tokens == 2 * 1875


def test_transcription_duration_from_file_header() -> None:
    estimate = transcription_usage("whisper-1", _wav(30.0))
    assert estimate.exact and estimate.usage.audio_seconds == 30.0
    assert price("whisper-1", estimate.usage, at=AT, overrides={}).usd == Decimal("0.003")  # [PRICING] $0.006/min


def test_transcription_unreadable_file_is_bounded_by_size() -> None:
    estimate = transcription_usage("gpt-4o-transcribe", b"\x00" * 10_000)
    assert not estimate.exact and estimate.usage.audio_seconds == 40.0  # 10 KB at a 2 kbit/s floor
    assert price("gpt-4o-transcribe", estimate.usage, at=AT, overrides={}).usd == Decimal("0.004")


def test_image_estimates() -> None:
    dalle = image_usage("dall-e-3", n=2)
    assert dalle.exact and price("dall-e-3", dalle.usage, at=AT, overrides={}).usd == Decimal("0.08")
    gpt = image_usage("gpt-image-1", n=1, size="1024x1024", quality="high", prompt="a red fox in the snow")
    assert gpt.exact
    prompt_tokens = count_tokens("a red fox in the snow", "gpt-image-1")
    # [PRICING] gpt-image-1: $5 / 1M text input; [IMAGEGEN] 4160 output tokens at $40 / 1M
    expected = Decimal(prompt_tokens) * Decimal(5) / 1_000_000 + Decimal("0.1664")
    assert price("gpt-image-1", gpt.usage, at=AT, overrides={}).usd == expected
    auto = image_usage("gpt-image-1.5", n=3)
    assert not auto.exact
    usd = price("gpt-image-1.5", auto.usage, at=AT, overrides={}).usd
    assert usd == Decimal(6240 * 3) * Decimal(32) / 1_000_000  # largest high-quality entry x $32 / 1M
