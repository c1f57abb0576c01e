"""conduit's own price table, for what ``genai-prices`` does not price.

``genai-prices`` prices tokens (and whisper-1 per hour, tts-1 per character);
it has no per-image prices for DALL·E, no audio-token prices for the
gpt-4o audio previews, and no per-minute estimates for the token-billed
transcription models. Every entry names its source and the date it was read,
and ``BUNDLED_VERSION`` is recorded with each row priced from this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "BUNDLED_VERSION",
    "ImagePrice",
    "PER_IMAGE",
    "PER_MINUTE",
    "PER_MILLION_CHARS",
    "AUDIO_TOKEN_PRICES",
    "IMAGE_OUTPUT_TOKENS",
    "image_output_tokens_table",
]

BUNDLED_VERSION = "conduit-prices-2026-11-26"

_PRICING = "https://platform.openai.com/docs/pricing"
_IMAGE_GUIDE = "https://platform.openai.com/docs/guides/image-generation#cost-and-latency"


@dataclass(frozen=True, slots=True)
class ImagePrice:
    """USD per generated image for one (size, quality), with where the number comes from."""

    usd: Decimal
    source: str
    read_on: str


def _img(usd: str, source: str = _PRICING, read_on: str = "2025-06-01") -> ImagePrice:
    return ImagePrice(Decimal(usd), source, read_on)


# model -> (size, quality) -> price. DALL·E prices: OpenAI pricing page, "Image generation" table
# (DALL·E 3: standard 1024x1024 $0.04, 1024x1792/1792x1024 $0.08; HD $0.08 / $0.12;
#  DALL·E 2: 1024x1024 $0.02, 512x512 $0.018, 256x256 $0.016).
PER_IMAGE: dict[str, dict[tuple[str, str], ImagePrice]] = {
    "dall-e-3": {
        ("1024x1024", "standard"): _img("0.04"),
        ("1024x1792", "standard"): _img("0.08"),
        ("1792x1024", "standard"): _img("0.08"),
        ("1024x1024", "hd"): _img("0.08"),
        ("1024x1792", "hd"): _img("0.12"),
        ("1792x1024", "hd"): _img("0.12"),
    },
    "dall-e-2": {
        ("1024x1024", "standard"): _img("0.02"),
        ("512x512", "standard"): _img("0.018"),
        ("256x256", "standard"): _img("0.016"),
    },
}

# Output image tokens per generated image, by (size, quality). gpt-image-1 family: OpenAI image
# generation guide, "Cost and latency" table (low 272/408/400, medium 1056/1584/1568,
# high 4160/6240/6208 for 1024x1024, 1024x1536, 1536x1024); the same table prices gpt-image-1-mini
# and gpt-image-1.5 (pricing page per-image figures = these tokens x the model's output image price).
IMAGE_OUTPUT_TOKENS: dict[tuple[str, str], int] = {
    ("1024x1024", "low"): 272,
    ("1024x1536", "low"): 408,
    ("1536x1024", "low"): 400,
    ("1024x1024", "medium"): 1056,
    ("1024x1536", "medium"): 1584,
    ("1536x1024", "medium"): 1568,
    ("1024x1024", "high"): 4160,
    ("1024x1536", "high"): 6240,
    ("1536x1024", "high"): 6208,
}
IMAGE_OUTPUT_TOKENS_SOURCE = _IMAGE_GUIDE

# gpt-image-2 and later bill more tokens per image: OpenAI's calculator shows 7024 tokens for a
# high-quality 1024x1024 gpt-image-2 image (community.openai.com/t/1379464, 2026-04) against 4160
# for gpt-image-1. Until a full table is published we scale the gpt-image-1 table by that ratio
# (an estimate; actual usage from the response always replaces it).
_GEN2_SCALE = Decimal(7024) / Decimal(4160)
# xhigh / max qualities (gpt-image-2.5+) have no published token counts: bound them at 2x / 4x high.
_EXTRA_QUALITY = {"xhigh": 2, "max": 4}


def image_output_tokens_table(model_family: str) -> tuple[dict[tuple[str, str], int], bool]:
    """(tokens per (size, quality), exact) for a GPT image model family."""
    if model_family in ("gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "chatgpt-image-latest"):
        return IMAGE_OUTPUT_TOKENS, True
    scaled = {key: int((Decimal(v) * _GEN2_SCALE).to_integral_value(rounding="ROUND_CEILING"))
              for key, v in IMAGE_OUTPUT_TOKENS.items()}
    return scaled, False


def extra_quality_factor(quality: str) -> int:
    """Multiplier over ``high`` for qualities without published token counts (xhigh, max)."""
    return _EXTRA_QUALITY.get(quality, 1)


# USD per minute of input audio. whisper-1: pricing page "$0.006 / minute". The gpt-4o transcribe
# models are billed by tokens; the pricing page gives these per-minute figures as their estimated
# cost, which we use for estimates before the call (actual token usage replaces them).
PER_MINUTE: dict[str, tuple[Decimal, str, str]] = {
    "whisper-1": (Decimal("0.006"), _PRICING, "2025-06-01"),
    "gpt-4o-transcribe": (Decimal("0.006"), _PRICING + " (estimated cost)", "2025-06-01"),
    "gpt-4o-transcribe-diarize": (Decimal("0.006"), _PRICING + " (estimated cost)", "2025-10-01"),
    "gpt-4o-mini-transcribe": (Decimal("0.003"), _PRICING + " (estimated cost)", "2025-06-01"),
    "gpt-4o-mini-tts": (Decimal("0.015"), _PRICING + " (estimated cost per minute of output audio)", "2025-06-01"),
}

# USD per 1M input characters: pricing page "TTS $15.00 / 1M characters, TTS HD $30.00 / 1M characters".
PER_MILLION_CHARS: dict[str, tuple[Decimal, str, str]] = {
    "tts-1": (Decimal("15"), _PRICING, "2025-06-01"),
    "tts-1-hd": (Decimal("30"), _PRICING, "2025-06-01"),
}

# USD per 1M audio tokens (input, output) where genai-prices prices only text tokens.
# Pricing page, "Audio tokens": gpt-4o-audio-preview $40 / $80, gpt-4o-mini-audio-preview $10 / $20.
AUDIO_TOKEN_PRICES: dict[str, tuple[Decimal, Decimal, str, str]] = {
    "gpt-4o-audio-preview": (Decimal("40"), Decimal("80"), _PRICING, "2025-06-01"),
    "gpt-4o-mini-audio-preview": (Decimal("10"), Decimal("20"), _PRICING, "2025-06-01"),
}
