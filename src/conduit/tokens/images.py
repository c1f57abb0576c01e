"""Image input tokens by OpenAI's published formulas, and image dimensions from bytes.

OpenAI bills an image in a prompt as text tokens computed from its size
(platform.openai.com/docs/guides/images-vision, "Calculating costs"). Two
schemes exist, depending on the model:

* **tiles** (gpt-4o, gpt-4.1, gpt-4.5, gpt-5, o1/o3, gpt-4o-mini, computer-use,
  gpt-image-1): ``detail="low"`` costs the base tokens; ``high`` first fits the
  image in 2048x2048, then scales its shortest side down to 768px, counts the
  512px tiles, and costs ``base + tiles * per_tile``.
* **patches** (gpt-4.1-mini/nano, gpt-5-mini/nano, o4-mini): the image is cut
  in 32px patches, capped at 1536 patches (scaling the image down to fit), and
  costs ``patches * multiplier``.

``detail="auto"`` lets the server choose; we count it as ``high`` so an
estimate is never below what is billed.
"""

from __future__ import annotations

import base64
import binascii
import math
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from conduit.catalog.names import strip_snapshot

__all__ = [
    "ImageTokenRule",
    "image_rule_for_model",
    "image_input_tokens",
    "max_image_input_tokens",
    "image_dimensions",
    "image_dimensions_from_data_url",
    "image_dimensions_from_file",
]

_PATCH = 32
_PATCH_CAP = 1536


@dataclass(frozen=True, slots=True)
class ImageTokenRule:
    """How one model family turns an image into tokens."""

    scheme: str  # "tiles" or "patches"
    base: int = 0
    per_tile: int = 0
    multiplier: float = 1.0


# Source: https://platform.openai.com/docs/guides/images-vision#calculating-costs (2025-08),
# tables "Cost calculation examples" (tiles) and "GPT-4.1-mini, GPT-4.1-nano, o4-mini" (patches).
_TILES_4O = ImageTokenRule("tiles", base=85, per_tile=170)
_RULES: dict[str, ImageTokenRule] = {
    "gpt-4o": _TILES_4O,
    "chatgpt-4o-latest": _TILES_4O,
    "gpt-4.1": _TILES_4O,
    "gpt-4.5-preview": _TILES_4O,
    "gpt-4-turbo": _TILES_4O,
    "gpt-4-vision-preview": _TILES_4O,
    "gpt-4o-mini": ImageTokenRule("tiles", base=2833, per_tile=5667),
    "gpt-5": ImageTokenRule("tiles", base=70, per_tile=140),
    "gpt-5-chat-latest": ImageTokenRule("tiles", base=70, per_tile=140),
    "o1": ImageTokenRule("tiles", base=75, per_tile=150),
    "o1-pro": ImageTokenRule("tiles", base=75, per_tile=150),
    "o3": ImageTokenRule("tiles", base=75, per_tile=150),
    "o3-pro": ImageTokenRule("tiles", base=75, per_tile=150),
    "computer-use-preview": ImageTokenRule("tiles", base=65, per_tile=129),
    "gpt-image-1": ImageTokenRule("tiles", base=65, per_tile=129),
    "gpt-image-1-mini": ImageTokenRule("tiles", base=65, per_tile=129),
    "gpt-4.1-mini": ImageTokenRule("patches", multiplier=1.62),
    "gpt-4.1-nano": ImageTokenRule("patches", multiplier=2.46),
    "gpt-5-mini": ImageTokenRule("patches", multiplier=1.62),
    "gpt-5-nano": ImageTokenRule("patches", multiplier=2.46),
    "o4-mini": ImageTokenRule("patches", multiplier=1.72),
}


@lru_cache(maxsize=512)
def image_rule_for_model(model: str) -> ImageTokenRule:
    """The image-token rule for ``model``'s family.

    Newer families the guide does not list yet (gpt-5.x, gpt-6, gpt-image-1.5+)
    inherit from their closest published ancestor; the fallback is the gpt-4o
    tiles rule.
    """
    base = strip_snapshot(model)
    if base in _RULES:
        return _RULES[base]
    # gpt-5.1-mini -> gpt-5-mini, gpt-5.4 -> gpt-5, gpt-6-sol -> gpt-5, gpt-image-2 -> gpt-image-1
    if base.startswith(("gpt-5", "gpt-6")):
        if base.endswith("-nano"):
            return _RULES["gpt-5-nano"]
        if base.endswith("-mini"):
            return _RULES["gpt-5-mini"]
        return _RULES["gpt-5"]
    if base.startswith("gpt-image"):
        return _RULES["gpt-image-1"]
    if base.startswith(("o1", "o3")):
        return _RULES["o3"]
    if base.startswith("o4-mini"):
        return _RULES["o4-mini"]
    for prefix in sorted(_RULES, key=len, reverse=True):
        if base.startswith(prefix):
            return _RULES[prefix]
    return _TILES_4O


