"""Prices: OpenAI's published prices and the manual's cost formulas, in Decimal, never 0 for unknown.

Sources for expected numbers:
- [PRICING] https://platform.openai.com/docs/pricing (text tokens per 1M, cached input, audio tokens,
  image generation per image, whisper $0.006/min, TTS $15 / $30 per 1M characters).
- [GENAI] genai-prices 0.2.3 bundled snapshot (which mirrors [PRICING]); its numbers are what
  `price()` must reproduce exactly.
- [IMAGEGEN] https://platform.openai.com/docs/guides/image-generation "Cost and latency": gpt-image-1
  output tokens per image (1024x1024: low 272, medium 1056, high 4160).
"""

from __future__ import annotations

import datetime as _dt
import warnings
from decimal import Decimal

import pytest

from conduit.catalog import Price, PriceWarning, estimate_image_output_tokens, price, price_usd, unit_prices
from conduit.usage import Usage

AT = _dt.datetime(2026, 11, 26, 12, 0, tzinfo=_dt.timezone.utc)
NO_OVERRIDES: dict[str, object] = {}


def _price(model: str, usage: Usage, **kwargs: object) -> Price:
    return price(model, usage, at=AT, overrides=NO_OVERRIDES, **kwargs)  # type: ignore[arg-type]


def test_text_tokens_per_million() -> None:
    # [PRICING] gpt-4o: $2.50 / 1M input, $10.00 / 1M output
    quote = _price("gpt-4o", Usage(input_tokens=1000, output_tokens=500))
    assert quote.usd == Decimal("0.0025") + Decimal("0.005")
    assert isinstance(quote.usd, Decimal)
    assert quote.source == "genai-prices"
    assert quote.version == "0.2.3"
    assert quote.breakdown == {"input_tokens": Decimal("0.0025"), "output_tokens": Decimal("0.005")}


def test_manual_per_1k_formula_gpt_4() -> None:
    # [PRICING] gpt-4 (legacy): $30 / 1M input = $0.03 / 1K, $60 / 1M output = $0.06 / 1K
    quote = _price("gpt-4-0613", Usage(input_tokens=1000, output_tokens=1000))
    assert quote.usd == Decimal("0.03") + Decimal("0.06")


def test_cached_input_tokens_are_discounted() -> None:
    # [PRICING] gpt-4o cached input: $1.25 / 1M (half of $2.50)
    quote = _price("gpt-4o", Usage(input_tokens=2_000_000, cached_input_tokens=1_000_000))
    assert quote.breakdown["cached_input_tokens"] == Decimal("1.25")
    assert quote.breakdown["input_tokens"] == Decimal("2.5")
    assert quote.usd == Decimal("3.75")


def test_reasoning_tokens_are_billed_as_output() -> None:
    # [PRICING] o3: $2 / 1M input, $8 / 1M output; reasoning tokens are output tokens
    quote = _price("o3", Usage(input_tokens=0, output_tokens=1_000_000, reasoning_tokens=900_000))
    assert quote.usd == Decimal("8")


def test_snapshot_with_its_own_price() -> None:
    # [PRICING] gpt-4o-2024-05-13: $5 / $15 per 1M, unlike gpt-4o's $2.50 / $10
    assert _price("gpt-4o-2024-05-13", Usage(input_tokens=1_000_000)).usd == Decimal("5")
    assert _price("gpt-4o-2024-08-06", Usage(input_tokens=1_000_000)).usd == Decimal("2.5")


def test_fine_tuned_model_uses_fine_tune_prices() -> None:
    # [PRICING] fine-tuned gpt-4o-mini inference: $0.30 / 1M input, $1.20 / 1M output
    quote = _price("ft:gpt-4o-mini-2024-07-18:acme::abc123", Usage(input_tokens=1_000_000, output_tokens=1_000_000))
    assert quote.usd == Decimal("1.5")


def test_long_context_tier() -> None:
    # [GENAI] gpt-6-sol: $2 / 1M input up to 272K prompt tokens, $4 / 1M beyond
    assert _price("gpt-6-sol", Usage(input_tokens=100_000)).usd == Decimal("0.2")
    assert _price("gpt-6-sol", Usage(input_tokens=300_000)).usd == Decimal("1.2")


def test_service_tier_and_batch() -> None:
    # [GENAI] o3 flex: $1 / 1M input (half of $2); gpt-4o batch: $1.25 / 1M input
    assert _price("o3", Usage(input_tokens=1_000_000), service_tier="flex").usd == Decimal("1")
    assert _price("gpt-4o", Usage(input_tokens=1_000_000), batch=True).usd == Decimal("1.25")


