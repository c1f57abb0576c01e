"""Meters for ``POST /images/generations`` (JSON) and ``/images/edits`` / ``/images/variations`` (multipart).

Two billing schemes share these endpoints: DALL·E charges per image by size
and quality (no ``usage`` in the response); GPT image models charge prompt
tokens, input-image tokens and output image tokens, reported in ``usage``.
The estimate prices the worst case before the call -- ``n`` images at the
requested size and quality, ``auto`` counted as the largest and highest --
and the read replaces it with the response's own numbers.

Validation refuses what the API would refuse (with the allowed values named)
and what would silently waste money: parameters of the other family,
unreadable or oversized input images, masks that do not match.
"""

from __future__ import annotations

import json
from typing import Any

from conduit.errors import ValidationError
from conduit.meter.base import Estimate, Payload
from conduit.meter.multipart import MultipartForm, form_of
from conduit.meter.pricing import estimate_from_usage
from conduit.usage import Usage

__all__ = ["ImagesMeter", "ImageStreamMeter", "image_body", "usage_from_images_response"]

_GPT_ONLY = ("background", "output_format", "output_compression", "moderation", "partial_images", "stream", "input_fidelity")
_INT_FIELDS = ("n", "output_compression", "partial_images")
_GPT_EDIT_LIMIT = 50 * 1024 * 1024
_DALLE_EDIT_LIMIT = 4 * 1024 * 1024
# DALL·E -> GPT image equivalents, for models substituted by the lifecycle policy
_SIZE_MAP = {"1792x1024": "1536x1024", "1024x1792": "1024x1536", "256x256": "1024x1024", "512x512": "1024x1024"}
_QUALITY_MAP = {"hd": "high", "standard": "medium"}


def _family(model: str) -> str:
    from conduit.catalog import resolve_family

    return resolve_family(model) or model


def _is_dalle(model: str) -> bool:
    return _family(model).startswith("dall-e")


def _multipart_body(form: MultipartForm) -> dict[str, Any]:
    body: dict[str, Any] = dict(form.fields)
    for name in _INT_FIELDS:
        value = body.get(name)
        if isinstance(value, str):
            try:
                body[name] = int(value)
            except ValueError as exc:
                raise ValidationError(f"{name} must be an integer, got {value!r}.", f"Pass {name} as a whole number.") from exc
    if isinstance(body.get("stream"), str):
        body["stream"] = body["stream"].lower() == "true"
    return body


def image_body(payload: Payload) -> dict[str, Any]:
    """The request's parameters, whether sent as JSON or multipart form fields."""
    if payload.json is not None:
        return payload.json
    if payload.content_type.startswith("multipart/"):
        return _multipart_body(form_of(payload))
    return {}


def usage_from_images_response(data: dict[str, Any], body: dict[str, Any], model: str | None) -> Usage:
    """Usage of an images response: tokens for GPT image models, images x size x quality for DALL·E."""
    images = len(data.get("data") or [])
    size = data.get("size") or body.get("size")
    quality = data.get("quality") or body.get("quality")
    usage = data.get("usage")
    if isinstance(usage, dict) and (usage.get("output_tokens") or usage.get("input_tokens")):
        details_in = usage.get("input_tokens_details") or {}
        details_out = usage.get("output_tokens_details") or {}
        output = int(usage.get("output_tokens") or 0)
        return Usage(
            input_tokens=int(usage.get("input_tokens") or 0),
            image_input_tokens=int(details_in.get("image_tokens") or 0),
            output_tokens=output,
            image_output_tokens=int(details_out.get("image_tokens", output) or 0),
            images=images,
            image_size=size,
            image_quality=quality,
        )
    if model and _is_dalle(model):
        return Usage(images=images, image_size=size or "1024x1024", image_quality=quality or "standard")
    # a GPT image model without usage: let the catalog estimate the image tokens
    return Usage(images=images, image_size=size or "auto", image_quality=quality or "auto")


