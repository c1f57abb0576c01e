"""The sandbox's model table agrees with the installed openai SDK's model literals and dates."""

from __future__ import annotations

import datetime as _dt
import inspect
import re
import typing

import pytest

from conduit.sandbox import models


def _literals(alias: object) -> set[str]:
    values: set[str] = set()
    for arg in typing.get_args(alias):
        if isinstance(arg, str):
            values.add(arg)
        else:
            values |= _literals(arg)
    return values


def _sdk_families() -> dict[str, set[str]]:
    from openai.types import AudioModel, EmbeddingModel, ImageModel, ModerationModel
    from openai.types.audio import SpeechModel
    from openai.types.shared import ChatModel, ResponsesModel

    chat = _literals(ChatModel)
    return {
        models.CHAT: chat,
        models.RESPONSES_ONLY: _literals(ResponsesModel) - chat,
        models.IMAGE: _literals(ImageModel),
        models.EMBEDDING: _literals(EmbeddingModel),
        models.MODERATION: _literals(ModerationModel),
        models.TRANSCRIBE: _literals(AudioModel),
        models.TTS: _literals(SpeechModel),
    }


def test_every_sdk_model_is_served_with_the_right_kind() -> None:
    table = models.catalog()
    for kind, names in _sdk_families().items():
        for name in names:
            assert name in table, f"{name} ({kind}) is in the openai SDK but not in the sandbox catalog"
            assert table[name].kind == kind, name


def _sdk_shutdowns() -> dict[str, _dt.date]:
    """Parse 'Announced shutdown date' / 'shut down on' / 'retired on' notes from the SDK type modules."""
    import openai.types.audio.speech_model as speech
    import openai.types.audio_model as audio
    import openai.types.image_model as image
    import openai.types.shared.chat_model as chat

    dates: dict[str, _dt.date] = {}
    for module in (chat, image, audio, speech):
        source = inspect.getsource(module)
        notes = source.split('"""Deprecated values:', 1)[1]
        for entry in re.split(r"\n- ", notes):
            names = re.findall(r'"([^"]+)"', entry.split(":", 1)[0])
            match = re.search(r"shutdown date:\s*(\d{4}-\d{2}-\d{2})", entry)
            if match:
                day = _dt.date.fromisoformat(match[1])
            else:
                text = re.search(r"(?:shut down|retired) on (\w+ \d{1,2}, \d{4})", " ".join(entry.split()))
                if not text:
                    continue
                day = _dt.datetime.strptime(text[1], "%B %d, %Y").date()
            for name in names:
                dates[name] = day
    return dates


def test_shutdown_dates_match_the_sdk_docs() -> None:
    sdk = _sdk_shutdowns()
    assert sdk, "no deprecation notes found in the SDK"
    table = models.catalog()
    for name, day in sdk.items():
        if name in table:
            assert table[name].shutdown == day, name


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o-mini-2024-07-18", ("chat", "gpt-4o-mini-2024-07-18")),
        ("gpt-5.4-mini-2027-01-01", ("chat", "gpt-5.4-mini")),
        ("ft:gpt-4o-mini-2024-07-18:acme::abc", ("chat", "gpt-4o-mini-2024-07-18")),
        ("ft:mystery:org::x", ("chat", "ft:mystery:org::x")),
        ("whisper-1", ("transcribe", "whisper-1")),
    ],
)
def test_resolve(model: str, expected: tuple[str, str]) -> None:
    info = models.resolve(model)
    assert info is not None and (info.kind, info.family_id) == expected


def test_unknown_and_shut_down() -> None:
    assert models.resolve("gpt-99") is None
    gpt4 = models.resolve("gpt-4")
    assert gpt4 is not None and gpt4.is_shut_down(_dt.date(2026, 10, 23))
    assert not gpt4.is_shut_down(_dt.date(2026, 10, 22))
    snapshot = models.resolve("gpt-4-turbo-2099-01-01")
    assert snapshot is not None and snapshot.shutdown == gpt4.shutdown


@pytest.mark.parametrize(
    ("model", "reasoning"),
    [("o3", True), ("gpt-5.4-mini", True), ("gpt-5-chat-latest", False), ("gpt-4o", False), ("o3-pro", True), ("gpt-4.1", False)],
)
def test_reasoning_families(model: str, reasoning: bool) -> None:
    info = models.resolve(model)
    assert info is not None and info.is_reasoning is reasoning
