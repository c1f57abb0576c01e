"""POST /v1/audio/transcriptions and /v1/audio/translations (multipart).

Duration comes from the uploaded file's own headers (see
:mod:`conduit.sandbox.media.probe`); usage is billed the way each model family
is: ``{"type": "duration", "seconds"}`` for whisper-1, audio + text tokens for
the gpt-4o transcribe models. The transcript is deterministic (or scripted
with ``ScriptedReply(content=...)``).
"""

from __future__ import annotations

import math
import re
from typing import Any, AsyncIterator

from starlette.responses import JSONResponse, PlainTextResponse, Response

from conduit.sandbox import models as _models
from conduit.sandbox.content import words
from conduit.sandbox.counting import count_text
from conduit.sandbox.errors import APIError, invalid, missing
from conduit.sandbox.http import MAX_UPLOAD_BYTES, Call, Upload, sse_data, sse_response
from conduit.sandbox.media.probe import SUPPORTED, UnreadableAudio, probe
from conduit.sandbox.validate import check_enum, check_range

FIELDS = {
    "file", "model", "language", "prompt", "response_format", "temperature", "timestamp_granularities",
    "stream", "include", "chunking_strategy", "known_speaker_names", "known_speaker_references",
}
WHISPER_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
TOKEN_FORMATS = ("json", "text")
DIARIZE_FORMATS = ("json", "text", "diarized_json")
AUDIO_TOKENS_PER_SECOND = 1000 / 60  # ~1,000 audio tokens per minute of input audio
_LANGUAGES = {
    "en": "english", "es": "spanish", "fr": "french", "de": "german", "it": "italian", "pt": "portuguese",
    "nl": "dutch", "ja": "japanese", "zh": "chinese", "ko": "korean", "ru": "russian", "ca": "catalan",
}


async def transcribe(call: Call) -> Response:
    return await _handle(call, translate=False)


async def translate(call: Call) -> Response:
    return await _handle(call, translate=True)


async def _handle(call: Call, *, translate: bool) -> Response:
    endpoint = "v1/audio/translations" if translate else "v1/audio/transcriptions"
    body = call.body
    unknown = set(body) - FIELDS
    if unknown:
        raise invalid(f"Unrecognized request argument supplied: {sorted(unknown)[0]}")
    upload = call.files.get("file")
    if upload is None:
        raise missing("file")
    info = call.resolve_model((_models.TRANSCRIBE,), endpoint=endpoint)
    model: str = body["model"]
    whisper = info.family_id == "whisper-1"
    if translate and not whisper:
        raise invalid(f"The model `{model}` does not support translations. Use whisper-1.", "model", "unsupported_value")
    if len(upload.data) > MAX_UPLOAD_BYTES:
        raise APIError(413, f"Maximum content size limit ({MAX_UPLOAD_BYTES}) exceeded ({len(upload.data)} bytes read)")
    seconds = _duration(upload)

    fmt = body.get("response_format") or "json"
    allowed = WHISPER_FORMATS if whisper else DIARIZE_FORMATS if "diarize" in info.family_id else TOKEN_FORMATS
    if fmt not in allowed:
        if fmt in WHISPER_FORMATS + DIARIZE_FORMATS:
            raise invalid(
                f"response_format '{fmt}' is not compatible with model '{model}'. Use "
                + " or ".join(f"'{a}'" for a in allowed) + " instead.",
                "response_format",
                "unsupported_value",
            )
        check_enum(fmt, "response_format", allowed)
    granularities = _as_list(body.get("timestamp_granularities"))
    for value in granularities:
        check_enum(value, "timestamp_granularities", ("word", "segment"))
    if granularities and fmt != "verbose_json":
        raise invalid(
            "timestamp_granularities is only supported with response_format 'verbose_json'.",
            "timestamp_granularities",
            "unsupported_value",
        )
    temperature = _number(body.get("temperature"), "temperature")
    check_range(temperature, "temperature", minimum=0, maximum=1)
    language = body.get("language")
    if language is not None and (translate or not re.fullmatch(r"[a-z]{2,3}", str(language))):
        if translate:
            raise invalid("Unrecognized request argument supplied: language")
        raise invalid(
            f"Invalid language '{language}'. Language parameter must be specified in ISO-639-1 format.",
            "language",
            "invalid_language_format",
        )
    stream = str(body.get("stream", "false")).lower() == "true"
    if stream and whisper:
        raise invalid("Streaming is not supported for the whisper-1 model.", "stream", "unsupported_value")

    script = call.state.scripts.take(call.path, model)
    if script is not None and script.content is not None:
        text = script.content
    elif translate:
        text = (
            f"This is a simulated English translation from the conduit sandbox of {upload.filename} "
            f"({seconds:.1f} seconds of audio); no real model was called."
        )
    else:
        text = (
            f"This is a simulated transcription from the conduit sandbox of {upload.filename} "
            f"({seconds:.1f} seconds of audio{', language ' + language if language else ''}); no real model was called."
        )
    prompt = body.get("prompt") or ""
    if whisper:
        usage: dict[str, Any] = {"type": "duration", "seconds": math.ceil(seconds)}
    else:
        audio_tokens = math.ceil(seconds * AUDIO_TOKENS_PER_SECOND)
        text_tokens = count_text(prompt, model)
        output_tokens = count_text(text, model)
        usage = {
            "type": "tokens",
            "input_tokens": audio_tokens + text_tokens,
            "input_token_details": {"audio_tokens": audio_tokens, "text_tokens": text_tokens},
            "output_tokens": output_tokens,
            "total_tokens": audio_tokens + text_tokens + output_tokens,
        }
    headers = {"x-conduit-audio-seconds": f"{seconds:.3f}"}
    include = _as_list(body.get("include"))
    for value in include:
        check_enum(value, "include", ("logprobs",))
    if include and whisper:
        raise invalid("include[] logprobs is only supported for the gpt-4o transcribe models.", "include", "unsupported_value")
    if stream:
        return sse_response(_stream(text, usage, "logprobs" in include), headers=headers)
    segments = _segments(text, seconds)
    if fmt == "text":
        return PlainTextResponse(text + "\n", headers=headers)
    if fmt == "srt":
        return PlainTextResponse(_subtitles(segments, srt=True), headers=headers)
    if fmt == "vtt":
        return PlainTextResponse(_subtitles(segments, srt=False), media_type="text/vtt", headers=headers)
    if fmt == "verbose_json":
        payload: dict[str, Any] = {
            "task": "translate" if translate else "transcribe",
            "language": "english" if translate else _LANGUAGES.get(language or "en", language or "english"),
            "duration": round(seconds, 2),
            "text": text,
            "segments": segments if (not granularities or "segment" in granularities) else None,
            "usage": usage,
        }
        if "word" in granularities:
            payload["words"] = _words(text, seconds)
        if payload["segments"] is None:
            del payload["segments"]
        return JSONResponse(payload, headers=headers)
    if fmt == "diarized_json":
        return JSONResponse(
            {
                "task": "transcribe",
                "duration": round(seconds, 2),
                "text": text,
                "segments": [
                    {"type": "transcript.text.segment", "id": f"seg_{s['id']}", "start": s["start"], "end": s["end"], "text": s["text"], "speaker": "A"}
                    for s in segments
                ],
                "usage": usage,
            },
            headers=headers,
        )
    payload = {"text": text, "usage": usage}
    if "logprobs" in include:
        payload["logprobs"] = _logprobs(text)
    return JSONResponse(payload, headers=headers)