class ImagesMeter:
    """One image endpoint: ``images.generations``, ``images.edits`` or ``images.variations``."""

    def __init__(self, endpoint: str = "images.generations") -> None:
        self.endpoint = endpoint

    # -- the protocol -----------------------------------------------------------------------
    def model_of(self, payload: Payload) -> str | None:
        try:
            model = image_body(payload).get("model")
        except ValidationError:
            return None
        return model if isinstance(model, str) else None

    def validate(self, payload: Payload) -> None:
        body = image_body(payload)
        model = body.get("model")
        if not isinstance(model, str) or not model.strip():
            from conduit.media.billing import current_models

            raise ValidationError(
                "The image request names no model.",
                "Pass model=..., one of: " + ", ".join(current_models("image")) + ".",
            )
        if self.endpoint != "images.variations":
            prompt = body.get("prompt")
            if not isinstance(prompt, str) or not prompt.strip():
                raise ValidationError("The image request has no prompt.", "Describe the image in prompt=....")
        n = body.get("n")
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
            raise ValidationError(f"n must be a positive integer, got {n!r}.", "Ask for 1 to 10 images.")
        self._check_family_params(model, body)
        from conduit.catalog import check_request

        check_request(model, self.endpoint, body)
        if payload.content_type.startswith("multipart/"):
            self._check_uploads(model, form_of(payload))
        else:
            self._translate_for_substitution(payload, model)

    def prepare(self, payload: Payload) -> None:
        return None

    def _translate_for_substitution(self, payload: Payload, model: str) -> None:
        """Rewrite DALL·E parameters for the GPT image successor when the lifecycle stage will substitute it.

        Runs at the end of *validate* (after the request was checked against the
        DALL·E model it names), because the stages after it -- the lifecycle
        substitution and the catalog's parameter check -- see the successor:
        ``hd`` becomes ``high``, 1792x1024 becomes 1536x1024, the style moves into
        the prompt and ``response_format`` goes (GPT image models answer base64).
        """
        from conduit.catalog import current_successor, lookup_model
        from conduit.catalog.lifecycle import retired_policy

        body = payload.json
        spec = lookup_model(model)
        if body is None or spec is None or not _is_dalle(model) or spec.status() != "retired":
            return
        successor = current_successor(model)
        if successor is None or _is_dalle(successor) or retired_policy() != "substitute":
            return
        new = dict(body)
        if new.get("size") in _SIZE_MAP:
            new["size"] = _SIZE_MAP[new["size"]]
        if new.get("quality") in _QUALITY_MAP:
            new["quality"] = _QUALITY_MAP[new["quality"]]
        style = new.pop("style", None)
        if style and isinstance(new.get("prompt"), str):
            new["prompt"] = f"{new['prompt']} (style: {style})"
        new.pop("response_format", None)
        if new != body:
            payload.set_json(new)
            payload.flags.add("translated_dalle_params")

    def estimate(self, payload: Payload, model: str | None) -> Estimate:
        body = image_body(payload)
        model = model or str(body.get("model") or "")
        n = int(body.get("n") or 1)
        size = body.get("size")
        quality = body.get("quality")
        if _is_dalle(model):
            usage = Usage(images=n, image_size=size or "1024x1024", image_quality=quality or "standard")
            return estimate_from_usage(model, usage)
        from conduit.tokens import count_tokens

        prompt = body.get("prompt")
        text_tokens = count_tokens(prompt, model) if isinstance(prompt, str) and prompt else 0
        image_tokens = self._input_image_tokens(payload, model)
        usage = Usage(
            input_tokens=text_tokens + image_tokens,
            image_input_tokens=image_tokens,
            images=n,
            image_size=size or "auto",
            image_quality=quality or "auto",
        )
        return estimate_from_usage(model, usage)

    def read(self, payload: Payload, status: int, headers: Any, content: bytes) -> tuple[Usage, str | None]:
        try:
            data = json.loads(content)
        except ValueError:
            return Usage(), None
        if not isinstance(data, dict):
            return Usage(), None
        body = image_body(payload)
        model = self.model_of(payload)
        return usage_from_images_response(data, body, model), data.get("model") or model

    def stream_meter(self, payload: Payload, estimate: Estimate | None = None) -> "ImageStreamMeter":
        return ImageStreamMeter(self.model_of(payload), image_body(payload), estimate)

    # -- helpers -------------------------------------------------------------------------------
    def _check_family_params(self, model: str, body: dict[str, Any]) -> None:
        from conduit.catalog import lookup_model

        spec = lookup_model(model)
        if spec is None:
            return
        if spec.kind != "image":
            raise ValidationError(
                f"{model} is not an image model.",
                "Use one of: " + ", ".join(_current_image_models()) + ".",
            )
        dalle = _is_dalle(model)
        if dalle:
            extra = [name for name in _GPT_ONLY if body.get(name) is not None]
            if extra:
                raise ValidationError(
                    f"{model} does not take {', '.join(extra)} (GPT image model parameters).",
                    "Remove them, or use a GPT image model (" + ", ".join(_current_image_models()) + ").",
                )
            fmt = body.get("response_format")
            if fmt is not None and fmt not in ("url", "b64_json"):
                raise ValidationError(f"response_format {fmt!r} is not valid.", "Use 'url' or 'b64_json'.")
            if self.endpoint == "images.edits" and _family(model) == "dall-e-3":
                raise ValidationError("dall-e-3 cannot edit images.", "Use a GPT image model for edits.")
            return
        if body.get("response_format") is not None:
            raise ValidationError(
                f"{model} does not take response_format: GPT image models always return base64 (b64_json).",
                "Remove response_format and read data[i].b64_json.",
            )
        background = body.get("background")
        if background is not None and background not in ("transparent", "opaque", "auto"):
            raise ValidationError(f"background {background!r} is not valid.", "Use one of: transparent, opaque, auto.")
        output_format = body.get("output_format") or "png"
        if background == "transparent" and output_format not in ("png", "webp"):
            raise ValidationError("A transparent background needs output_format png or webp.",
                                  f"Use output_format='png' or 'webp' (got {output_format!r}).")
        compression = body.get("output_compression")
        if compression is not None:
            if not isinstance(compression, int) or not 0 <= compression <= 100:
                raise ValidationError(f"output_compression must be 0-100, got {compression!r}.", "Use 0 to 100.")
            if output_format not in ("jpeg", "webp"):
                raise ValidationError("output_compression applies only to jpeg and webp output.",
                                      "Set output_format='jpeg' or 'webp', or remove output_compression.")
        moderation = body.get("moderation")
        if moderation is not None and moderation not in ("low", "auto"):
            raise ValidationError(f"moderation {moderation!r} is not valid.", "Use 'low' or 'auto'.")
        partial = body.get("partial_images")
        if partial is not None and (not isinstance(partial, int) or not 0 <= partial <= 3):
            raise ValidationError(f"partial_images must be 0-3, got {partial!r}.", "Use 0 to 3 (with stream=True).")

    def _check_uploads(self, model: str, form: MultipartForm) -> None:
        from conduit.tokens import image_dimensions

        images = form.files_named("image")
        if not images:
            raise ValidationError("The image edit has no image file.", "Pass image=open('picture.png', 'rb').")
        dalle = _is_dalle(model)
        limit = _DALLE_EDIT_LIMIT if dalle else _GPT_EDIT_LIMIT
        allowed = ("png",) if dalle else ("png", "jpeg", "webp")
        first_size: tuple[int, int] | None = None
        for part in images:
            kind = _image_kind(part.data)
            if kind not in allowed:
                raise ValidationError(
                    f"{part.filename or 'The image'} is not a {' / '.join(allowed).upper()} image"
                    + (f" (it looks like {kind})." if kind else "."),
                    f"{model} edits accept: {', '.join(allowed)}.",
                )
            if len(part.data) > limit:
                raise ValidationError(
                    f"{part.filename or 'The image'} is {len(part.data) / 1048576:.1f} MB; {model} accepts at most "
                    f"{limit // 1048576} MB per image.",
                    "Downscale or compress the image.",
                )
            size = image_dimensions(part.data)
            if size is None:
                raise ValidationError(f"{part.filename or 'The image'} could not be read as an image.",
                                      "Check that the file is a complete PNG, JPEG or WebP image.")
            if dalle and size[0] != size[1]:
                raise ValidationError(f"dall-e-2 edits need a square image ({size[0]}x{size[1]} given).",
                                      "Crop the image to a square.")
            first_size = first_size or size
        mask = form.file("mask")
        if mask is not None:
            if _image_kind(mask.data) != "png":
                raise ValidationError("The mask must be a PNG with an alpha channel.", "Save the mask as PNG.")
            if image_dimensions(mask.data) != first_size:
                raise ValidationError("The mask and the image must have the same dimensions.",
                                      "Resize the mask to match the first image.")

    def _input_image_tokens(self, payload: Payload, model: str) -> int:
        if not payload.content_type.startswith("multipart/"):
            return 0
        from conduit.tokens import image_dimensions, image_input_tokens, max_image_input_tokens

        total = 0
        for part in form_of(payload).files_named("image"):
            size = image_dimensions(part.data)
            total += image_input_tokens(size[0], size[1], "high", model=model) if size else max_image_input_tokens(model)
        return total