def test_audio_tokens() -> None:
    # [PRICING] gpt-4o-transcribe: text input $2.50, audio input $6.00, output $10.00 per 1M
    quote = _price("gpt-4o-transcribe", Usage(input_tokens=1000, audio_input_tokens=900, output_tokens=100))
    assert quote.breakdown["audio_input_tokens"] == Decimal("0.0054")
    assert quote.breakdown["input_tokens"] == Decimal("0.00025")
    assert quote.usd == Decimal("0.0054") + Decimal("0.00025") + Decimal("0.001")
    # [PRICING] gpt-4o-audio-preview audio tokens: $40 in / $80 out per 1M (conduit's bundled table)
    preview = _price("gpt-4o-audio-preview", Usage(input_tokens=1_000_000, audio_input_tokens=1_000_000))
    assert preview.usd == Decimal("40")
    assert "conduit-bundled" in preview.source


def test_whisper_per_minute() -> None:
    # [PRICING] whisper-1: $0.006 / minute
    assert _price("whisper-1", Usage(audio_seconds=60)).usd == Decimal("0.006")
    assert _price("whisper-1", Usage(audio_seconds=90)).usd == Decimal("0.009")


def test_token_billed_transcription_estimated_per_minute() -> None:
    # [PRICING] gpt-4o-mini-transcribe estimated cost $0.003 / minute
    quote = _price("gpt-4o-mini-transcribe", Usage(audio_seconds=120))
    assert quote.usd == Decimal("0.006")
    assert any("estimate" in note for note in quote.notes)


def test_tts_per_character() -> None:
    # [PRICING] tts-1: $15 / 1M characters; tts-1-hd: $30 / 1M characters
    assert _price("tts-1", Usage(characters=1000)).usd == Decimal("0.015")
    assert _price("tts-1-hd", Usage(characters=4096)).usd == Decimal("0.12288")


def test_gpt_4o_mini_tts_tokens() -> None:
    # [PRICING] gpt-4o-mini-tts: $0.60 / 1M text input tokens, $12 / 1M audio output tokens
    quote = _price("gpt-4o-mini-tts", Usage(input_tokens=1000, output_tokens=10_000, audio_output_tokens=10_000))
    assert quote.usd == Decimal("0.0006") + Decimal("0.12")


@pytest.mark.parametrize(
    ("model", "size", "quality", "n", "expected"),
    [
        ("dall-e-3", "1024x1024", "standard", 1, "0.04"),  # [PRICING] DALL·E 3 standard 1024²
        ("dall-e-3", "1792x1024", "standard", 1, "0.08"),  # [PRICING] DALL·E 3 standard wide
        ("dall-e-3", "1024x1024", "hd", 1, "0.08"),  # [PRICING] DALL·E 3 HD 1024²
        ("dall-e-3", "1024x1792", "hd", 2, "0.24"),  # [PRICING] DALL·E 3 HD tall, $0.12 x 2
        ("dall-e-2", "256x256", None, 4, "0.064"),  # [PRICING] DALL·E 2 256², $0.016 x 4
        ("dall-e-2", "512x512", None, 1, "0.018"),  # [PRICING] DALL·E 2 512²
        ("dall-e-2", "1024x1024", None, 10, "0.20"),  # [PRICING] DALL·E 2 1024², $0.02 x 10
    ],
)
def test_dalle_per_image(model: str, size: str, quality: str | None, n: int, expected: str) -> None:
    quote = _price(model, Usage(images=n, image_size=size, image_quality=quality))
    assert quote.usd == Decimal(expected)
    assert quote.source == "conduit-bundled"


def test_gpt_image_1_prompt_plus_image_tokens() -> None:
    # The manual's gpt-image-1 formula: text prompt tokens at $5 / 1M + output image tokens at $40 / 1M
    # ([PRICING]); a high-quality 1024x1024 image is 4160 output tokens ([IMAGEGEN]) = $0.1664 (~$0.167)
    quote = _price("gpt-image-1", Usage(input_tokens=50, output_tokens=4160, image_output_tokens=4160))
    assert quote.usd == Decimal("0.00025") + Decimal("0.1664")


def test_gpt_image_estimate_from_size_and_quality() -> None:
    # [IMAGEGEN] gpt-image-1 1024x1024: low 272, medium 1056, high 4160 tokens
    assert estimate_image_output_tokens("gpt-image-1", "1024x1024", "low") == (272, True)
    assert estimate_image_output_tokens("gpt-image-1", "1024x1024", "medium") == (1056, True)
    assert estimate_image_output_tokens("gpt-image-1", "1536x1024", "high") == (6208, True)
    # auto size/quality: the largest entry, an upper bound
    assert estimate_image_output_tokens("gpt-image-1", "auto", "auto") == (6240, False)
    # [PRICING] gpt-image-1 medium 1024² ~ $0.042: 1056 x $40 / 1M = $0.04224
    assert _price("gpt-image-1", Usage(images=1, image_size="1024x1024", image_quality="medium")).usd == Decimal(
        "0.04224")
    # [PRICING] gpt-image-1.5 high 1024² ~ $0.133: 4160 x $32 / 1M (output image tokens)
    assert _price("gpt-image-1.5", Usage(images=1, image_size="1024x1024", image_quality="high")).usd == Decimal(
        "0.13312")
    later, exact = estimate_image_output_tokens("gpt-image-2", "1024x1024", "high")
    assert later == 7024 and exact is False  # OpenAI's calculator: 7024 tokens for gpt-image-2 high 1024²


