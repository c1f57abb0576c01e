"""Image input tokens by OpenAI's published formulas.

[VISION] OpenAI, Images and vision guide, "Calculating costs"
(platform.openai.com/docs/guides/images-vision#calculating-costs):
  - "A 1024 x 1024 square image in detail: high mode costs 765 tokens"
  - "A 2048 x 4096 image in detail: high mode costs 1105 tokens"
  - "A 4096 x 8192 image in detail: low most costs 85 tokens"
  - patch models: "a 1024 x 1024 image is 1024 tokens" (1024 patches) and
    "a 1800 x 2400 image ... 1452 tokens" (patches), then x the model's multiplier
    (gpt-4.1-mini 1.62, gpt-4.1-nano 2.46, o4-mini 1.72)
  - base/tile table: gpt-4o 85/170, gpt-4o-mini 2833/5667, o1/o3 75/150, gpt-5 70/140,
    computer-use-preview 65/129
"""

from __future__ import annotations

import base64
import math
import struct
import zlib
from pathlib import Path

import pytest

from conduit.tokens import (
    image_dimensions,
    image_dimensions_from_data_url,
    image_dimensions_from_file,
    image_input_tokens,
    max_image_input_tokens,
)


@pytest.mark.parametrize(
    ("width", "height", "detail", "model", "expected"),
    [
        (1024, 1024, "high", "gpt-4o", 765),  # [VISION] worked example 1
        (2048, 4096, "high", "gpt-4o", 1105),  # [VISION] worked example 2
        (4096, 8192, "low", "gpt-4o", 85),  # [VISION] worked example 3
        (1024, 1024, "high", "gpt-4o-2024-08-06", 765),  # snapshot resolves to the family rule
        (1024, 1024, "high", "gpt-4o-mini", 2833 + 4 * 5667),  # [VISION] table: 2833 base, 5667 per tile
        (1024, 1024, "low", "gpt-4o-mini", 2833),  # [VISION] table
        (1024, 1024, "high", "o3", 75 + 4 * 150),  # [VISION] table: o1/o3 75/150
        (1024, 1024, "high", "gpt-5", 70 + 4 * 140),  # [VISION] table: gpt-5 70/140
        (1024, 1024, "high", "computer-use-preview", 65 + 4 * 129),  # [VISION] table
        (512, 512, "high", "gpt-4o", 85 + 170),  # [VISION] rule: one 512px tile
        (1024, 1024, "high", "gpt-4.1-mini", math.ceil(1024 * 1.62)),  # [VISION] 1024 patches x 1.62
        (1800, 2400, "high", "gpt-4.1-mini", math.ceil(1452 * 1.62)),  # [VISION] 1452 patches x 1.62
        (1800, 2400, "auto", "gpt-4.1-nano", math.ceil(1452 * 2.46)),  # [VISION] 1452 patches x 2.46
        (1024, 1024, "low", "o4-mini", math.ceil(1024 * 1.72)),  # [VISION] patches ignore detail; x 1.72
    ],
)
def test_published_image_token_examples(width: int, height: int, detail: str, model: str, expected: int) -> None:
    assert image_input_tokens(width, height, detail, model) == expected


def test_auto_detail_counts_as_high() -> None:
    assert image_input_tokens(1024, 1024, "auto", "gpt-4o") == image_input_tokens(1024, 1024, "high", "gpt-4o")


def test_maximum_is_an_upper_bound_for_every_size() -> None:
    for model in ("gpt-4o", "gpt-4o-mini", "gpt-4.1-mini", "o4-mini", "gpt-5"):
        worst = max_image_input_tokens(model)
        for width, height in [(64, 64), (768, 2048), (2048, 768), (1536, 1536), (4000, 1474), (10000, 300),
                              (8192, 8192), (1800, 2400), (3000, 1000)]:
            assert image_input_tokens(width, height, "high", model) <= worst, (model, width, height)


def test_patch_cap_holds_for_huge_images() -> None:
    # [VISION]: "If the number of patches exceeds 1536, we scale down the image so it can be covered by no more
    # than 1536 patches"
    assert image_input_tokens(8000, 8000, "high", "gpt-4.1-mini") <= math.ceil(1536 * 1.62)


def test_invalid_input_is_rejected() -> None:
    with pytest.raises(ValueError):
        image_input_tokens(0, 100)
    with pytest.raises(ValueError):
        image_input_tokens(100, 100, "ultra")


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IEND", b""))


def _jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    exif = b"\xff\xe1" + struct.pack(">H", 2 + 3000) + b"\x00" * 3000  # large APP1 before the frame header
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + exif + sof + b"\xff\xd9"


def _gif(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00;"


def _webp_vp8x(width: int, height: int) -> bytes:
    body = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (
        height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


@pytest.mark.parametrize("maker", [_png, _jpeg, _gif, _webp_vp8x])
def test_dimensions_from_headers(maker: object, tmp_path: Path) -> None:
    data = maker(1800, 2400)  # type: ignore[operator]
    assert image_dimensions(data) == (1800, 2400)
    url = "data:image/x;base64," + base64.b64encode(data).decode()
    assert image_dimensions_from_data_url(url) == (1800, 2400)
    path = tmp_path / "image.bin"
    path.write_bytes(data)
    assert image_dimensions_from_file(path) == (1800, 2400)


def test_unknown_bytes_have_no_dimensions() -> None:
    assert image_dimensions(b"hello world") is None
    assert image_dimensions_from_data_url("https://example.com/x.png") is None
