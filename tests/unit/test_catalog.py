"""The catalog: lookup of every model the manual names and today's models, specs, lifecycle policy.

Sources for expected values:
- [SDK] the installed openai SDK's model literals and their "Deprecated values" notes
  (openai/types/shared/chat_model.py, image_model.py, audio_model.py, audio/speech_model.py).
- [DEPR] https://developers.openai.com/api/docs/deprecations (2026-04-22 "Legacy GPT model snapshots").
- [MODELS] OpenAI model pages (context window / max output tokens).
"""

from __future__ import annotations

import datetime as _dt
import typing
import warnings

import pytest

from conduit.catalog import (
    ModelDecision,
    RetiredModelWarning,
    check_model,
    current_successor,
    list_models,
    lookup_model,
    worst_case_output_tokens,
)
from conduit.errors import ConfigurationError, RetiredModelError

TODAY = _dt.date(2026, 11, 26)

MANUAL_MODELS = [
    "gpt-4", "gpt-4-turbo", "gpt-4o", "gpt-4o-mini", "o3-mini", "gpt-3.5-turbo",
    "dall-e-2", "dall-e-3", "gpt-image-1",
    "whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe",
    "tts-1", "tts-1-hd", "gpt-4o-mini-tts",
]
TODAYS_MODELS = [
    "gpt-5", "gpt-5.1", "gpt-5.2", "gpt-5.4", "gpt-5.4-mini", "gpt-5.5", "gpt-5.6-sol", "gpt-6-sol", "gpt-6-astra",
    "gpt-6-luna", "gpt-4.1", "gpt-4.1-mini", "o3", "o4-mini", "gpt-image-1.5", "gpt-image-2",
    "gpt-image-2.5-sunburst", "gpt-transcribe", "gpt-4o-transcribe-diarize", "text-embedding-3-small",
    "text-embedding-3-large", "omni-moderation-latest",
]


@pytest.mark.parametrize("name", MANUAL_MODELS + TODAYS_MODELS)
def test_every_named_model_is_in_the_catalog(name: str) -> None:
    spec = lookup_model(name)
    assert spec is not None, name
    assert spec.family == name


def test_every_sdk_literal_resolves() -> None:
    from openai.types import AudioModel, EmbeddingModel, ImageModel, ModerationModel
    from openai.types.audio import SpeechModel
    from openai.types.shared import ChatModel, ResponsesModel

    literals: set[str] = set()
    for alias in (ChatModel, ImageModel, AudioModel, SpeechModel, EmbeddingModel, ModerationModel):
        literals.update(typing.get_args(alias))
    for member in typing.get_args(ResponsesModel):
        literals.update(a for a in typing.get_args(member) if isinstance(a, str))
    missing = sorted(name for name in literals if lookup_model(name) is None)
    # the two "daybreak" ids are unannounced codenames with no published limits or prices
    assert set(missing) <= {"gpt-daybreak-blue-latest", "gpt-daybreak-red-latest"}, missing


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-2024-05-13", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("ft:gpt-4o-mini-2024-07-18:acme::abc123", "gpt-4o-mini"),
        ("ft:gpt-4o-mini:acme::abc123", "gpt-4o-mini"),
        ("openai/gpt-4o", "gpt-4o"),
        ("GPT-4o", "gpt-4o"),
        ("gpt-4-0613", "gpt-4"),
        ("gpt-4-1106-preview", "gpt-4-turbo-preview"),
        ("gpt-4-turbo-2024-04-09", "gpt-4-turbo"),
        ("gpt-3.5-turbo-0125", "gpt-3.5-turbo"),
        ("o3-mini-2025-01-31", "o3-mini"),
        ("gpt-5.4-mini-2026-03-17", "gpt-5.4-mini"),
        ("gpt-image-2-2026-04-21", "gpt-image-2"),
        ("gpt-image-2.5-sunburst-2026-09-08", "gpt-image-2.5-sunburst"),
        ("gpt-4o-mini-tts-2025-12-15", "gpt-4o-mini-tts"),
        ("omni-moderation-2024-09-26", "omni-moderation-latest"),
    ],
)
def test_snapshots_and_fine_tunes_resolve_to_family(name: str, family: str) -> None:
    spec = lookup_model(name)
    assert spec is not None
    assert spec.family == family


def test_unknown_model_is_none() -> None:
    assert lookup_model("totally-new-model") is None
    assert lookup_model("") is None