def test_unknown_model_costs_none_with_a_warning_never_zero() -> None:
    with pytest.warns(PriceWarning, match="unknown"):
        quote = _price("my-private-model", Usage(input_tokens=1000, output_tokens=1000))
    assert quote.usd is None
    assert quote.source == "unknown"
    assert price_usd("my-private-model", Usage(input_tokens=5), at=AT, overrides=NO_OVERRIDES, warn=False) is None


def test_unpriced_dimension_makes_the_cost_unknown() -> None:
    # characters are not a billing unit of gpt-4o: refusing beats silently charging $0
    with pytest.warns(PriceWarning):
        assert _price("gpt-4o", Usage(characters=1000)).usd is None
    with pytest.warns(PriceWarning):
        assert _price("gpt-4o", Usage(audio_seconds=30)).usd is None


def test_warn_false_is_silent() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _price("my-private-model", Usage(input_tokens=1), warn=False).usd is None


def test_moderation_is_free() -> None:
    # [PRICING] omni-moderation: free
    assert _price("omni-moderation-latest", Usage(input_tokens=500)).usd == Decimal(0)


def test_user_overrides_win_and_are_labelled() -> None:
    overrides = {
        "gpt-4o": {"input_mtok": "2.00", "cached_input_mtok": "0.50", "output_mtok": 8, "source": "azure-eu",
                   "version": "contract-2026-10"},
        "my-deployment": {"input_mtok": "1", "output_mtok": "2"},
        "my-image-model": {"per_image": {"1024x1024/standard": "0.05"}},
        "my-stt": {"per_minute": "0.01"},
    }
    quote = price("gpt-4o-2024-08-06", Usage(input_tokens=1_000_000, cached_input_tokens=500_000,
                                             output_tokens=1_000_000), overrides=overrides)
    assert quote.usd == Decimal("1.00") + Decimal("0.25") + Decimal("8")
    assert (quote.source, quote.version) == ("azure-eu", "contract-2026-10")
    assert price("my-deployment", Usage(input_tokens=1_000_000), overrides=overrides).usd == Decimal("1")
    assert price("my-image-model", Usage(images=3, image_size="1024x1024"), overrides=overrides).usd == Decimal("0.15")
    assert price("my-stt", Usage(audio_seconds=30), overrides=overrides).usd == Decimal("0.005")


def test_override_missing_a_unit_is_unknown_not_zero() -> None:
    overrides = {"my-deployment": {"input_mtok": "1"}}
    with pytest.warns(PriceWarning):
        assert price("my-deployment", Usage(images=1), overrides=overrides).usd is None


def test_bad_override_is_a_configuration_error() -> None:
    from conduit.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        price("gpt-4o", Usage(input_tokens=1), overrides={"gpt-4o": {"input_mtok": "cheap"}})
    with pytest.raises(ConfigurationError):
        price("gpt-4o", Usage(input_tokens=1), overrides={"gpt-4o": {"input_mtok": "-1"}})


def test_overrides_come_from_conduit_toml(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from conduit.settings import get_settings

    config = Path(str(tmp_path)) / "conduit.toml"
    config.write_text('[prices."gpt-4o"]\ninput_mtok = "3.00"\noutput_mtok = "12.00"\n')
    monkeypatch.setenv("CONDUIT_CONFIG", str(config))
    get_settings.cache_clear()
    try:
        quote = price("gpt-4o", Usage(input_tokens=1_000_000), at=AT)
        assert quote.usd == Decimal("3.00")
        assert quote.source == "conduit.toml"
        assert unit_prices("gpt-4o") == {"input_mtok": Decimal("3.00"), "output_mtok": Decimal("12.00")}
    finally:
        get_settings.cache_clear()


def test_unit_prices_for_display() -> None:
    # [PRICING] gpt-4o $2.50 / $1.25 cached / $10
    prices = unit_prices("gpt-4o", at=AT)
    assert prices is not None
    assert (prices["input_mtok"], prices["cached_input_mtok"], prices["output_mtok"]) == (
        Decimal("2.5"), Decimal("1.25"), Decimal("10"))
    dalle = unit_prices("dall-e-3")
    assert dalle is not None and dalle["per_image[1024x1024/standard]"] == Decimal("0.04")
    whisper = unit_prices("whisper-1")
    assert whisper is not None and whisper["per_minute"] == Decimal("0.006")


def test_genai_prices_never_starts_its_updater() -> None:
    from genai_prices import data_snapshot

    _price("gpt-4o", Usage(input_tokens=1))
    assert data_snapshot._custom_snapshot is None  # no UpdatePrices snapshot was installed
    import threading

    assert not any("update" in thread.name.lower() and "price" in thread.name.lower()
                   for thread in threading.enumerate())


def test_price_to_dict_uses_decimal_strings() -> None:
    data = _price("gpt-4o", Usage(input_tokens=3)).to_dict()
    assert data["cost_usd"] == "0.0000075"
    assert isinstance(data["breakdown"], dict)