def _current_image_models() -> list[str]:
    from conduit.media.billing import current_models

    return current_models("image")


def _image_kind(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


class ImageStreamMeter:
    """Streaming image generation: usage arrives on each ``image_generation.completed`` event."""

    def __init__(self, model: str | None, body: dict[str, Any], estimate: Estimate | None) -> None:
        self.model = model
        self._body = body
        self._estimate = estimate
        self._usage: Usage | None = None
        self._completed = 0

    def feed(self, data: str) -> bool:
        try:
            event = json.loads(data)
        except ValueError:
            return True
        if not isinstance(event, dict):
            return True
        if str(event.get("type", "")).endswith(".completed"):
            self._completed += 1
            found = usage_from_images_response({"data": [{}], **event}, self._body, self.model)
            self._usage = found if self._usage is None else _add(self._usage, found)
        return True

    def usage(self, complete: bool) -> Usage:
        if self._usage is not None:
            return self._usage
        # nothing completed: a cut stream still produced partial images -- bill the estimate
        return self._estimate.usage if self._estimate is not None and not complete else Usage()


def _add(a: Usage, b: Usage) -> Usage:
    return Usage(
        input_tokens=a.input_tokens + b.input_tokens,
        image_input_tokens=a.image_input_tokens + b.image_input_tokens,
        output_tokens=a.output_tokens + b.output_tokens,
        image_output_tokens=a.image_output_tokens + b.image_output_tokens,
        images=a.images + b.images,
        image_size=a.image_size or b.image_size,
        image_quality=a.image_quality or b.image_quality,
    )