def test_specs_match_published_limits() -> None:
    # [MODELS] gpt-4o: 128,000 context, 16,384 max output
    gpt4o = lookup_model("gpt-4o")
    assert gpt4o is not None and (gpt4o.context_window, gpt4o.max_output_tokens) == (128000, 16384)
    # [MODELS] gpt-4.1: 1,047,576 context, 32,768 max output
    gpt41 = lookup_model("gpt-4.1")
    assert gpt41 is not None and (gpt41.context_window, gpt41.max_output_tokens) == (1047576, 32768)
    # [MODELS] o3-mini: 200,000 context, 100,000 max output; text only, no vision
    o3mini = lookup_model("o3-mini")
    assert o3mini is not None and (o3mini.context_window, o3mini.max_output_tokens) == (200000, 100000)
    assert o3mini.features.reasoning and not o3mini.features.vision
    # [MODELS] gpt-5: 400,000 context, 128,000 max output
    gpt5 = lookup_model("gpt-5")
    assert gpt5 is not None and (gpt5.context_window, gpt5.max_output_tokens) == (400000, 128000)
    # [MODELS] gpt-4: 8,192 context, cl100k_base
    gpt4 = lookup_model("gpt-4")
    assert gpt4 is not None and gpt4.context_window == 8192 and gpt4.encoding == "cl100k_base"


def test_parameter_rules_as_data() -> None:
    o3 = lookup_model("o3-mini")
    assert o3 is not None
    assert o3.rules.token_limit_param == "max_completion_tokens"
    assert o3.rules.supports_temperature is False
    assert o3.rules.reasoning_efforts == ("low", "medium", "high")
    gpt4o = lookup_model("gpt-4o")
    assert gpt4o is not None and gpt4o.rules.token_limit_param == "max_tokens" and gpt4o.rules.supports_temperature
    dalle3 = lookup_model("dall-e-3")
    assert dalle3 is not None
    assert dalle3.rules.image_max_n == 1  # API reference: dall-e-3 supports n=1 only
    assert dalle3.rules.image_sizes == ("1024x1024", "1792x1024", "1024x1792")
    assert dalle3.rules.image_qualities == ("standard", "hd")
    assert dalle3.rules.image_styles == ("vivid", "natural")
    dalle2 = lookup_model("dall-e-2")
    assert dalle2 is not None and dalle2.rules.image_sizes == ("256x256", "512x512", "1024x1024")
    tts1 = lookup_model("tts-1")
    assert tts1 is not None and tts1.rules.max_input_chars == 4096 and not tts1.rules.supports_instructions
    assert "marin" not in tts1.rules.voices
    mini_tts = lookup_model("gpt-4o-mini-tts")
    assert mini_tts is not None and mini_tts.rules.supports_instructions and "marin" in mini_tts.rules.voices
    whisper = lookup_model("whisper-1")
    assert whisper is not None
    assert whisper.rules.max_file_bytes == 25 * 1024 * 1024
    assert set(whisper.rules.audio_formats) == {"flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm"}
    transcribe = lookup_model("gpt-4o-transcribe")
    assert transcribe is not None and transcribe.rules.transcription_response_formats == ("json",)
    image2 = lookup_model("gpt-image-2")
    assert image2 is not None and image2.rules.image_custom_sizes


@pytest.mark.parametrize(
    ("name", "status", "shutdown", "successor"),
    [
        ("dall-e-2", "retired", "2026-05-12", "gpt-image-1-mini"),  # [SDK] image_model.py
        ("dall-e-3", "retired", "2026-05-12", "gpt-image-2.5-sunburst"),  # [SDK] image_model.py
        ("gpt-image-1", "retired", "2026-10-23", "gpt-image-2.5-sunburst"),  # [SDK] image_model.py
        ("gpt-4", "retired", "2026-10-23", "gpt-4.1"),  # [SDK] chat_model.py
        ("gpt-4-turbo", "retired", "2026-10-23", "gpt-4.1"),  # [SDK] chat_model.py
        ("gpt-3.5-turbo", "retired", "2026-10-23", "gpt-4.1-mini"),  # [SDK]; successor [DEPR]
        ("o3-mini", "retired", "2026-10-23", "gpt-5.4-mini"),  # [SDK] chat_model.py
        ("gpt-4o-2024-05-13", "retired", "2026-10-23", "gpt-4o"),  # [SDK]: this snapshot only
        ("gpt-4o", "deprecated", "2027-01-14", "gpt-5.4"),  # [SDK] chat_model.py
        ("gpt-4o-2024-08-06", "deprecated", "2027-01-14", "gpt-5.4"),  # [SDK] chat_model.py
        ("gpt-5", "deprecated", "2026-12-11", "gpt-5.5"),  # [SDK] chat_model.py
        ("whisper-1", "deprecated", "2027-02-26", "gpt-transcribe"),  # [SDK] audio_model.py
        ("tts-1", "deprecated", "2027-01-06", None),  # [SDK] speech_model.py (no replacement named)
    ],
)
def test_lifecycle_dates(name: str, status: str, shutdown: str, successor: str | None) -> None:
    spec = lookup_model(name)
    assert spec is not None
    assert spec.status(TODAY) == status
    assert spec.shutdown_on == _dt.date.fromisoformat(shutdown)
    assert spec.successor == successor


