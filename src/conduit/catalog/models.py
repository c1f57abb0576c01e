"""The model table: every model the manual names and today's models.

Sources (read 2026-11-26):
- the installed ``openai`` SDK's model literals and their "Deprecated values"
  notes (``openai/types/shared/chat_model.py``, ``responses_model.py``,
  ``image_model.py``, ``audio_model.py``, ``audio/speech_model.py``,
  ``embedding_model.py``, ``moderation_model.py``), which give shutdown dates;
- OpenAI's deprecations page (https://developers.openai.com/api/docs/deprecations),
  which gives recommended replacements (``_DEPRECATIONS`` cites the row);
- OpenAI's model pages for context windows and max output tokens of the
  models published before 2026; for newer families ``genai-prices`` supplies
  the context window (see :func:`conduit.catalog.lookup._genai_context_window`)
  and the max output is the family's published value where known, else the
  gpt-5 generation's 128K (marked in ``description``).

Where OpenAI named no replacement, the successor is conduit's choice (the
current model of the same tier) and the lifecycle ``source`` says so.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import replace

from conduit.catalog.spec import Features, Lifecycle, ModelSpec, ParameterRules

__all__ = ["MODELS", "ALIASES", "LIFECYCLES"]

_SDK = "openai SDK 3.57 model literals ('Deprecated values')"
_DEPR = "https://developers.openai.com/api/docs/deprecations"
_OURS = "shutdown date: openai SDK 3.57; successor: conduit's choice (OpenAI named none)"

_O_EFFORTS = ("low", "medium", "high")
_GPT5_EFFORTS = ("minimal", "low", "medium", "high")
_GPT51_EFFORTS = ("none", "low", "medium", "high")
_GPT52_EFFORTS = ("none", "low", "medium", "high", "xhigh")
_GPT6_EFFORTS = ("none", "low", "medium", "high", "xhigh", "max")

_CLASSIC = ParameterRules()  # max_tokens, temperature ok


def _reasoning_rules(efforts: tuple[str, ...]) -> ParameterRules:
    return ParameterRules(
        token_limit_param="max_completion_tokens", supports_temperature=False, reasoning_efforts=efforts
    )


_FULL = Features(tools=True, structured_outputs=True, vision=True, reasoning=False, streaming=True)
_REASONING = Features(tools=True, structured_outputs=True, vision=True, reasoning=True, streaming=True)
_TEXT_TOOLS = Features(tools=True, structured_outputs=False, vision=False, reasoning=False, streaming=True)


def _chat(
    name: str,
    context: int | None,
    max_output: int | None,
    features: Features = _FULL,
    rules: ParameterRules = _CLASSIC,
    encoding: str = "o200k_base",
    inputs: tuple[str, ...] = ("text", "image"),
    outputs: tuple[str, ...] = ("text",),
    description: str = "",
) -> ModelSpec:
    if not features.vision:
        inputs = tuple(m for m in inputs if m != "image")
    return ModelSpec(
        name=name,
        kind="chat",
        context_window=context,
        max_output_tokens=max_output,
        input_modalities=inputs,
        output_modalities=outputs,
        features=features,
        encoding=encoding,
        rules=rules,
        description=description,
    )


_ASSUMED_OUT = "max output assumed from the gpt-5 generation (128K); OpenAI's page not bundled"

# --- chat / responses models ------------------------------------------------------------------
_CHAT: list[ModelSpec] = [
    # gpt-3.5 / gpt-4 generation (cl100k_base)
    _chat("gpt-3.5-turbo", 16385, 4096, _TEXT_TOOLS, encoding="cl100k_base", inputs=("text",)),
    _chat("gpt-3.5-turbo-16k", 16385, 4096, _TEXT_TOOLS, encoding="cl100k_base", inputs=("text",)),
    _chat("gpt-3.5-turbo-instruct", 4096, 4096, Features(streaming=True), encoding="cl100k_base", inputs=("text",)),
    _chat("gpt-4", 8192, 8192, _TEXT_TOOLS, encoding="cl100k_base", inputs=("text",)),
    _chat("gpt-4-32k", 32768, 32768, _TEXT_TOOLS, encoding="cl100k_base", inputs=("text",)),
    _chat("gpt-4-turbo", 128000, 4096, Features(tools=True, vision=True, streaming=True), encoding="cl100k_base"),
    _chat("gpt-4-turbo-preview", 128000, 4096, _TEXT_TOOLS, encoding="cl100k_base", inputs=("text",)),
    _chat("gpt-4-vision-preview", 128000, 4096, Features(vision=True, streaming=True), encoding="cl100k_base"),
    # gpt-4o generation
    _chat("gpt-4o", 128000, 16384),
    _chat("gpt-4o-mini", 128000, 16384),
    _chat("chatgpt-4o-latest", 128000, 16384, Features(vision=True, streaming=True)),
    _chat(
        "gpt-4o-audio-preview", 128000, 16384, _TEXT_TOOLS, inputs=("text", "audio"), outputs=("text", "audio")
    ),
    _chat(
        "gpt-4o-mini-audio-preview", 128000, 16384, _TEXT_TOOLS, inputs=("text", "audio"), outputs=("text", "audio")
    ),
    _chat("gpt-4o-search-preview", 128000, 16384, Features(structured_outputs=True, streaming=True), inputs=("text",)),
    _chat(
        "gpt-4o-mini-search-preview", 128000, 16384, Features(structured_outputs=True, streaming=True), inputs=("text",)
    ),
    _chat("gpt-4.5-preview", 128000, 16384),
    _chat("gpt-4.1", 1047576, 32768),
    _chat("gpt-4.1-mini", 1047576, 32768),
    _chat("gpt-4.1-nano", 1047576, 32768),
    _chat("gpt-audio", 128000, 16384, _TEXT_TOOLS, inputs=("text", "audio"), outputs=("text", "audio")),
    _chat("gpt-audio-mini", 128000, 16384, _TEXT_TOOLS, inputs=("text", "audio"), outputs=("text", "audio")),
    # o-series
    _chat("o1-preview", 128000, 32768, Features(reasoning=True, streaming=True), _reasoning_rules(()), inputs=("text",)),
    _chat("o1-mini", 128000, 65536, Features(reasoning=True, streaming=True), _reasoning_rules(()), inputs=("text",)),
    _chat("o1", 200000, 100000, _REASONING, _reasoning_rules(_O_EFFORTS)),
    _chat("o1-pro", 200000, 100000, replace(_REASONING, streaming=False), _reasoning_rules(_O_EFFORTS)),
    _chat(
        "o3-mini",
        200000,
        100000,
        Features(tools=True, structured_outputs=True, reasoning=True, streaming=True),
        _reasoning_rules(_O_EFFORTS),
        inputs=("text",),
    ),
    _chat("o3", 200000, 100000, _REASONING, _reasoning_rules(_O_EFFORTS)),
    _chat("o3-pro", 200000, 100000, replace(_REASONING, streaming=False), _reasoning_rules(_O_EFFORTS)),
    _chat("o4-mini", 200000, 100000, _REASONING, _reasoning_rules(_O_EFFORTS)),
    _chat("o3-deep-research", 200000, 100000, _REASONING, _reasoning_rules(("medium",))),
    _chat("o4-mini-deep-research", 200000, 100000, _REASONING, _reasoning_rules(("medium",))),
    _chat("codex-mini-latest", 200000, 100000, _REASONING, _reasoning_rules(_O_EFFORTS)),
    _chat("computer-use-preview", 8192, 1024, Features(tools=True, vision=True, reasoning=True), _reasoning_rules(())),
    # gpt-5 generation
    _chat("gpt-5", 400000, 128000, _REASONING, _reasoning_rules(_GPT5_EFFORTS)),
    _chat("gpt-5-mini", 400000, 128000, _REASONING, _reasoning_rules(_GPT5_EFFORTS)),
    _chat("gpt-5-nano", 400000, 128000, _REASONING, _reasoning_rules(_GPT5_EFFORTS)),
    _chat("gpt-5-pro", 400000, 272000, replace(_REASONING, streaming=False), _reasoning_rules(("high",))),
    _chat("gpt-5-codex", 400000, 128000, _REASONING, _reasoning_rules(_O_EFFORTS)),
    _chat("gpt-5-chat-latest", 128000, 16384, Features(vision=True, streaming=True, structured_outputs=True)),
    _chat("gpt-5.1", 400000, 128000, _REASONING, _reasoning_rules(_GPT51_EFFORTS)),
    _chat("gpt-5.1-mini", 400000, 128000, _REASONING, _reasoning_rules(_GPT51_EFFORTS),
          description="not a supported model id (SDK: retained for compatibility)"),
    _chat("gpt-5.1-codex", 400000, 128000, _REASONING, _reasoning_rules(_O_EFFORTS)),
    _chat("gpt-5.1-codex-mini", 400000, 128000, _REASONING, _reasoning_rules(_O_EFFORTS)),
    _chat("gpt-5.1-codex-max", 400000, 128000, _REASONING, _reasoning_rules(_GPT52_EFFORTS)),
    _chat("gpt-5.1-chat-latest", 128000, 16384, Features(vision=True, streaming=True, structured_outputs=True, tools=True)),
    _chat("gpt-5.2", 400000, 128000, _REASONING, _reasoning_rules(_GPT52_EFFORTS)),
    _chat("gpt-5.2-pro", 400000, 128000, replace(_REASONING, streaming=False), _reasoning_rules(("medium", "high", "xhigh"))),
    _chat("gpt-5.2-codex", 400000, 128000, _REASONING, _reasoning_rules(_GPT52_EFFORTS)),
    _chat("gpt-5.2-chat-latest", 128000, 16384, Features(vision=True, streaming=True, structured_outputs=True, tools=True)),
    _chat("gpt-5.3-chat-latest", 128000, 16384, Features(vision=True, streaming=True, structured_outputs=True, tools=True)),
    _chat("gpt-5.3-codex", 400000, 128000, _REASONING, _reasoning_rules(_GPT52_EFFORTS)),
    _chat("gpt-5.4", 1050000, 128000, _REASONING, _reasoning_rules(_GPT52_EFFORTS)),
    _chat("gpt-5.4-mini", 400000, 128000, _REASONING, _reasoning_rules(_GPT52_EFFORTS)),
    _chat("gpt-5.4-nano", 400000, 128000, _REASONING, _reasoning_rules(_GPT52_EFFORTS)),
    _chat("gpt-5.4-pro", 1050000, 128000, replace(_REASONING, streaming=False), _reasoning_rules(("medium", "high", "xhigh"))),
    _chat("gpt-5.5", 1000000, 128000, _REASONING, _reasoning_rules(_GPT52_EFFORTS), description=_ASSUMED_OUT),
    _chat("gpt-5.5-pro", 1000000, 128000, replace(_REASONING, streaming=False),
          _reasoning_rules(("medium", "high", "xhigh")), description=_ASSUMED_OUT),
    _chat("gpt-5.6-sol", 1050000, 128000, _REASONING, _reasoning_rules(_GPT52_EFFORTS), description=_ASSUMED_OUT),
    _chat("gpt-5.6-terra", 1050000, 128000, _REASONING, _reasoning_rules(_GPT52_EFFORTS), description=_ASSUMED_OUT),
    _chat("gpt-5.6-luna", 1050000, 128000, _REASONING, _reasoning_rules(_GPT52_EFFORTS), description=_ASSUMED_OUT),
    _chat("gpt-5.6-cyber", None, 128000, _REASONING, _reasoning_rules(_GPT52_EFFORTS), description=_ASSUMED_OUT),
    # gpt-6 generation
    _chat("gpt-6-astra", 1050000, 128000, _REASONING, _reasoning_rules(_GPT6_EFFORTS), description=_ASSUMED_OUT),
    _chat("gpt-6.2-astra", 1050000, 128000, _REASONING, _reasoning_rules(_GPT6_EFFORTS), description=_ASSUMED_OUT),
    _chat("gpt-6.2-astra-law", 1050000, 128000, _REASONING, _reasoning_rules(_GPT6_EFFORTS), description=_ASSUMED_OUT),
    _chat("gpt-6-sol", 1050000, 128000, _REASONING, _reasoning_rules(_GPT6_EFFORTS), description=_ASSUMED_OUT),
    _chat("gpt-6.1-sol", 1050000, 128000, _REASONING, _reasoning_rules(_GPT6_EFFORTS), description=_ASSUMED_OUT),
    _chat("gpt-6.2-sol", 1050000, 128000, _REASONING, _reasoning_rules(_GPT6_EFFORTS), description=_ASSUMED_OUT),
    _chat("gpt-6.1-terra", 1050000, 128000, _REASONING, _reasoning_rules(_GPT6_EFFORTS), description=_ASSUMED_OUT),
    _chat("gpt-6-luna", 1050000, 128000, _REASONING, _reasoning_rules(_GPT6_EFFORTS), description=_ASSUMED_OUT),
    _chat("gpt-6-cyber", None, 128000, _REASONING, _reasoning_rules(_GPT6_EFFORTS), description=_ASSUMED_OUT),
    _chat("gpt-6-rosalind", None, 128000, _REASONING, _reasoning_rules(_GPT6_EFFORTS), description=_ASSUMED_OUT),
    _chat("gpt-rosalind-research", None, 128000, _REASONING, _reasoning_rules(_GPT6_EFFORTS), description=_ASSUMED_OUT),
]

# --- image models -----------------------------------------------------------------------------
# Sizes, qualities, n: openai SDK 3.57 images.generate docstrings (image_generate_params.py) and
# https://platform.openai.com/docs/api-reference/images/create (dall-e-2: 256/512/1024 squares,
# n 1-10; dall-e-3: 1024x1024, 1792x1024, 1024x1792, standard|hd, vivid|natural, n=1).
_GPT_IMAGE_SIZES = ("auto", "1024x1024", "1536x1024", "1024x1536")
_GPT_IMAGE_QUALITIES = ("auto", "low", "medium", "high")
_GPT_IMAGE_FORMATS = ("png", "webp", "jpeg")


def _image(name: str, *, custom: bool = False, qualities: tuple[str, ...] = _GPT_IMAGE_QUALITIES,
           inputs: tuple[str, ...] = ("text", "image"), description: str = "") -> ModelSpec:
    return ModelSpec(
        name=name,
        kind="image",
        input_modalities=inputs,
        output_modalities=("image",),
        features=Features(vision="image" in inputs, streaming=True),
        rules=ParameterRules(
            image_sizes=_GPT_IMAGE_SIZES,
            image_custom_sizes=custom,
            image_qualities=qualities,
            image_max_n=10,
            image_output_formats=_GPT_IMAGE_FORMATS,
        ),
        description=description,
    )


_IMAGES: list[ModelSpec] = [
    ModelSpec(
        name="dall-e-2",
        kind="image",
        input_modalities=("text", "image"),
        output_modalities=("image",),
        encoding="cl100k_base",
        rules=ParameterRules(image_sizes=("256x256", "512x512", "1024x1024"), image_qualities=("standard",),
                             image_max_n=10, max_input_chars=1000),
    ),
    ModelSpec(
        name="dall-e-3",
        kind="image",
        input_modalities=("text",),
        output_modalities=("image",),
        encoding="cl100k_base",
        rules=ParameterRules(image_sizes=("1024x1024", "1792x1024", "1024x1792"), image_qualities=("standard", "hd"),
                             image_styles=("vivid", "natural"), image_max_n=1, max_input_chars=4000),
    ),
    _image("gpt-image-1"),
    _image("gpt-image-1-mini"),
    _image("gpt-image-1.5"),
    _image("chatgpt-image-latest"),
    _image("gpt-image-2", custom=True),
    _image("gpt-image-2.5-sunburst", custom=True, qualities=_GPT_IMAGE_QUALITIES + ("xhigh", "max")),
    _image("gpt-image-2.5-flare", custom=True, qualities=_GPT_IMAGE_QUALITIES + ("xhigh", "max")),
    _image("gpt-image-2.6-sunburst", custom=True, qualities=_GPT_IMAGE_QUALITIES + ("xhigh", "max")),
    _image("gpt-image-2.6-flare", custom=True, qualities=_GPT_IMAGE_QUALITIES + ("xhigh", "max")),
]

# --- audio models -----------------------------------------------------------------------------
# Formats and the 25 MB limit: SDK transcription_create_params.py and
# https://platform.openai.com/docs/guides/speech-to-text ("File uploads are currently limited to 25 MB").
_STT_FORMATS = ("flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm")
_STT_LIMIT = 25 * 1024 * 1024


def _stt(name: str, response_formats: tuple[str, ...], context: int | None = None,
         max_output: int | None = None) -> ModelSpec:
    return ModelSpec(
        name=name,
        kind="transcription",
        context_window=context,
        max_output_tokens=max_output,
        input_modalities=("audio", "text"),
        output_modalities=("text",),
        features=Features(streaming=name != "whisper-1"),
        rules=ParameterRules(max_file_bytes=_STT_LIMIT, audio_formats=_STT_FORMATS,
                             transcription_response_formats=response_formats),
    )


# Voices: SDK audio/speech_create_params.py. tts-1/tts-1-hd support the original nine
# (https://platform.openai.com/docs/guides/text-to-speech#voice-options); instructions: not on tts-1*.
_VOICES_ALL = ("alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse",
               "marin", "cedar")
_VOICES_TTS1 = ("alloy", "ash", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer")
_SPEECH_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")


def _tts(name: str, voices: tuple[str, ...], instructions: bool, context: int | None = None) -> ModelSpec:
    return ModelSpec(
        name=name,
        kind="speech",
        context_window=context,
        input_modalities=("text",),
        output_modalities=("audio",),
        features=Features(streaming=True),
        rules=ParameterRules(voices=voices, supports_instructions=instructions, max_input_chars=4096,
                             speech_formats=_SPEECH_FORMATS),
    )


_AUDIO: list[ModelSpec] = [
    _stt("whisper-1", ("json", "text", "srt", "verbose_json", "vtt")),
    _stt("gpt-4o-transcribe", ("json",), 16000, 2000),
    _stt("gpt-4o-mini-transcribe", ("json",), 16000, 2000),
    _stt("gpt-4o-transcribe-diarize", ("json", "text", "diarized_json"), 16000, 2000),
    _stt("gpt-transcribe", ("json", "text", "srt", "verbose_json", "vtt")),
    _tts("tts-1", _VOICES_TTS1, False),
    _tts("tts-1-hd", _VOICES_TTS1, False),
    _tts("gpt-4o-mini-tts", _VOICES_ALL, True, 2000),
]

# --- embeddings / moderation ---------------------------------------------------------------------
_OTHER: list[ModelSpec] = [
    ModelSpec(name="text-embedding-3-small", kind="embedding", context_window=8191, output_modalities=("embedding",),
              encoding="cl100k_base", rules=ParameterRules(max_input_tokens=8191, dimensions_max=1536)),
    ModelSpec(name="text-embedding-3-large", kind="embedding", context_window=8191, output_modalities=("embedding",),
              encoding="cl100k_base", rules=ParameterRules(max_input_tokens=8191, dimensions_max=3072)),
    ModelSpec(name="text-embedding-ada-002", kind="embedding", context_window=8191, output_modalities=("embedding",),
              encoding="cl100k_base", rules=ParameterRules(max_input_tokens=8191)),
    ModelSpec(name="omni-moderation-latest", kind="moderation", input_modalities=("text", "image"),
              output_modalities=("moderation",), features=Features(vision=True)),
    ModelSpec(name="text-moderation-latest", kind="moderation", output_modalities=("moderation",)),
    ModelSpec(name="text-moderation-stable", kind="moderation", output_modalities=("moderation",)),
]


# --- lifecycle ---------------------------------------------------------------------------------
def _d(text: str) -> _dt.date:
    return _dt.date.fromisoformat(text)


# model id (family or exact snapshot) -> (shutdown date, successor, source)
_DEPRECATIONS: dict[str, tuple[str, str | None, str]] = {
    # shut down 2026-10-23 (SDK); replacements: deprecations page 2026-04-22 "Legacy GPT model snapshots"
    "gpt-3.5-turbo": ("2026-10-23", "gpt-4.1-mini", f"{_SDK}; successor: {_DEPR} (2026-04-22)"),
    "gpt-3.5-turbo-0125": ("2026-10-23", "gpt-4.1-mini", f"{_SDK}; successor: {_DEPR} (2026-04-22)"),
    "gpt-3.5-turbo-1106": ("2026-09-28", "gpt-4.1-mini", f"{_SDK}; successor: {_DEPR} (2026-04-22)"),
    "gpt-3.5-turbo-16k": ("2024-09-13", "gpt-4.1-mini", _OURS),
    "gpt-3.5-turbo-0301": ("2024-09-13", "gpt-4.1-mini", _OURS),
    "gpt-3.5-turbo-0613": ("2024-09-13", "gpt-4.1-mini", _OURS),
    "gpt-3.5-turbo-16k-0613": ("2024-09-13", "gpt-4.1-mini", _OURS),
    "gpt-4": ("2026-10-23", "gpt-4.1", _OURS),
    "gpt-4-0613": ("2026-10-23", "gpt-4.1", _OURS),
    "gpt-4-0314": ("2026-03-26", "gpt-4.1", f"{_SDK}; successor: {_DEPR} ('gpt-5 or gpt-4.1 family')"),
    "gpt-4-32k": ("2025-06-06", "gpt-4.1", _OURS),
    "gpt-4-turbo": ("2026-10-23", "gpt-4.1", _OURS),
    "gpt-4-1106-preview": ("2026-10-23", "gpt-4.1", _OURS),
    "gpt-4-0125-preview": ("2026-03-26", "gpt-4.1", f"{_SDK}; successor: {_DEPR} ('gpt-5 or gpt-4.1 family')"),
    "gpt-4-turbo-preview": ("2026-03-26", "gpt-4.1", f"{_SDK}; successor: {_DEPR} ('gpt-5 or gpt-4.1 family')"),
    "gpt-4-vision-preview": ("2024-12-06", "gpt-4.1", _OURS),
    "gpt-4o-2024-05-13": ("2026-10-23", "gpt-4o", _OURS),
    "gpt-4.5-preview": ("2025-07-14", "gpt-4.1", f"{_DEPR} (2025-04-14: gpt-4.5-preview, replacement gpt-4.1)"),
    "o1": ("2026-10-23", "gpt-5.5", _OURS),
    "o1-pro": ("2026-10-23", "gpt-5.5-pro", _OURS),
    "o1-preview": ("2025-07-28", "o3", f"{_SDK}; successor: {_DEPR}"),
    "o1-mini": ("2025-10-27", "o4-mini", f"{_SDK}; successor: {_DEPR}"),
    "o3-mini": ("2026-10-23", "gpt-5.4-mini", _OURS),
    "o4-mini": ("2026-10-23", "gpt-5.4-mini", _OURS),
    "gpt-4.1-nano": ("2026-10-23", "gpt-5.4-nano", _OURS),
    "chatgpt-4o-latest": ("2026-02-17", "gpt-5.1-chat-latest", f"{_SDK}; successor: {_DEPR} (2025-11-18)"),
    "codex-mini-latest": ("2026-02-12", "gpt-5.1-codex-mini", f"{_SDK}; successor: {_DEPR} (2025-11-17)"),
    "gpt-4o-audio-preview": ("2026-05-07", "gpt-audio", f"{_SDK}; successor: {_DEPR} (2026-04-22)"),
    "gpt-4o-audio-preview-2024-10-01": ("2025-10-10", "gpt-audio", f"{_SDK}; successor: {_DEPR}"),
    "gpt-4o-mini-audio-preview": ("2026-05-07", "gpt-audio-mini", f"{_SDK}; successor: {_DEPR} (2026-05-12)"),
    "gpt-4o-search-preview": ("2026-07-23", "gpt-4.1-mini", f"{_SDK}; successor: {_DEPR} (2026-04-22)"),
    "gpt-4o-mini-search-preview": ("2026-07-23", "gpt-4.1-mini", f"{_SDK}; successor: {_DEPR} (2026-04-22)"),
    "gpt-5-chat-latest": ("2026-07-23", "gpt-5.3-chat-latest", f"{_SDK}; successor: {_DEPR} (2026-04-22)"),
    "gpt-5.1-chat-latest": ("2026-07-23", "gpt-5.3-chat-latest", f"{_SDK}; successor: {_DEPR} (2026-04-22)"),
    "gpt-5.2-chat-latest": ("2026-08-10", "gpt-5.5", f"{_SDK}; successor: {_DEPR} (2026-05-08)"),
    "gpt-5.3-chat-latest": ("2026-08-10", "gpt-5.5", f"{_SDK}; successor: {_DEPR} (2026-05-08)"),
    "gpt-5-codex": ("2026-07-23", "gpt-5.4", f"{_SDK}; successor: {_DEPR} (2026-04-22)"),
    "gpt-5.1-codex": ("2026-07-23", "gpt-5.4", f"{_SDK}; successor: {_DEPR} (2026-04-22 names gpt-5, itself retiring)"),
    "gpt-5.1-codex-max": ("2026-07-23", "gpt-5.4", f"{_SDK}; successor: {_DEPR} (2026-04-22)"),
    "gpt-5.1-codex-mini": ("2026-07-23", "gpt-5.4-mini", f"{_DEPR} (2026-04-22)"),
    "gpt-5.2-codex": ("2026-07-23", "gpt-5.4", f"{_DEPR} (2026-04-22)"),
    "o3-deep-research": ("2026-07-23", "gpt-5.4-pro", f"{_SDK}; successor: {_DEPR} (2026-04-22)"),
    "o4-mini-deep-research": ("2026-07-23", "gpt-5.4-pro", f"{_SDK}; successor: {_DEPR} (2026-04-22)"),
    "computer-use-preview": ("2026-07-23", "gpt-5.4-mini", f"{_SDK}; successor: {_DEPR} (2026-05-12)"),
    "gpt-5": ("2026-12-11", "gpt-5.5", _OURS),
    "gpt-5-mini": ("2026-12-11", "gpt-5.4-mini", _OURS),
    "gpt-5-nano": ("2026-12-11", "gpt-5.4-nano", _OURS),
    "gpt-5-pro": ("2026-12-11", "gpt-5.5-pro", _OURS),
    "o3": ("2026-12-11", "gpt-5.5", _OURS),
    "o3-pro": ("2026-12-11", "gpt-5.5-pro", _OURS),
    "gpt-4.1": ("2027-01-14", "gpt-5.4", _OURS),
    "gpt-4.1-mini": ("2027-01-14", "gpt-5.4-mini", _OURS),
    "gpt-4o": ("2027-01-14", "gpt-5.4", _OURS),
    "gpt-4o-mini": ("2027-01-14", "gpt-5.4-mini", _OURS),
    "gpt-5.1": ("2027-04-01", "gpt-5.5", _OURS),
    "gpt-5.1-mini": ("2027-04-01", "gpt-5.4-mini", _OURS),
    "gpt-5.4-nano": ("2027-04-01", "gpt-6-luna", _OURS),
    "gpt-audio-mini": ("2027-01-20", "gpt-audio", _OURS),
    # images: SDK image_model.py "dall-e-2/3 retired on May 12, 2026"; "gpt-image-1 was shut down on
    # October 23, 2026. Use gpt-image-2.5-sunburst or gpt-image-2.5-flare instead."
    "dall-e-2": ("2026-05-12", "gpt-image-1-mini", "openai SDK 3.57 image_model.py; successor: conduit's choice"),
    "dall-e-3": ("2026-05-12", "gpt-image-2.5-sunburst", "openai SDK 3.57 image_model.py; successor: conduit's choice"),
    "gpt-image-1": ("2026-10-23", "gpt-image-2.5-sunburst", "openai SDK 3.57 image_model.py"),
    # audio: SDK audio_model.py / speech_model.py
    "whisper-1": ("2027-02-26", "gpt-transcribe", _OURS),
    "gpt-4o-transcribe": ("2027-02-26", "gpt-transcribe", _OURS),
    "gpt-4o-mini-transcribe": ("2027-02-26", "gpt-transcribe", _OURS),
    "gpt-4o-transcribe-diarize": ("2027-02-26", "gpt-transcribe", _OURS),
    "tts-1": ("2027-01-06", None, f"{_SDK} (no replacement named)"),
    "tts-1-hd": ("2027-01-06", None, f"{_SDK} (no replacement named)"),
    "gpt-4o-mini-tts": ("2027-01-06", None, f"{_SDK} (no replacement named)"),
}

# When OpenAI announced the deprecation (the status turns "deprecated" from then on).
_ANNOUNCED: dict[str, str] = {
    "chatgpt-4o-latest": "2025-11-18",
    "codex-mini-latest": "2025-11-17",
    "gpt-5.2-chat-latest": "2026-05-08",
    "gpt-5.3-chat-latest": "2026-05-08",
}

LIFECYCLES: dict[str, Lifecycle] = {
    name: Lifecycle(
        deprecated_on=_d(_ANNOUNCED[name]) if name in _ANNOUNCED else None,
        shutdown_on=_d(shutdown),
        successor=successor,
        source=source,
    )
    for name, (shutdown, successor, source) in _DEPRECATIONS.items()
}

# Snapshot ids that name a family (beyond the generic date stripping) -> family.
ALIASES: dict[str, str] = {
    "gpt-4-turbo-2024-04-09": "gpt-4-turbo",
    "gpt-4-0613": "gpt-4",
    "gpt-4-0314": "gpt-4",
    "gpt-4-32k-0314": "gpt-4-32k",
    "gpt-4-32k-0613": "gpt-4-32k",
    "gpt-4-1106-preview": "gpt-4-turbo-preview",
    "gpt-4-0125-preview": "gpt-4-turbo-preview",
    "gpt-4-1106-vision-preview": "gpt-4-vision-preview",
    "gpt-3.5-turbo-0301": "gpt-3.5-turbo",
    "gpt-3.5-turbo-0613": "gpt-3.5-turbo",
    "gpt-3.5-turbo-1106": "gpt-3.5-turbo",
    "gpt-3.5-turbo-0125": "gpt-3.5-turbo",
    "gpt-3.5-turbo-16k-0613": "gpt-3.5-turbo-16k",
    "gpt-35-turbo": "gpt-3.5-turbo",
    "omni-moderation-2024-09-26": "omni-moderation-latest",
    "gpt-4o-mini-tts-2025-12-15": "gpt-4o-mini-tts",
    "gpt-4o-mini-transcribe-2025-12-15": "gpt-4o-mini-transcribe",
}


def _with_lifecycle(spec: ModelSpec) -> ModelSpec:
    lifecycle = LIFECYCLES.get(spec.name)
    return replace(spec, lifecycle=lifecycle, family=spec.name) if lifecycle else replace(spec, family=spec.name)


MODELS: dict[str, ModelSpec] = {spec.name: _with_lifecycle(spec) for spec in _CHAT + _IMAGES + _AUDIO + _OTHER}
