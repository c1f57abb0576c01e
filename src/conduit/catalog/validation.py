"""Check a request's parameters against the model's rules before anything is sent.

OpenAI rejects these requests with a 400 after a network round trip (and, for
a budget, after a reservation); conduit refuses them up front with a message
saying which parameter breaks which rule and how to fix it. The rules are the
catalog's data (:class:`conduit.catalog.spec.ParameterRules`); this module
only reads them. Unknown models pass: the catalog cannot judge them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from conduit.catalog.lookup import lookup_model
from conduit.catalog.spec import ModelSpec
from conduit.errors import ValidationError

__all__ = ["RuleViolation", "request_violations", "check_request"]

# gpt-image-2+ custom sizes (SDK images.generate docs): multiples of 16, aspect 1:3..3:1, up to 3840x2160
_MAX_EDGE = 3840
_MAX_PIXELS = 3840 * 2160


@dataclass(frozen=True, slots=True)
class RuleViolation:
    """One broken rule: the parameter, what is wrong, and how to fix it."""

    param: str
    message: str
    hint: str


def _chat_violations(spec: ModelSpec, body: Mapping[str, Any], endpoint: str) -> list[RuleViolation]:
    rules, found = spec.rules, []
    name = spec.name
    if endpoint == "chat.completions" and rules.token_limit_param == "max_completion_tokens" and (
        body.get("max_tokens") is not None
    ):
        found.append(RuleViolation("max_tokens", f"{name} does not accept max_tokens.",
                                   "Use max_completion_tokens (it includes reasoning tokens)."))
    limit = body.get("max_output_tokens") if endpoint == "responses" else (
        body.get("max_completion_tokens") or body.get("max_tokens"))
    if isinstance(limit, int) and spec.max_output_tokens is not None and limit > spec.max_output_tokens:
        found.append(RuleViolation("max_tokens", f"{name} can generate at most {spec.max_output_tokens:,} tokens; "
                                   f"{limit:,} were requested.", f"Request {spec.max_output_tokens:,} or fewer."))
    temperature = body.get("temperature")
    if not rules.supports_temperature and temperature is not None and temperature != 1:
        found.append(RuleViolation("temperature", f"{name} is a reasoning model and does not accept temperature.",
                                   "Remove temperature (and top_p); steer with reasoning_effort instead."))
    effort = body.get("reasoning_effort")
    reasoning = body.get("reasoning")
    if effort is None and isinstance(reasoning, Mapping):
        effort = reasoning.get("effort")
    if effort is not None:
        if not spec.features.reasoning:
            found.append(RuleViolation("reasoning_effort", f"{name} is not a reasoning model.",
                                       "Remove reasoning_effort, or use a reasoning model (o-series, gpt-5+)."))
        elif rules.reasoning_efforts and effort not in rules.reasoning_efforts:
            found.append(RuleViolation("reasoning_effort", f"{name} does not support reasoning_effort={effort!r}.",
                                       f"Use one of: {', '.join(rules.reasoning_efforts)}."))
    if body.get("tools") and not spec.features.tools:
        found.append(RuleViolation("tools", f"{name} does not support tools.", "Use a model with tool calling."))
    if not spec.features.vision and _has_image_input(body):
        found.append(RuleViolation("messages", f"{name} does not accept image input.",
                                   "Use a vision model (gpt-4o, gpt-4.1, gpt-5+) or remove the image."))
    return found


def _has_image_input(body: Mapping[str, Any]) -> bool:
    items = body.get("messages") or body.get("input") or []
    if not isinstance(items, list):
        return False
    for item in items:
        content = item.get("content") if isinstance(item, Mapping) else None
        if isinstance(content, list):
            for part in content:
                if isinstance(part, Mapping) and part.get("type") in ("image_url", "input_image"):
                    return True
    return False


def _image_violations(spec: ModelSpec, body: Mapping[str, Any]) -> list[RuleViolation]:
    rules, found, name = spec.rules, [], spec.name
    n = body.get("n")
    if isinstance(n, int) and rules.image_max_n is not None and not 1 <= n <= rules.image_max_n:
        hint = "dall-e-3 makes one image per request: send n parallel requests." if rules.image_max_n == 1 else (
            f"Use n between 1 and {rules.image_max_n}.")
        found.append(RuleViolation("n", f"{name} cannot make n={n} images per request.", hint))
    size = body.get("size")
    if size is not None and rules.image_sizes and size not in rules.image_sizes:
        problem = _custom_size_problem(str(size)) if rules.image_custom_sizes else "not supported"
        if problem:
            found.append(RuleViolation("size", f"{name} does not support size {size!r} ({problem}).",
                                       f"Use one of: {', '.join(rules.image_sizes)}"
                                       + (" or WIDTHxHEIGHT in multiples of 16, aspect 1:3 to 3:1, up to 3840x2160."
                                          if rules.image_custom_sizes else ".")))
    quality = body.get("quality")
    if quality is not None and rules.image_qualities and quality not in rules.image_qualities:
        found.append(RuleViolation("quality", f"{name} does not support quality {quality!r}.",
                                   f"Use one of: {', '.join(rules.image_qualities)}."))
    style = body.get("style")
    if style is not None and style not in rules.image_styles:
        found.append(RuleViolation("style", f"{name} does not take a style parameter" if not rules.image_styles
                                   else f"{name} does not support style {style!r}.",
                                   "Describe the style in the prompt." if not rules.image_styles
                                   else f"Use one of: {', '.join(rules.image_styles)}."))
    prompt = body.get("prompt")
    if isinstance(prompt, str) and rules.max_input_chars is not None and len(prompt) > rules.max_input_chars:
        found.append(RuleViolation("prompt", f"{name} prompts are limited to {rules.max_input_chars:,} characters "
                                   f"({len(prompt):,} given).", "Shorten the prompt."))
    output_format = body.get("output_format")
    if output_format is not None and rules.image_output_formats and output_format not in rules.image_output_formats:
        found.append(RuleViolation("output_format", f"{name} does not output {output_format!r}.",
                                   f"Use one of: {', '.join(rules.image_output_formats)}."))
    return found


def _custom_size_problem(size: str) -> str | None:
    try:
        width, height = (int(part) for part in size.lower().split("x", 1))
    except ValueError:
        return "not WIDTHxHEIGHT"
    if width <= 0 or height <= 0:
        return "dimensions must be positive"
    if width % 16 or height % 16:
        return "width and height must be multiples of 16"
    if max(width, height) > 3 * min(width, height):
        return "aspect ratio must be between 1:3 and 3:1"
    if max(width, height) > _MAX_EDGE or width * height > _MAX_PIXELS:
        return "larger than 3840x2160"
    return None


def _speech_violations(spec: ModelSpec, body: Mapping[str, Any]) -> list[RuleViolation]:
    rules, found, name = spec.rules, [], spec.name
    text = body.get("input")
    if isinstance(text, str) and rules.max_input_chars is not None and len(text) > rules.max_input_chars:
        found.append(RuleViolation("input", f"Speech input is limited to {rules.max_input_chars:,} characters "
                                   f"({len(text):,} given).", "Split the text and synthesise it in parts."))
    voice = body.get("voice")
    if isinstance(voice, str) and rules.voices and voice not in rules.voices:
        found.append(RuleViolation("voice", f"{name} has no voice {voice!r}.", f"Use one of: {', '.join(rules.voices)}."))
    if body.get("instructions") and not rules.supports_instructions:
        found.append(RuleViolation("instructions", f"{name} does not accept instructions.",
                                   "Remove instructions, or use gpt-4o-mini-tts."))
    fmt = body.get("response_format")
    if fmt is not None and rules.speech_formats and fmt not in rules.speech_formats:
        found.append(RuleViolation("response_format", f"{name} cannot produce {fmt!r} audio.",
                                   f"Use one of: {', '.join(rules.speech_formats)}."))
    return found


def _transcription_violations(spec: ModelSpec, body: Mapping[str, Any]) -> list[RuleViolation]:
    rules, found, name = spec.rules, [], spec.name
    size = body.get("file_size")
    if isinstance(size, int) and rules.max_file_bytes is not None and size > rules.max_file_bytes:
        found.append(RuleViolation("file", f"Audio files are limited to {rules.max_file_bytes // (1024 * 1024)} MB "
                                   f"({size / (1024 * 1024):.1f} MB given).",
                                   "Split the audio into shorter files or compress it (e.g. mp3 at 64 kbit/s)."))
    filename = body.get("filename")
    if isinstance(filename, str) and "." in filename and rules.audio_formats:
        extension = filename.rsplit(".", 1)[1].lower()
        if extension not in rules.audio_formats:
            found.append(RuleViolation("file", f"{name} does not accept .{extension} files.",
                                       f"Convert to one of: {', '.join(rules.audio_formats)}."))
    fmt = body.get("response_format")
    if fmt is not None and rules.transcription_response_formats and fmt not in rules.transcription_response_formats:
        found.append(RuleViolation("response_format", f"{name} does not support response_format {fmt!r}.",
                                   f"Use one of: {', '.join(rules.transcription_response_formats)}."))
    return found


def _embedding_violations(spec: ModelSpec, body: Mapping[str, Any]) -> list[RuleViolation]:
    dims = body.get("dimensions")
    if dims is None:
        return []
    if spec.rules.dimensions_max is None:
        return [RuleViolation("dimensions", f"{spec.name} does not support the dimensions parameter.",
                              "Use text-embedding-3-small or -large, or remove dimensions.")]
    if isinstance(dims, int) and not 1 <= dims <= spec.rules.dimensions_max:
        return [RuleViolation("dimensions", f"{spec.name} returns at most {spec.rules.dimensions_max} dimensions.",
                              f"Use 1 to {spec.rules.dimensions_max}.")]
    return []


def request_violations(model: str, endpoint: str, body: Mapping[str, Any]) -> list[RuleViolation]:
    """Every rule ``body`` breaks for ``model`` on ``endpoint`` (empty when fine or the model is unknown).

    ``endpoint`` is one of ``chat.completions``, ``responses``, ``images.generations``,
    ``images.edits``, ``audio.speech``, ``audio.transcriptions``, ``audio.translations``,
    ``embeddings``. For transcriptions pass the multipart fields plus ``filename`` and
    ``file_size`` (bytes).
    """
    spec = lookup_model(model)
    if spec is None:
        return []
    if endpoint in ("chat.completions", "responses"):
        return _chat_violations(spec, body, endpoint)
    if endpoint.startswith("images."):
        return _image_violations(spec, body)
    if endpoint == "audio.speech":
        return _speech_violations(spec, body)
    if endpoint in ("audio.transcriptions", "audio.translations"):
        return _transcription_violations(spec, body)
    if endpoint == "embeddings":
        return _embedding_violations(spec, body)
    return []


def check_request(model: str, endpoint: str, body: Mapping[str, Any]) -> None:
    """Raise :class:`ValidationError` naming every broken rule (nothing has been sent or spent)."""
    violations = request_violations(model, endpoint, body)
    if not violations:
        return
    message = "; ".join(f"{v.param}: {v.message}" for v in violations)
    hint = " ".join(v.hint for v in violations)
    raise ValidationError(f"Request for {model} breaks the model's rules — {message}", hint)
