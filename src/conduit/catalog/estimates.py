"""Worst-case usage of media requests, before the call, in the units each model is billed in.

The meters reserve money before a request goes out, so each estimate here is
an upper bound and says whether it is exact:

* speech: tts-1/tts-1-hd bill input characters (exact); gpt-4o-mini-tts bills
  text tokens (exact) plus generated audio tokens, bounded from the text length;
* transcription: billed by duration (whisper-1, gpt-transcribe) or estimated
  per minute (gpt-4o-transcribe family); the duration comes from the file's
  header, else a bound from its size;
* images: per image (DALL·E) or output image tokens (GPT image) by size and
  quality, plus the prompt's text tokens for GPT image models.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from conduit.catalog.lookup import resolve_family
from conduit.usage import Usage

__all__ = ["UsageEstimate", "speech_usage", "transcription_usage", "image_usage"]

# gpt-4o-mini-tts: OpenAI prices audio output at $12 / 1M tokens and estimates $0.015 per minute
# (https://platform.openai.com/docs/pricing), i.e. 1,250 audio tokens per minute of speech.
TTS_AUDIO_TOKENS_PER_MINUTE = 1250
# Speech runs ~15 characters per second at speed 1.0 (150 words/min); 10 chars/s bounds slow voices.
_SLOW_CHARS_PER_SECOND = 10.0


@dataclass(frozen=True, slots=True)
class UsageEstimate:
    """An upper-bound :class:`Usage` and whether it is exact."""

    usage: Usage
    exact: bool
    note: str | None = None


def speech_usage(model: str, text: str, instructions: str | None = None, speed: float = 1.0) -> UsageEstimate:
    """Billable units of ``audio.speech`` for ``text``."""
    family = resolve_family(model) or model
    if family in ("tts-1", "tts-1-hd"):
        return UsageEstimate(Usage(characters=len(text)), True)
    from conduit.tokens import count_tokens

    text_tokens = count_tokens(text, model) + (count_tokens(instructions, model) if instructions else 0)
    speed = min(max(speed or 1.0, 0.25), 4.0)
    seconds = len(text) / _SLOW_CHARS_PER_SECOND / speed
    audio_tokens = math.ceil(seconds * TTS_AUDIO_TOKENS_PER_MINUTE / 60)
    usage = Usage(input_tokens=text_tokens, output_tokens=audio_tokens, audio_output_tokens=audio_tokens)
    return UsageEstimate(usage, False, "audio output bounded at 10 characters per second of speech")


def transcription_usage(
    model: str, audio: bytes | None = None, *, seconds: float | None = None, size_bytes: int | None = None
) -> UsageEstimate:
    """Billable duration of ``audio.transcriptions``: from ``seconds``, the file's header, or its size."""
    if seconds is not None:
        return UsageEstimate(Usage(audio_seconds=float(seconds)), True)
    from conduit.tokens import audio_duration, audio_duration_upper_bound

    if audio is not None:
        duration = audio_duration(audio)
        if duration is not None:
            return UsageEstimate(Usage(audio_seconds=duration), True)
        size_bytes = len(audio)
    if size_bytes is None:
        raise ValueError("give the audio bytes, its duration in seconds, or its size in bytes")
    bound = audio_duration_upper_bound(size_bytes)
    return UsageEstimate(Usage(audio_seconds=bound), False, "duration unreadable: bounded from the file size")


def image_usage(
    model: str, n: int = 1, size: str | None = None, quality: str | None = None, prompt: str | None = None
) -> UsageEstimate:
    """Billable units of an image generation: images by size/quality, plus prompt tokens on GPT image models."""
    family = resolve_family(model) or model
    if family.startswith("dall-e"):
        quality = quality or "standard"
        size = size or "1024x1024"
        return UsageEstimate(Usage(images=n, image_size=size, image_quality=quality), True)
    from conduit.catalog.prices import estimate_image_output_tokens
    from conduit.tokens import count_tokens

    _, exact = estimate_image_output_tokens(model, size, quality)
    prompt_tokens = count_tokens(prompt, model) if prompt else 0
    usage = Usage(input_tokens=prompt_tokens, images=n, image_size=size or "auto", image_quality=quality or "auto")
    return UsageEstimate(usage, exact, None if exact else "image tokens estimated (auto or unpublished size/quality)")