def _duration(upload: Upload) -> float:
    if not upload.data:
        raise invalid("The audio file is empty.", "file", "empty_file")
    try:
        found = probe(upload.data)
    except (UnreadableAudio, ValueError, IndexError) as exc:
        raise invalid(f"Audio file might be corrupted or unsupported: {exc}", "file", "invalid_value") from exc
    if found is None:
        raise invalid(f"Invalid file format. Supported formats: {list(SUPPORTED)}", "file", "invalid_value")
    if found.seconds <= 0:
        raise invalid("Audio file is too short. Minimum audio length is 0.1 seconds.", "file", "audio_too_short")
    return found.seconds


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _number(value: Any, param: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise invalid(f"Invalid type for '{param}': expected a decimal, but got a string instead.", param, "invalid_type")


def _segments(text: str, seconds: float) -> list[dict[str, Any]]:
    sentences = [s for s in re.split(r"(?<=[.!?;])\s+", text.strip()) if s] or [text]
    total = sum(len(s) for s in sentences) or 1
    start = 0.0
    segments = []
    for index, sentence in enumerate(sentences):
        end = seconds if index == len(sentences) - 1 else start + seconds * len(sentence) / total
        segments.append(
            {
                "id": index,
                "seek": int(start * 100),
                "start": round(start, 2),
                "end": round(end, 2),
                "text": " " + sentence,
                "tokens": [50364 + index],
                "temperature": 0.0,
                "avg_logprob": -0.2,
                "compression_ratio": 1.2,
                "no_speech_prob": 0.01,
            }
        )
        start = end
    return segments


def _words(text: str, seconds: float) -> list[dict[str, Any]]:
    items = [w.strip() for w in words(text) if w.strip()]
    step = seconds / max(1, len(items))
    return [{"word": w, "start": round(i * step, 2), "end": round((i + 1) * step, 2)} for i, w in enumerate(items)]


def _timestamp(seconds: float, separator: str) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _subtitles(segments: list[dict[str, Any]], *, srt: bool) -> str:
    lines = [] if srt else ["WEBVTT", ""]
    sep = "," if srt else "."
    for index, segment in enumerate(segments, start=1):
        if srt:
            lines.append(str(index))
        lines.append(f"{_timestamp(segment['start'], sep)} --> {_timestamp(segment['end'], sep)}")
        lines.append(segment["text"].strip())
        lines.append("")
    return "\n".join(lines) + "\n"


async def _stream(text: str, usage: dict[str, Any], logprobs: bool = False) -> AsyncIterator[bytes]:
    every: list[dict[str, Any]] = []
    for piece in words(text):
        event: dict[str, Any] = {"type": "transcript.text.delta", "delta": piece}
        if logprobs:
            event["logprobs"] = _logprobs(piece)
            every += event["logprobs"]
        yield sse_data(event)
    done: dict[str, Any] = {"type": "transcript.text.done", "text": text, "usage": usage}
    if logprobs:
        done["logprobs"] = every
    yield sse_data(done)


def _logprobs(text: str) -> list[dict[str, Any]]:
    """Deterministic log probabilities per word piece (``include[]=logprobs``)."""
    from conduit.sandbox.content import digest

    return [
        {"token": piece, "logprob": -round(int(digest(piece)[:4], 16) / 0xFFFF * 0.5, 6), "bytes": list(piece.encode())}
        for piece in words(text)
    ]
