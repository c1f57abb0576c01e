"""POST /v1/images/generations and /v1/images/edits, per model family.

Validation follows each family's published limits (sizes, qualities, styles,
``n``, formats, prompt length); images are real files of the requested size
(:mod:`conduit.sandbox.media.images`). GPT image models always answer
``b64_json`` with token ``usage``; the retired DALL·E models (served only when
the sandbox's date precedes their shutdown) answer ``url`` by default, with a
``revised_prompt`` for dall-e-3. URLs point back at the sandbox
(``/_sandbox/files/...``), so they really download.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator

from starlette.responses import JSONResponse, Response

from conduit.sandbox import models as _models
from conduit.sandbox.content import digest, make_id
from conduit.sandbox.counting import count_text
from conduit.sandbox.errors import APIError, invalid, missing
from conduit.sandbox.http import Call, Upload, sse_event, sse_response
from conduit.sandbox.media import images as _images
from conduit.sandbox.validate import check_enum, check_params, check_range, check_string_length

PARAMS = {
    "prompt": "string",
    "model": "string",
    "n": "integer",
    "size": "string",
    "quality": "string",
    "style": "string",
    "response_format": "string",
    "background": "string",
    "moderation": "string",
    "output_format": "string",
    "output_compression": "integer",
    "partial_images": "integer",
    "stream": "boolean",
    "user": "string",
    "safety_identifier": "string",
    "complexity": "string",
    "frame_count": "integer",
    "frame_duration_ms": "integer",
    "svg": "object",
    "input_fidelity": "string",
}
_STANDARD_SIZES = ("1024x1024", "1536x1024", "1024x1536")
# low / medium / high output tokens per image (OpenAI's gpt-image cost table)
_OUTPUT_TOKENS = {
    "1024x1024": {"low": 272, "medium": 1056, "high": 4160},
    "1024x1536": {"low": 408, "medium": 1584, "high": 6240},
    "1536x1024": {"low": 400, "medium": 1568, "high": 6208},
}
_QUALITY_SCALE = {"xhigh": 1.5, "max": 2.0}
MAX_EDIT_IMAGE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Family:
    """One image model family's accepted values."""

    name: str
    sizes: tuple[str, ...]
    qualities: tuple[str, ...]
    formats: tuple[str, ...]
    max_n: int
    max_prompt: int
    arbitrary_sizes: bool = False
    styles: tuple[str, ...] = ()
    response_formats: tuple[str, ...] = ()

    @property
    def gpt_image(self) -> bool:
        return not self.name.startswith("dall-e")


def family_for(info: _models.ModelInfo) -> Family:
    name = info.family_id
    if name == "dall-e-2":
        return Family(name, ("256x256", "512x512", "1024x1024"), ("standard", "auto"), ("png",), 10, 1000, response_formats=("url", "b64_json"))
    if name == "dall-e-3":
        return Family(name, ("1024x1024", "1792x1024", "1024x1792"), ("standard", "hd", "auto"), ("png",), 1, 4000, styles=("vivid", "natural"), response_formats=("url", "b64_json"))
    if name.startswith(("gpt-image-2.5", "gpt-image-2.6")):
        return Family(name, _STANDARD_SIZES + ("auto",), ("low", "medium", "high", "xhigh", "max", "auto"), ("png", "jpeg", "webp", "gif", "svg"), 10, 32000, arbitrary_sizes=True)
    if name.startswith("gpt-image-2"):
        return Family(name, _STANDARD_SIZES + ("auto",), ("low", "medium", "high", "auto"), ("png", "jpeg", "webp", "gif", "svg"), 10, 32000, arbitrary_sizes=True)
    return Family(name, _STANDARD_SIZES + ("auto",), ("low", "medium", "high", "auto"), ("png", "jpeg", "webp"), 10, 32000)


async def generate(call: Call) -> Response:
    body = call.body
    check_params(body, PARAMS)
    prompt = body.get("prompt")
    if prompt is None:
        raise missing("prompt")
    info = call.resolve_model((_models.IMAGE,), endpoint="v1/images/generations")
    return _respond(call, info, prompt, input_image_tokens=0)


async def edit(call: Call) -> Response:
    body = call.body
    unknown = set(body) - set(PARAMS) - {"image", "mask"}
    if unknown:
        raise invalid(f"Unrecognized request argument supplied: {sorted(unknown)[0]}")
    for name in ("n", "output_compression", "partial_images"):
        if name in body:
            try:
                body[name] = int(body[name])
            except (TypeError, ValueError):
                raise invalid(f"Invalid type for '{name}': expected an integer, but got a string instead.", name, "invalid_type")
    prompt = body.get("prompt")
    if prompt is None:
        raise missing("prompt")
    info = call.resolve_model((_models.IMAGE,), endpoint="v1/images/edits")
    images = [upload for key, upload in call.uploads if key == "image"]
    if not images:
        raise missing("image")
    family = family_for(info)
    tokens = 0
    first_size: tuple[int, int] | None = None
    for upload in images:
        size = _check_input_image(upload, family)
        first_size = first_size or size
        tokens += _image_tokens(size, info.family_id)
    mask = call.files.get("mask")
    if mask is not None:
        mask_size = _check_input_image(mask, family)
        if not mask.data.startswith(b"\x89PNG"):
            raise invalid("Invalid mask: the mask must be a PNG image with an alpha channel.", "mask", "invalid_image_format")
        if mask_size != first_size:
            raise invalid("Invalid mask: the mask and the image must have the same dimensions.", "mask", "invalid_mask_size")
    return _respond(call, info, prompt, input_image_tokens=tokens if family.gpt_image else 0)


