"""The moderation screen as a pipeline validator: which texts it screens, how it refuses, its config."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import httpx2
import pytest

from conduit.errors import ConfigurationError
from conduit.media.moderation import ContentFlagged, ModerationScreen, moderation_scope, moderation_validator
from conduit.meter import meter_for
from conduit.meter.base import Payload
from conduit.pipeline.context import Scope
from conduit.pipeline.exchange import Exchange


class _FakeModerations:
    """Answers like /moderations: flags texts containing 'matar' as violence (score 0.9) and harassment (0.6)."""

    def __init__(self) -> None:
        self.inputs: list[str] = []

    def post(self, path: str, json: dict[str, Any]) -> httpx2.Response:  # noqa: A002 - httpx's keyword
        assert path == "moderations"
        self.inputs.append(json["input"])
        flagged = "matar" in json["input"]
        result = {
            "flagged": flagged,
            "categories": {"violence": flagged, "harassment": flagged, "sexual": False},
            "category_scores": {"violence": 0.9 if flagged else 0.01, "harassment": 0.6 if flagged else 0.0, "sexual": 0.0},
        }
        return httpx2.Response(200, json={"id": "modr-1", "model": json["model"], "results": [result]})


def _exchange(path: str, body: dict[str, Any]) -> Exchange:
    payload = Payload.parse(json.dumps(body).encode(), "application/json")
    return Exchange(method="POST", path=path, meter=meter_for("POST", path), payload=payload, scope=Scope(),
                    model=body.get("model"))


def test_flagged_image_prompt_is_refused_with_categories_by_score() -> None:
    fake = _FakeModerations()
    screen = ModerationScreen(fake)  # type: ignore[arg-type]
    with pytest.raises(ContentFlagged) as caught:
        screen(_exchange("/v1/images/generations", {"model": "gpt-image-1.5", "prompt": "voy a matar al dragón"}))
    assert caught.value.categories == ["violence", "harassment"]
    assert "(violence, harassment)" in caught.value.message and "gpt-image-1.5" in caught.value.message
    screen(_exchange("/v1/images/generations", {"model": "gpt-image-1.5", "prompt": "un dragón amable"}))
    assert fake.inputs == ["voy a matar al dragón", "un dragón amable"]


def test_only_the_configured_endpoints_and_user_text_are_screened() -> None:
    fake = _FakeModerations()
    images_only = ModerationScreen(fake)  # type: ignore[arg-type]
    chat = {"model": "gpt-4o", "messages": [{"role": "system", "content": "Eres un asistente."},
                                            {"role": "user", "content": "hola"}]}
    images_only(_exchange("/v1/chat/completions", chat))
    assert fake.inputs == []
    everything = ModerationScreen(fake, endpoints=("chat.completions",))  # type: ignore[arg-type]
    everything(_exchange("/v1/chat/completions", chat))
    assert fake.inputs == ["hola"]  # the developer's system prompt is not user input


def _settings(media: dict[str, Any]) -> Any:
    return SimpleNamespace(section=lambda name: media if name == "media" else {}, base_url="http://127.0.0.1:9/v1")


def test_configuration() -> None:
    assert moderation_scope(_settings({})) == "off"
    assert moderation_scope(_settings({"moderate_prompts": True})) == "images"
    assert moderation_scope(_settings({"moderate_prompts": "ALL"})) == "all"
    with pytest.raises(ConfigurationError, match="images, all"):
        moderation_scope(_settings({"moderate_prompts": "sometimes"}))
    assert moderation_validator(_settings({})) is None
    screen = moderation_validator(_settings({"moderate_prompts": "all", "moderation_model": "omni-moderation-2024-09-26"}))
    assert screen is not None and "chat.completions" in screen.endpoints and screen.model == "omni-moderation-2024-09-26"
