"""The multipart reader the audio and image-edit meters use (python-multipart underneath)."""

from __future__ import annotations

import httpx2
import pytest

from conduit.errors import ValidationError
from conduit.meter.base import Payload
from conduit.meter.multipart import FilePart, encode_multipart, form_of, parse_multipart


def _request(data: dict, files: dict) -> tuple[bytes, str]:
    request = httpx2.Request("POST", "http://x/v1/audio/transcriptions", data=data, files=files)
    return request.read(), request.headers["content-type"]


def test_fields_files_and_repeated_keys() -> None:
    audio = b"RIFF\r\n--not-a-boundary\r\n" + bytes(range(256)) * 4
    raw, ctype = _request(
        {"model": "whisper-1", "language": "es", "timestamp_granularities[]": ["word", "segment"]},
        {"file": ("grabación.wav", audio, "audio/wav")},
    )
    form = parse_multipart(raw, ctype)
    assert form.get("model") == "whisper-1" and form.get("language") == "es"
    assert form.get("timestamp_granularities") == ["word", "segment"]
    upload = form.file("file")
    assert upload is not None and upload.data == audio
    assert upload.filename == "grabación.wav" and upload.content_type == "audio/wav"
    assert form.file("mask") is None


def test_encode_round_trip() -> None:
    fields = {"model": "gpt-image-1.5", "prompt": 'un "gato"\ncon sombrero', "n": "2"}
    files = [FilePart("image[]", "a.png", "image/png", b"\x89PNG1"), FilePart("image[]", "b.png", "image/png", b"\x89PNG2")]
    raw, ctype = encode_multipart(fields, files)
    form = parse_multipart(raw, ctype)
    assert form.fields["prompt"] == 'un "gato"\ncon sombrero'
    assert form.fields["model"] == "gpt-image-1.5" and form.fields["n"] == "2"
    assert [f.data for f in form.files_named("image")] == [b"\x89PNG1", b"\x89PNG2"]


def test_malformed_bodies_are_validation_errors() -> None:
    with pytest.raises(ValidationError, match="multipart/form-data"):
        parse_multipart(b"{}", "application/json")
    with pytest.raises(ValidationError, match="boundary"):
        parse_multipart(b"--x\r\n", "multipart/form-data")


def test_form_of_parses_once_per_body() -> None:
    raw, ctype = _request({"model": "whisper-1"}, {"file": ("a.wav", b"RIFF", "audio/wav")})
    payload = Payload.parse(raw, ctype)
    assert form_of(payload) is form_of(payload)
    other = Payload.parse(raw + b"", ctype)
    other.raw = bytes(bytearray(raw))
    assert form_of(other) is not form_of(payload)
