"""Images meter: validation naming allowed values, worst-case estimates, usage read from responses.

Prices: OpenAI pricing page (DALL·E 3 HD 1792x1024 $0.12/image, standard 1024x1024 $0.04);
output image tokens: OpenAI image generation guide, "Cost and latency" (1024x1024 high = 4160).
"""

from __future__ import annotations

import json
from decimal import Decimal

import httpx2
import pytest

from conduit.catalog import price
from conduit.errors import ValidationError
from conduit.meter import meter_for
from conduit.meter.base import Payload
from conduit.meter.images import ImagesMeter
from conduit.tokens import count_tokens
from conduit.usage import Usage

GEN = ImagesMeter("images.generations")
EDIT = ImagesMeter("images.edits")


def _json(body: dict) -> Payload:
    return Payload.parse(json.dumps(body).encode(), "application/json")


def _multipart(fields: dict, files: dict) -> Payload:
    request = httpx2.Request("POST", "http://x/v1/images/edits", data=fields, files=files)
    return Payload.parse(request.read(), request.headers["content-type"])


def _png(width: int, height: int) -> bytes:
    from conduit.sandbox.media.images import encode

    return encode("png", width, height, "seed")


def test_registered_for_the_image_paths() -> None:
    assert meter_for("POST", "/v1/images/generations").endpoint == "images.generations"
    assert meter_for("POST", "/v1/images/edits").endpoint == "images.edits"


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({"model": "dall-e-3", "prompt": "x", "size": "512x512"}, ["1024x1024", "1792x1024", "1024x1792"]),
        ({"model": "dall-e-3", "prompt": "x", "quality": "high"}, ["standard", "hd"]),
        ({"model": "dall-e-3", "prompt": "x", "style": "anime"}, ["vivid", "natural"]),
        ({"model": "dall-e-3", "prompt": "x", "n": 2}, ["one image per request"]),
        ({"model": "dall-e-3", "prompt": "x" * 4001}, ["4,000 characters"]),
        ({"model": "gpt-image-1.5", "prompt": "x", "style": "vivid"}, ["does not take a style"]),
        ({"model": "gpt-image-1.5", "prompt": "x", "quality": "hd"}, ["auto", "low", "medium", "high"]),
        ({"model": "gpt-image-1.5", "prompt": "x", "size": "1792x1024"}, ["1536x1024"]),
        ({"model": "gpt-image-1.5", "prompt": "x", "response_format": "url"}, ["b64_json"]),
        ({"model": "gpt-image-1.5", "prompt": "x", "background": "transparent", "output_format": "jpeg"}, ["png or webp"]),
        ({"model": "gpt-image-1.5", "prompt": "x", "output_compression": 50}, ["jpeg and webp"]),
        ({"model": "dall-e-2", "prompt": "x", "output_format": "png"}, ["GPT image model parameters"]),
        ({"model": "gpt-image-1.5", "prompt": "  "}, ["no prompt"]),
        ({"prompt": "x"}, ["names no model", "gpt-image-1.5"]),
        ({"model": "gpt-image-1.5", "prompt": "x", "n": 0}, ["positive integer"]),
        ({"model": "tts-1", "prompt": "x"}, ["not an image model"]),
    ],
)
def test_invalid_requests_name_the_allowed_values(body: dict, names: list[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        GEN.validate(_json(body))
    text = caught.value.message + " " + caught.value.hint
    for name in names:
        assert name in text


def test_custom_sizes_only_on_models_that_take_them() -> None:
    GEN.validate(_json({"model": "gpt-image-2", "prompt": "x", "size": "2048x1152"}))
    with pytest.raises(ValidationError, match="multiples of 16"):
        GEN.validate(_json({"model": "gpt-image-2", "prompt": "x", "size": "1000x1000"}))


def test_dalle3_estimate_is_the_published_per_image_price() -> None:
    payload = _json({"model": "dall-e-3", "prompt": "x", "size": "1792x1024", "quality": "hd", "style": "vivid"})
    estimate = GEN.estimate(payload, "dall-e-3")
    assert estimate.usd == Decimal("0.12")
    assert estimate.usage.images == 1 and estimate.usage.image_size == "1792x1024"
    default = GEN.estimate(_json({"model": "dall-e-3", "prompt": "x"}), "dall-e-3")
    assert default.usd == Decimal("0.04")


def test_gpt_image_estimate_counts_prompt_and_image_tokens() -> None:
    prompt = "Un paisaje futurista al atardecer, estilo cyberpunk"
    payload = _json({"model": "gpt-image-1.5", "prompt": prompt, "n": 2, "size": "1024x1024", "quality": "high"})
    estimate = GEN.estimate(payload, "gpt-image-1.5")
    tokens = count_tokens(prompt, "gpt-image-1.5")
    assert estimate.usage.input_tokens == tokens
    # 2 images x 4160 output image tokens (image generation guide) at gpt-image-1.5's image output price
    expected = price("gpt-image-1.5", Usage(input_tokens=tokens, output_tokens=8320, image_output_tokens=8320)).usd
    assert estimate.usd == expected
    # auto size and quality reserve for the most expensive combination
    auto = GEN.estimate(_json({"model": "gpt-image-1.5", "prompt": prompt}), "gpt-image-1.5")
    biggest = price("gpt-image-1.5", Usage(input_tokens=tokens, output_tokens=6240, image_output_tokens=6240)).usd
    assert auto.usd == biggest


def test_read_gpt_image_usage_and_dalle_units() -> None:
    body = {"model": "gpt-image-1.5", "prompt": "x", "quality": "low"}
    response = {
        "created": 1, "data": [{"b64_json": "AAAA"}], "size": "1024x1024", "quality": "low",
        "usage": {"input_tokens": 50, "input_tokens_details": {"text_tokens": 10, "image_tokens": 40},
                  "output_tokens": 272, "output_tokens_details": {"image_tokens": 272, "text_tokens": 0}},
    }
    usage, model = GEN.read(_json(body), 200, {}, json.dumps(response).encode())
    assert usage == Usage(input_tokens=50, image_input_tokens=40, output_tokens=272, image_output_tokens=272,
                          images=1, image_size="1024x1024", image_quality="low")
    dalle = {"created": 1, "data": [{"url": "http://x/1.png", "revised_prompt": "y"}]}
    usage, _ = GEN.read(_json({"model": "dall-e-3", "prompt": "x", "quality": "hd"}), 200, {}, json.dumps(dalle).encode())
    assert usage == Usage(images=1, image_size="1024x1024", image_quality="hd")
    assert price("dall-e-3", usage).usd == Decimal("0.08")


def test_dalle_request_is_translated_when_the_policy_substitutes(monkeypatch: pytest.MonkeyPatch) -> None:
    body = {"model": "dall-e-3", "prompt": "un gato", "size": "1792x1024", "quality": "hd", "style": "vivid",
            "response_format": "url"}
    blocked = _json(body)
    GEN.validate(blocked)  # policy "block": left alone, the lifecycle stage refuses it
    assert blocked.json == body
    monkeypatch.setattr("conduit.catalog.lifecycle.retired_policy", lambda: "substitute")
    payload = _json(body)
    GEN.validate(payload)
    # the model stays: the lifecycle stage swaps it for gpt-image-2.5-sunburst, whose rules these now meet
    assert payload.json == {"model": "dall-e-3", "prompt": "un gato (style: vivid)", "size": "1536x1024", "quality": "high"}
    # a caller's own custom size on a GPT image model is left alone
    own = _json({"model": "gpt-image-2", "prompt": "x", "size": "1792x1024"})
    GEN.validate(own)
    assert own.json["size"] == "1792x1024"


def test_edit_uploads_are_checked_and_priced() -> None:
    ok = _multipart({"model": "gpt-image-1.5", "prompt": "añade un sombrero"},
                    {"image": ("gato.png", _png(512, 512), "image/png")})
    EDIT.validate(ok)
    estimate = EDIT.estimate(ok, "gpt-image-1.5")
    assert estimate.usage.image_input_tokens > 0
    assert estimate.usage.input_tokens == estimate.usage.image_input_tokens + count_tokens("añade un sombrero", "gpt-image-1.5")
    with pytest.raises(ValidationError, match="not a PNG / JPEG / WEBP"):
        EDIT.validate(_multipart({"model": "gpt-image-1.5", "prompt": "x"}, {"image": ("a.gif", b"GIF89a" + bytes(20), "image/gif")}))
    with pytest.raises(ValidationError, match="no image file"):
        EDIT.validate(_multipart({"model": "gpt-image-1.5", "prompt": "x"}, {"mask": ("m.png", _png(8, 8), "image/png")}))
    with pytest.raises(ValidationError, match="same dimensions"):
        EDIT.validate(_multipart({"model": "gpt-image-1.5", "prompt": "x"},
                                 {"image": ("a.png", _png(64, 64), "image/png"), "mask": ("m.png", _png(32, 32), "image/png")}))
    with pytest.raises(ValidationError, match="square"):
        EDIT.validate(_multipart({"model": "dall-e-2", "prompt": "x"}, {"image": ("a.png", _png(64, 32), "image/png")}))
    with pytest.raises(ValidationError, match="n must be an integer"):
        EDIT.validate(_multipart({"model": "gpt-image-1.5", "prompt": "x", "n": "dos"},
                                 {"image": ("a.png", _png(64, 64), "image/png")}))
