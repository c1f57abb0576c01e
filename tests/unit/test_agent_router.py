"""Model routing by need, and catalog-checked defaults for the media tools."""

from __future__ import annotations

import pytest

from conduit.agent.media import PREFERRED, media_model
from conduit.agent.router import Needs, candidates, choose_model
from conduit.catalog import lookup_model
from conduit.errors import ValidationError


def test_fixed_model_is_never_overridden() -> None:
    assert choose_model(Needs(tools=True, vision=True), fixed="my-fine-tune") == "my-fine-tune"


def test_cheapest_capable_model_wins_and_meets_every_need() -> None:
    needs = Needs(tools=True, vision=True, context_tokens=300_000)
    ranked = candidates(needs)
    assert ranked, "the catalog has capable models"
    assert [key for key, _ in ranked] == sorted(key for key, _ in ranked)
    chosen = lookup_model(choose_model(needs))
    assert chosen is not None and chosen.status() == "active"
    assert chosen.features.tools and "image" in chosen.input_modalities and chosen.context_window >= 300_000


def test_bigger_needs_never_get_a_cheaper_model() -> None:
    light = candidates(Needs())[0][0]
    heavy = candidates(Needs(tools=True, vision=True, context_tokens=900_000))[0][0]
    assert heavy >= light


def test_impossible_needs_are_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="No active model"):
        choose_model(Needs(tools=True, context_tokens=10**12))


@pytest.mark.parametrize("kind", ["image", "speech", "transcription"])
def test_media_defaults_are_not_retired(kind: str) -> None:
    spec = lookup_model(media_model(kind))
    assert spec is not None and spec.status() != "retired"
    assert spec.kind == kind or media_model(kind) == PREFERRED[kind]