def _respond(call: Call, info: _models.ModelInfo, prompt: Any, *, input_image_tokens: int) -> Response:
    body = call.body
    family = family_for(info)
    model: str = body["model"]
    if not isinstance(prompt, str):
        raise invalid(f"Invalid type for 'prompt': expected a string.", "prompt", "invalid_type")
    if not prompt.strip():
        raise invalid("Invalid 'prompt': empty string. Expected a string with minimum length 1.", "prompt", "empty_string")
    check_string_length(prompt, "prompt", family.max_prompt)
    n = body.get("n") or 1
    check_range(n, "n", minimum=1, maximum=10, integer=True)
    if n > family.max_n:
        raise invalid(f"Invalid 'n': {model} supports at most n={family.max_n}.", "n", "invalid_value")
    width, height, size_name = _size(body.get("size"), family)
    quality = body.get("quality") or "auto"
    check_enum(quality, "quality", family.qualities)
    _only_for(body, "style", family.styles, model)
    _only_for(body, "response_format", family.response_formats, model)
    if family.gpt_image:
        check_enum(body.get("background"), "background", ("transparent", "opaque", "auto"))
        check_enum(body.get("moderation"), "moderation", ("low", "auto"))
        output_format = body.get("output_format") or "png"
        check_enum(output_format, "output_format", family.formats)
        compression = body.get("output_compression")
        check_range(compression, "output_compression", minimum=0, maximum=100, integer=True)
        if compression is not None and output_format not in ("jpeg", "webp"):
            raise invalid("output_compression is only supported for the jpeg and webp output formats.", "output_compression", "unsupported_parameter")
        if body.get("background") == "transparent" and output_format not in ("png", "webp"):
            raise invalid("Transparent background requires output_format png or webp.", "background", "unsupported_value")
        if output_format == "svg" and n != 1:
            raise invalid("SVG output requires n=1.", "n", "invalid_value")
        partial = body.get("partial_images")
        check_range(partial, "partial_images", minimum=0, maximum=3, integer=True)
        if partial is not None and not body.get("stream"):
            raise invalid("partial_images is only supported when stream is true.", "partial_images", "unsupported_parameter")
        if body.get("stream") and output_format in ("gif", "svg"):
            raise invalid(f"Streaming is not supported with output_format '{output_format}'.", "stream", "unsupported_value")
    else:
        for name in ("background", "moderation", "output_format", "output_compression", "partial_images"):
            if body.get(name) is not None:
                raise invalid(f"Unknown parameter: '{name}'.", name, "unknown_parameter")
        output_format = "png"

    created = int(time.time())
    data = []
    for index in range(n):
        seed = digest(model, prompt, index)
        image = _images.encode(output_format, width, height, seed, transparent=body.get("background") == "transparent")
        item: dict[str, Any] = {}
        if family.gpt_image or body.get("response_format") == "b64_json":
            item["b64_json"] = base64.b64encode(image).decode()
        else:
            name = make_id("img-", call.request_id, index, length=24) + ".png"
            call.state.store_file(name, image, "image/png")
            item["url"] = f"{str(call.request.base_url).rstrip('/')}/_sandbox/files/{name}"
        if family.name == "dall-e-3":
            item["revised_prompt"] = f"{prompt.strip()} (as simulated by the conduit sandbox)"
        data.append(item)
    payload: dict[str, Any] = {"created": created, "data": data}
    if family.gpt_image:
        resolved_quality = "medium" if quality == "auto" else quality
        text_tokens = count_text(prompt, "gpt-4o")
        partials = int(body.get("partial_images") or 0) if body.get("stream") else 0
        # each partial image is billed as 100 extra output image tokens
        output_tokens = n * (_output_tokens(width, height, resolved_quality) + 100 * partials)
        payload.update(
            {
                "background": "transparent" if body.get("background") == "transparent" else "opaque",
                "output_format": output_format,
                "quality": resolved_quality,
                "size": size_name,
                "usage": {
                    "input_tokens": text_tokens + input_image_tokens,
                    "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": input_image_tokens},
                    "output_tokens": output_tokens,
                    "output_tokens_details": {"image_tokens": output_tokens, "text_tokens": 0},
                    "total_tokens": text_tokens + input_image_tokens + output_tokens,
                },
            }
        )
        if body.get("stream"):
            prefix = "image_edit" if call.path.endswith("/edits") else "image_generation"
            seeds = [digest(model, prompt, index) for index in range(n)]
            return sse_response(_stream(prefix, payload, seeds, partials, width, height, created))
    return JSONResponse(payload)