def test_active_models_have_no_shutdown() -> None:
    for name in ("gpt-6-sol", "gpt-5.5", "gpt-image-2.5-sunburst", "gpt-transcribe", "text-embedding-3-small"):
        spec = lookup_model(name)
        assert spec is not None and spec.status(TODAY) == "active" and spec.shutdown_on is None


def test_status_moves_with_the_calendar() -> None:
    gpt4o = lookup_model("gpt-4o")
    assert gpt4o is not None
    assert gpt4o.status(_dt.date(2027, 1, 13)) == "deprecated"
    assert gpt4o.status(_dt.date(2027, 1, 14)) == "retired"


def test_block_policy_raises_naming_successor() -> None:
    with pytest.raises(RetiredModelError) as excinfo:
        check_model("gpt-4", policy="block", today=TODAY)
    assert "2026-10-23" in excinfo.value.message
    assert "gpt-4.1" in excinfo.value.message
    assert "gpt-4.1" in excinfo.value.hint
    assert "retired_policy" in excinfo.value.hint


def test_substitute_policy_follows_the_successor_chain() -> None:
    # o1-mini -> o4-mini ([DEPR]) -> o4-mini itself retired 2026-10-23 -> gpt-5.4-mini
    decision = check_model("o1-mini", policy="substitute", today=TODAY)
    assert isinstance(decision, ModelDecision)
    assert decision.substituted is True
    assert decision.requested == "o1-mini"
    assert decision.model == "gpt-5.4-mini"
    assert "Substituting gpt-5.4-mini" in (decision.message or "")
    assert current_successor("chatgpt-4o-latest", TODAY) == "gpt-5.5"


def test_warn_policy_lets_the_call_through_with_a_warning() -> None:
    with pytest.warns(RetiredModelWarning, match="dall-e-3"):
        decision = check_model("dall-e-3", policy="warn", today=TODAY)
    assert decision.model == "dall-e-3" and decision.status == "retired" and not decision.substituted


def test_deprecated_and_active_and_unknown_pass() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        deprecated = check_model("gpt-4o-mini", policy="block", today=TODAY)
        active = check_model("gpt-6-sol", policy="block", today=TODAY)
        unknown = check_model("my-azure-deployment", policy="block", today=TODAY)
    assert deprecated.status == "deprecated" and deprecated.model == "gpt-4o-mini"
    assert "2027-01-14" in (deprecated.message or "")
    assert active.status == "active" and active.message is None
    assert unknown.status == "unknown"


def test_policy_comes_from_conduit_toml(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from conduit.settings import get_settings

    config = Path(str(tmp_path)) / "conduit.toml"
    config.write_text('[models]\nretired_policy = "substitute"\n')
    monkeypatch.setenv("CONDUIT_CONFIG", str(config))
    get_settings.cache_clear()
    try:
        assert check_model("gpt-3.5-turbo", today=TODAY).model == "gpt-4.1-mini"
        config.write_text('[models]\nretired_policy = "sometimes"\n')
        get_settings.cache_clear()
        with pytest.raises(ConfigurationError):
            check_model("gpt-3.5-turbo", today=TODAY)
    finally:
        get_settings.cache_clear()


def test_worst_case_output_tokens() -> None:
    assert worst_case_output_tokens("gpt-4o", 500) == 500
    assert worst_case_output_tokens("gpt-4o", None) == 16384  # [MODELS] gpt-4o max output
    assert worst_case_output_tokens("gpt-4o-2024-08-06", None) == 16384
    assert worst_case_output_tokens("o3", None) == 100000  # [MODELS] o3 max output
    assert worst_case_output_tokens("gpt-4o", 10**6) == 16384  # the API cannot return more than the max
    assert worst_case_output_tokens("unknown-model", None) == 128000
    # not in conduit's table, but genai-prices knows its 32,000-token window: output cannot exceed it
    assert lookup_model("gpt-4o-realtime-preview") is None
    assert worst_case_output_tokens("gpt-4o-realtime-preview", None) == 32000
    with pytest.raises(ValueError):
        worst_case_output_tokens("gpt-4o", -1)


def test_list_models_and_json_view() -> None:
    chat = list_models("chat")
    assert chat and all(spec.kind == "chat" for spec in chat)
    everything = list_models()
    assert {spec.kind for spec in everything} == {"chat", "image", "transcription", "speech", "embedding",
                                                  "moderation"}
    row = next(spec for spec in everything if spec.name == "dall-e-3").to_dict()
    assert row["shutdown_on"] == "2026-05-12" and row["successor"] == "gpt-image-2.5-sunburst"
    assert row["rules"]["image_max_n"] == 1  # type: ignore[index]
