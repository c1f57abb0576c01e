"""Meters for ``POST /audio/transcriptions`` and ``/audio/translations`` (multipart uploads).

The cost of a transcription is known before the upload: it follows the
audio's duration, which is read from the file's header here
(:mod:`conduit.media.probe`, on top of :mod:`conduit.tokens.audio`). Models
billed per minute (whisper-1, gpt-transcribe) record ``audio_seconds``;
token-billed models (gpt-4o-transcribe, -mini, -diarize) record audio input
tokens and text output tokens from the response's ``usage`` (or, for
``text``/``srt``/``vtt`` answers, which carry none, from the duration and the
returned text). Streaming transcripts (``stream=true``) carry their usage in
the final ``transcript.text.done`` event.

Validation refuses, before any upload: files that are not audio, formats and
sizes the model does not accept, response formats it cannot produce,
streaming on whisper-1, translations on models that cannot translate, and
malformed languages or temperatures.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from conduit.errors import ValidationError
from conduit.meter.base import Estimate, Payload
from conduit.meter.multipart import MultipartForm, form_of
from conduit.meter.pricing import estimate_from_usage
from conduit.usage import Usage

__all__ = ["TranscriptionMeter", "TranscriptionStreamMeter", "transcription_estimate", "transcription_fields"]

_FIELDS = {
    "file", "model", "language", "prompt", "response_format", "temperature", "timestamp_granularities",
    "stream", "include", "chunking_strategy", "known_speaker_names", "known_speaker_references",
}
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
# formats whose headers always give an exact duration: an unreadable one is a damaged file
_STRICT_FORMATS = ("wav", "flac", "ogg")
# upper bound on transcript tokens per second of audio (fast speech is ~4 words/s, ~6 tokens/s)
_OUTPUT_TOKENS_PER_SECOND = 10


def _family(model: str) -> str:
    from conduit.catalog import resolve_family

    return resolve_family(model) or model


def transcription_fields(form: MultipartForm) -> dict[str, Any]:
    """The form's fields plus ``filename`` and ``file_size``: the catalog's rule-check input."""
    fields = dict(form.fields)
    upload = form.file("file")
    if upload is not None:
        fields["filename"] = upload.filename
        fields["file_size"] = len(upload.data)
    return fields


def _is_true(value: Any) -> bool:
    return str(value).strip().lower() == "true"


class TranscriptionMeter:
    """``audio.transcriptions`` or ``audio.translations``."""

    def __init__(self, endpoint: str = "audio.transcriptions") -> None:
        self.endpoint = endpoint

    @property
    def translating(self) -> bool:
        return self.endpoint == "audio.translations"

    # -- the protocol ------------------------------------------------------------------------
    def model_of(self, payload: Payload) -> str | None:
        try:
            model = self._form(payload).get("model")
        except ValidationError:
            return None
        return model if isinstance(model, str) else None

    def validate(self, payload: Payload) -> None:
        form = self._form(payload)
        model = form.get("model")
        if not isinstance(model, str) or not model.strip():
            from conduit.media.billing import current_models

            raise ValidationError("The transcription request names no model.",
                                  "Pass model=..., one of: " + ", ".join(current_models("transcription")) + ".")
        unknown = sorted(set(form.fields) - _FIELDS - {"timestamp_granularities[]"})
        if unknown:
            raise ValidationError(f"Unknown parameter {unknown[0]!r} for {self.endpoint}.",
                                  "Accepted: " + ", ".join(sorted(_FIELDS)) + ".")
        upload = form.file("file")
        if upload is None:
            raise ValidationError("The request has no audio file.", "Pass file=open('recording.wav', 'rb').")
        self._check_model(model)
        if not upload.data:
            raise ValidationError(f"{upload.filename or 'The audio file'} is empty.", "Record or choose a non-empty file.")
        from conduit.catalog import check_request

        check_request(model, self.endpoint, transcription_fields(form))
        self._check_audio(upload.filename, upload.data)
        self._check_options(model, form)

    def prepare(self, payload: Payload) -> None:
        return None

    def estimate(self, payload: Payload, model: str | None) -> Estimate:
        form = self._form(payload)
        model = model or str(form.get("model") or "")
        seconds, _exact = self._seconds(payload)  # unreadable duration: bounded from the size, still an upper bound
        usage = self._usage_for_seconds(model, seconds, prompt=form.get("prompt"), output_text=None)
        return estimate_from_usage(model, usage)

    def read(self, payload: Payload, status: int, headers: Any, content: bytes) -> tuple[Usage, str | None]:
        form = self._form(payload)
        model = str(form.get("model") or "")
        seconds, _ = self._seconds(payload)
        data: Any = None
        if content[:1] in (b"{", b"["):
            try:
                data = json.loads(content)
            except ValueError:
                data = None
        if isinstance(data, dict):
            usage = _usage_from_body(model, data.get("usage"), seconds)
            if usage is not None:
                return usage, model
            text = data.get("text") if isinstance(data.get("text"), str) else ""
        else:
            text = _subtitle_text(content.decode("utf-8", "replace"))
        return self._usage_for_seconds(model, seconds, prompt=form.get("prompt"), output_text=text), model

    def stream_meter(self, payload: Payload, estimate: Estimate | None = None) -> "TranscriptionStreamMeter":
        form = self._form(payload)
        model = str(form.get("model") or "")
        seconds, _ = self._seconds(payload)
        return TranscriptionStreamMeter(self, model, seconds, form.get("prompt"))

    # -- helpers ----------------------------------------------------------------------------------
    @staticmethod
    def _form(payload: Payload) -> MultipartForm:
        if not payload.content_type.startswith("multipart/"):
            raise ValidationError(
                "Audio uploads must be sent as multipart/form-data.",
                "Pass the file with file=open(path, 'rb') (the SDK and conduit's CLI do this).",
            )
        return form_of(payload)

    def _check_model(self, model: str) -> None:
        from conduit.catalog import lookup_model
        from conduit.media.billing import current_models

        spec = lookup_model(model)
        if spec is not None and spec.kind != "transcription":
            raise ValidationError(f"{model} is not a speech-to-text model.",
                                  "Use one of: " + ", ".join(current_models("transcription")) + ".")
        if self.translating and spec is not None and _family(model) != "whisper-1":
            raise ValidationError(f"{model} cannot translate audio; only whisper-1 serves /audio/translations.",
                                  "Use model='whisper-1', or transcribe with this model and translate the text.")

    @staticmethod
    def _check_audio(filename: str, data: bytes) -> None:
        from conduit.media.probe import probe_audio

        found = probe_audio(data)
        if not found.is_audio:
            raise ValidationError(
                f"{filename or 'The file'} is not an audio file conduit or OpenAI can read "
                f"(its first bytes {data[:8]!r} match no audio format).",
                "Upload flac, m4a, mp3, mp4, mpeg, mpga, ogg, wav or webm audio.",
            )
        if found.seconds is None and found.format in _STRICT_FORMATS:
            raise ValidationError(f"{filename or 'The audio file'} looks like {found.format} but its header is damaged.",
                                  "Re-export the recording, or convert it to mp3 or wav.")
        if found.seconds is not None and found.seconds < 0.1:
            raise ValidationError(f"{filename or 'The audio file'} is {found.seconds:.2f} s long; the minimum is 0.1 s.",
                                  "Upload a longer recording.")

    def _check_options(self, model: str, form: MultipartForm) -> None:
        whisper = _family(model) == "whisper-1"
        language = form.get("language")
        if language is not None:
            if self.translating:
                raise ValidationError("Translations take no language: the output is always English.",
                                      "Remove language (whisper-1 detects the spoken language).")
            if not isinstance(language, str) or not _LANGUAGE.match(language):
                raise ValidationError(f"language must be an ISO-639-1 code like 'es' or 'en', got {language!r}.",
                                      "Use the two-letter code of the spoken language.")
        temperature = form.get("temperature")
        if temperature is not None:
            try:
                value = float(temperature)
            except (TypeError, ValueError):
                value = math.nan
            if not 0 <= value <= 1:
                raise ValidationError(f"temperature must be between 0 and 1, got {temperature!r}.", "Use 0 to 1.")
        granularities = form.get("timestamp_granularities")
        if granularities is not None:
            values = granularities if isinstance(granularities, list) else [granularities]
            bad = [v for v in values if v not in ("word", "segment")]
            if bad:
                raise ValidationError(f"timestamp_granularities {bad[0]!r} is not valid.", "Use 'word' and/or 'segment'.")
            if form.get("response_format") != "verbose_json":
                raise ValidationError("timestamp_granularities needs response_format='verbose_json'.",
                                      "Set response_format='verbose_json' (whisper-1).")
        if _is_true(form.get("stream")):
            if self.translating:
                raise ValidationError("Translations cannot be streamed.", "Remove stream=True.")
            if whisper:
                raise ValidationError(
                    "whisper-1 does not stream transcripts.",
                    "Use gpt-4o-transcribe or gpt-4o-mini-transcribe with stream=True, or drop stream.",
                )

    def _seconds(self, payload: Payload) -> tuple[float, bool]:
        """(duration, exact): from the header, else a conservative bound from the size."""
        from conduit.media.probe import audio_seconds
        from conduit.tokens import audio_duration_upper_bound

        upload = self._form(payload).file("file")
        if upload is None or not upload.data:
            return 0.0, False
        seconds = audio_seconds(upload.data)
        if seconds is None:
            return audio_duration_upper_bound(len(upload.data)), False
        return seconds, True

    def _usage_for_seconds(self, model: str, seconds: float, *, prompt: Any, output_text: str | None) -> Usage:
        """Usage in the units ``model`` is billed in; output tokens counted from ``output_text`` or bounded."""
        from conduit.media.billing import audio_tokens_per_minute, billing_unit

        if billing_unit(model) != "tokens":
            billed = float(math.ceil(seconds)) if _family(model) == "whisper-1" else round(seconds, 3)
            return Usage(audio_seconds=billed)
        from conduit.catalog import lookup_model
        from conduit.tokens import count_tokens

        audio_tokens = math.ceil(seconds * audio_tokens_per_minute(model) / 60)
        prompt_tokens = count_tokens(prompt, model) if isinstance(prompt, str) and prompt else 0
        if output_text is None:
            spec = lookup_model(model)
            output = math.ceil(seconds * _OUTPUT_TOKENS_PER_SECOND) + 16
            if spec is not None and spec.max_output_tokens:
                output = min(output, spec.max_output_tokens)
        else:
            output = count_tokens(output_text, model) if output_text else 0
        return Usage(
            input_tokens=audio_tokens + prompt_tokens,
            audio_input_tokens=audio_tokens,
            output_tokens=output,
            audio_seconds=round(seconds, 3),
        )


def transcription_estimate(model: str, seconds: float, prompt: str | None = None) -> Estimate:
    """The worst-case cost of transcribing ``seconds`` of audio with ``model`` (for a CLI's "before upload" line)."""
    usage = TranscriptionMeter()._usage_for_seconds(model, seconds, prompt=prompt, output_text=None)
    return estimate_from_usage(model, usage)


def _usage_from_body(model: str, usage: Any, seconds: float) -> Usage | None:
    """Usage from the response's ``usage`` object, in the units the model is billed in."""
    from conduit.media.billing import billing_unit

    if not isinstance(usage, dict):
        return None
    unit = billing_unit(model)
    if usage.get("type") == "duration" or (unit != "tokens" and usage.get("seconds") is not None):
        return Usage(audio_seconds=float(usage.get("seconds") or seconds))
    if unit != "tokens":  # a per-minute model answered with tokens: bill what the price list prices
        return Usage(audio_seconds=round(seconds, 3)) if seconds else None
    if usage.get("type") == "tokens" or usage.get("input_tokens") is not None:
        details = usage.get("input_token_details") or usage.get("input_tokens_details") or {}
        return Usage(
            input_tokens=int(usage.get("input_tokens") or 0),
            audio_input_tokens=int(details.get("audio_tokens") or 0),
            output_tokens=int(usage.get("output_tokens") or 0),
            audio_seconds=round(seconds, 3),
        )
    return None


_TIMING = re.compile(r"^\d\d:\d\d(:\d\d)?[.,]\d{3} --> ")


def _subtitle_text(body: str) -> str:
    """The spoken text of a text/srt/vtt answer (cue numbers, timings and headers removed)."""
    lines = []
    for line in body.splitlines():
        stripped = line.strip()
        if not stripped or stripped == "WEBVTT" or stripped.isdigit() or _TIMING.match(stripped):
            continue
        lines.append(stripped)
    return " ".join(lines)


class TranscriptionStreamMeter:
    """``transcript.text.delta`` events, then ``transcript.text.done`` with the usage."""

    def __init__(self, meter: TranscriptionMeter, model: str, seconds: float, prompt: Any) -> None:
        self.model = model
        self._meter = meter
        self._seconds = seconds
        self._prompt = prompt
        self._usage: Usage | None = None
        self._text: list[str] = []

    def feed(self, data: str) -> bool:
        try:
            event = json.loads(data)
        except ValueError:
            return True
        if not isinstance(event, dict):
            return True
        kind = event.get("type")
        if kind == "transcript.text.delta" and isinstance(event.get("delta"), str):
            self._text.append(event["delta"])
        elif kind == "transcript.text.done":
            self._usage = _usage_from_body(self.model, event.get("usage"), self._seconds)
            if self._usage is None and isinstance(event.get("text"), str):
                self._text = [event["text"]]
        return True

    def usage(self, complete: bool) -> Usage:
        if self._usage is not None:
            return self._usage
        # no final usage (cut stream): the whole upload was processed; bill it and the text seen
        return self._meter._usage_for_seconds(self.model, self._seconds, prompt=self._prompt,
                                              output_text="".join(self._text))