async def _stream(
    prefix: str, payload: dict[str, Any], seeds: list[str], partials: int, width: int, height: int, created: int
) -> AsyncIterator[bytes]:
    """``{prefix}.partial_image`` events (earlier renders of the same picture), then ``{prefix}.completed``."""
    common = {
        "background": payload["background"],
        "created_at": created,
        "output_format": payload["output_format"],
        "quality": payload["quality"],
        "size": payload["size"],
    }
    for item, seed in zip(payload["data"], seeds):
        for index in range(partials):
            draft = _images.encode(payload["output_format"], width, height, f"{seed}:partial:{index}")
            yield sse_event(
                f"{prefix}.partial_image",
                {"type": f"{prefix}.partial_image", "b64_json": base64.b64encode(draft).decode(), "partial_image_index": index, **common},
            )
        yield sse_event(
            f"{prefix}.completed",
            {"type": f"{prefix}.completed", "b64_json": item["b64_json"], "usage": payload["usage"], **common},
        )


def _only_for(body: dict[str, Any], name: str, allowed: tuple[str, ...], model: str) -> None:
    value = body.get(name)
    if value is None:
        return
    if not allowed:
        raise invalid(f"Unknown parameter: '{name}'. It is not supported for {model}.", name, "unknown_parameter")
    check_enum(value, name, allowed)


def _size(value: Any, family: Family) -> tuple[int, int, str]:
    size = value or ("auto" if family.gpt_image else "1024x1024")
    if size == "auto":
        if "auto" not in family.sizes:
            raise _bad_size(size, family)
        return 1024, 1024, "1024x1024"
    if size in family.sizes:
        width, height = (int(part) for part in size.split("x"))
        return width, height, size
    if family.arbitrary_sizes and isinstance(size, str):
        parts = size.split("x")
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            width, height = int(parts[0]), int(parts[1])
            ok = (
                width % 16 == 0
                and height % 16 == 0
                and min(width, height) >= 256
                and max(width, height) <= 3840
                and width * height <= 3840 * 2160
                and 1 / 3 <= width / height <= 3
            )
            if ok:
                return width, height, size
            raise invalid(
                f"Invalid size '{size}'. Width and height must be divisible by 16, at least 256, with an aspect ratio "
                "between 1:3 and 3:1 and at most 3840x2160.",
                "size",
                "invalid_value",
            )
    raise _bad_size(size, family)


def _bad_size(size: Any, family: Family) -> APIError:
    allowed = ", ".join(f"'{s}'" for s in family.sizes)
    return invalid(f"Invalid value: '{size}'. Supported values are: {allowed}.", "size", "invalid_value")


def _output_tokens(width: int, height: int, quality: str) -> int:
    scale = _QUALITY_SCALE.get(quality, 1.0)
    base_quality = "high" if quality in _QUALITY_SCALE else quality
    key = f"{width}x{height}"
    if key in _OUTPUT_TOKENS:
        return int(_OUTPUT_TOKENS[key][base_quality] * scale)
    return int(round(_OUTPUT_TOKENS["1024x1024"][base_quality] * width * height / (1024 * 1024) * scale))


def _check_input_image(upload: Upload, family: Family) -> tuple[int, int]:
    from conduit.tokens.images import image_dimensions

    limit = MAX_EDIT_IMAGE_BYTES if family.gpt_image else 4 * 1024 * 1024
    if len(upload.data) > limit:
        raise invalid(f"Invalid image: files must be under {limit // (1024 * 1024)} MB.", "image", "image_too_large")
    allowed = (b"\x89PNG", b"\xff\xd8", b"RIFF") if family.gpt_image else (b"\x89PNG",)
    if not upload.data.startswith(allowed) or (upload.data.startswith(b"RIFF") and upload.data[8:12] != b"WEBP"):
        raise invalid(
            "Invalid input image - format must be in ['image/jpeg', 'image/png', 'image/webp'], got "
            f"{upload.content_type or 'unknown'}.",
            "image",
            "invalid_image_format",
        )
    size = image_dimensions(upload.data)
    if size is None:
        raise invalid("Invalid image: the file could not be read.", "image", "invalid_image")
    if family.name == "dall-e-2" and size[0] != size[1]:
        raise invalid("Invalid image: dall-e-2 edits need a square image.", "image", "invalid_image")
    return size


def _image_tokens(size: tuple[int, int], model: str) -> int:
    from conduit.tokens import image_input_tokens

    return int(image_input_tokens(size[0], size[1], "high", model=model))