def _tiles(width: int, height: int) -> int:
    w, h = float(width), float(height)
    if max(w, h) > 2048:
        scale = 2048 / max(w, h)
        w, h = w * scale, h * scale
    if min(w, h) > 768:
        scale = 768 / min(w, h)
        w, h = w * scale, h * scale
    return math.ceil(w / 512) * math.ceil(h / 512)


def _patches(width: int, height: int) -> int:
    patches = math.ceil(width / _PATCH) * math.ceil(height / _PATCH)
    if patches <= _PATCH_CAP:
        return patches
    shrink = math.sqrt(_PATCH * _PATCH * _PATCH_CAP / (width * height))
    shrink *= min(
        math.floor(width * shrink / _PATCH) / (width * shrink / _PATCH),
        math.floor(height * shrink / _PATCH) / (height * shrink / _PATCH),
    )
    return min(_PATCH_CAP, math.ceil(width * shrink / _PATCH) * math.ceil(height * shrink / _PATCH))


def image_input_tokens(width: int, height: int, detail: str = "auto", model: str = "gpt-4o") -> int:
    """Tokens an image of ``width`` x ``height`` pixels costs as input to ``model``.

    ``detail`` is ``"low"``, ``"high"`` or ``"auto"`` (counted as high: an upper bound).
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"image dimensions must be positive, got {width}x{height}")
    detail = (detail or "auto").lower()
    if detail not in {"low", "high", "auto", "original"}:
        raise ValueError(f"detail must be 'low', 'high' or 'auto', got {detail!r}")
    rule = image_rule_for_model(model)
    if rule.scheme == "patches":
        return math.ceil(_patches(width, height) * rule.multiplier)
    if detail == "low":
        return rule.base
    return rule.base + rule.per_tile * _tiles(width, height)


def max_image_input_tokens(model: str, detail: str = "auto") -> int:
    """The most one image can cost on ``model``: the estimate for images of unknown size.

    Tiles: an image fitted to 2048 on its long side and 768 on its short side
    is 2x4 = 8 tiles, the maximum. Patches: the 1536-patch cap.
    """
    rule = image_rule_for_model(model)
    if rule.scheme == "patches":
        return math.ceil(_PATCH_CAP * rule.multiplier)
    if (detail or "auto").lower() == "low":
        return rule.base
    return rule.base + rule.per_tile * 8


# --- dimensions from bytes (PNG, JPEG, GIF, WebP) -------------------------------------------


def image_dimensions(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from an image's header, or None if the format is not recognised."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_dimensions(data)
    if data[:2] == b"\xff\xd8":
        return _jpeg_dimensions(data)
    return None


def _webp_dimensions(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return width, height
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    index = 2
    size = len(data)
    while index + 9 < size:
        if data[index] != 0xFF:
            index += 1
            continue
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            index += 1 if marker == 0xFF else 2
            continue
        length = int.from_bytes(data[index + 2 : index + 4], "big")
        # SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC) carry the frame size
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return int(width), int(height)
        index += 2 + length
    return None


def image_dimensions_from_data_url(url: str) -> tuple[int, int] | None:
    """(width, height) of a ``data:image/...;base64,...`` URL, or None if it is not one we can read."""
    if not url.startswith("data:") or ";base64," not in url[:100]:
        return None
    payload = url.split(",", 1)[1]
    # The header is in the first few KB for PNG/GIF/WebP; JPEG may need more (EXIF before SOF).
    for chars in (4096, len(payload)):
        chunk = payload[: chars - chars % 4] if chars < len(payload) else payload
        try:
            data = base64.b64decode(chunk, validate=False)
        except (binascii.Error, ValueError):
            return None
        dims = image_dimensions(data)
        if dims is not None:
            return dims
        if chars >= len(payload):
            break
    return None


def image_dimensions_from_file(path: str | Path) -> tuple[int, int] | None:
    """(width, height) of an image file, reading only as much as the header needs."""
    with open(path, "rb") as handle:
        head = handle.read(65536)
        dims = image_dimensions(head)
        if dims is None and head[:2] == b"\xff\xd8":
            dims = image_dimensions(head + handle.read())
    return dims
