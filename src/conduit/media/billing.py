"""How a media model is billed, decided from the price catalog rather than by name.

The same endpoint bills differently per model: whisper-1 and gpt-transcribe
per minute, the gpt-4o transcribe models per audio and text token; tts-1 per
character, gpt-4o-mini-tts per text and audio token. A meter must record the
units the price list prices, or the cost comes out unknown -- so it asks the
catalog which units those are.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

__all__ = ["billing_unit", "audio_tokens_per_minute", "audio_output_tokens_per_minute", "current_models"]

# Fallback when no per-minute estimate is published: OpenAI prices gpt-4o-transcribe audio at
# $6 / 1M tokens and estimates $0.006 / minute, i.e. 1,000 audio tokens per minute of input.
_DEFAULT_AUDIO_TOKENS_PER_MINUTE = 1000


@lru_cache(maxsize=256)
def billing_unit(model: str) -> str:
    """``"tokens"``, ``"seconds"`` or ``"characters"``: what ``model``'s price list charges for."""
    from conduit.catalog import unit_prices

    prices = unit_prices(model) or {}
    token_keys = ("input_mtok", "output_mtok", "audio_input_mtok", "audio_output_mtok", "image_output_mtok")
    if any(key in prices for key in token_keys):
        return "tokens"
    if "per_million_chars" in prices:
        return "characters"
    if "per_minute" in prices:
        return "seconds"
    return "tokens"


@lru_cache(maxsize=256)
def audio_tokens_per_minute(model: str) -> int:
    """Audio input tokens per minute for a token-billed transcription model.

    Derived from OpenAI's own figures: the published per-minute estimate divided
    by the audio-token price (gpt-4o-transcribe: $0.006 / ($6 / 1M) = 1,000).
    """
    from conduit.catalog import unit_prices

    prices = unit_prices(model) or {}
    per_minute = prices.get("per_minute")
    per_mtok = prices.get("audio_input_mtok") or prices.get("input_mtok")
    if per_minute and per_mtok:
        return max(1, int((Decimal(per_minute) / (Decimal(per_mtok) / Decimal(1_000_000))).to_integral_value()))
    return _DEFAULT_AUDIO_TOKENS_PER_MINUTE


def current_models(kind: str) -> list[str]:
    """Catalog models of ``kind`` that are still served today (for hints naming alternatives)."""
    from conduit.catalog import list_models

    return [spec.name for spec in list_models(kind) if spec.status() != "retired"]


@lru_cache(maxsize=256)
def audio_output_tokens_per_minute(model: str) -> int:
    """Audio output tokens per minute of speech for a token-billed TTS model.

    OpenAI prices gpt-4o-mini-tts audio at $12 / 1M tokens and estimates
    $0.015 per minute: 1,250 tokens per minute.
    """
    from conduit.catalog import unit_prices

    prices = unit_prices(model) or {}
    per_minute = prices.get("per_minute")
    per_mtok = prices.get("audio_output_mtok") or prices.get("output_mtok")
    if per_minute and per_mtok:
        return max(1, int((Decimal(per_minute) / (Decimal(per_mtok) / Decimal(1_000_000))).to_integral_value()))
    return _DEFAULT_TTS_TOKENS_PER_MINUTE


_DEFAULT_TTS_TOKENS_PER_MINUTE = 1250
