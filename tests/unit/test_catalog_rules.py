"""Per-model parameter rules, checked before any request is sent.

Rules and their sources: o-series take max_completion_tokens / reasoning_effort and no temperature
(OpenAI reasoning guide; SDK completion_create_params.py); dall-e-3 n=1, sizes and qualities
(API reference images/create); gpt-image-2 custom sizes in multiples of 16, 1:3..3:1, <= 3840x2160
(SDK image_generate_params.py); TTS input <= 4096 characters, voices, instructions not on tts-1
(SDK audio/speech_create_params.py); STT files <= 25 MB in flac/mp3/mp4/mpeg/mpga/m4a/ogg/wav/webm
(SDK audio/transcription_create_params.py; speech-to-text guide).
"""

from __future__ import annotations

import pytest

from conduit.catalog import check_request, request_violations
from conduit.errors import ValidationError


def _params(model: str, endpoint: str, body: dict[str, object]) -> set[str]:
    return {v.param for v in request_violations(model, endpoint, body)}


def test_o_series_rules() -> None:
    assert _params("o3-mini", "chat.completions", {"max_tokens": 100}) == {"max_tokens"}
    assert _params("o3-mini", "chat.completions", {"max_completion_tokens": 100}) == set()
    assert _params("o3-mini", "chat.completions", {"temperature": 0.2}) == {"temperature"}
    assert _params("o3-mini", "chat.completions", {"temperature": 1}) == set()
    assert _params("o3-mini", "chat.completions", {"reasoning_effort": "high"}) == set()
    assert _params("o3-mini", "chat.completions", {"reasoning_effort": "xhigh"}) == {"reasoning_effort"}
    assert _params("gpt-5", "responses", {"reasoning": {"effort": "minimal"}}) == set()
    assert _params("gpt-4o", "chat.completions", {"reasoning_effort": "low"}) == {"reasoning_effort"}
    assert _params("gpt-4o", "chat.completions", {"max_tokens": 100, "temperature": 0.2}) == set()


def test_output_limit_and_vision() -> None:
    assert _params("gpt-4o", "chat.completions", {"max_tokens": 20000}) == {"max_tokens"}  # max 16,384
    image = {"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]}
    assert _params("o3-mini", "chat.completions", image) == {"messages"}
    assert _params("gpt-4o", "chat.completions", image) == set()


def test_image_rules() -> None:
    assert _params("dall-e-3", "images.generations", {"n": 2}) == {"n"}
    assert _params("dall-e-3", "images.generations", {"size": "512x512", "quality": "high"}) == {"size", "quality"}
    assert _params("dall-e-3", "images.generations", {"size": "1792x1024", "quality": "hd", "style": "vivid"}) == set()
    assert _params("dall-e-2", "images.generations", {"n": 10, "size": "256x256"}) == set()
    assert _params("dall-e-2", "images.generations", {"n": 11}) == {"n"}
    assert _params("gpt-image-1.5", "images.generations", {"style": "vivid"}) == {"style"}
    assert _params("gpt-image-1.5", "images.generations", {"size": "1536x864"}) == {"size"}
    assert _params("gpt-image-2", "images.generations", {"size": "1536x864"}) == set()
    assert _params("gpt-image-2", "images.generations", {"size": "1000x1000"}) == {"size"}  # not /16
    assert _params("gpt-image-2", "images.generations", {"size": "4096x1024"}) == {"size"}  # 4:1
    assert _params("gpt-image-2", "images.generations", {"size": "4096x2304"}) == {"size"}  # > 3840x2160
    assert _params("dall-e-3", "images.generations", {"prompt": "x" * 4001}) == {"prompt"}


def test_speech_rules() -> None:
    assert _params("tts-1", "audio.speech", {"input": "x" * 4097, "voice": "alloy"}) == {"input"}
    assert _params("tts-1", "audio.speech", {"input": "hi", "voice": "marin"}) == {"voice"}
    assert _params("tts-1", "audio.speech", {"input": "hi", "voice": "alloy", "instructions": "cheerful"}) == {
        "instructions"}
    assert _params("gpt-4o-mini-tts", "audio.speech", {"input": "hi", "voice": "marin",
                                                        "instructions": "cheerful"}) == set()
    assert _params("gpt-4o-mini-tts", "audio.speech", {"input": "hi", "voice": {"id": "voice_123"}}) == set()
    assert _params("tts-1-hd", "audio.speech", {"input": "hi", "voice": "nova", "response_format": "ogg"}) == {
        "response_format"}


def test_transcription_rules() -> None:
    assert _params("whisper-1", "audio.transcriptions", {"file_size": 26 * 1024 * 1024}) == {"file"}
    assert _params("whisper-1", "audio.transcriptions", {"filename": "talk.aiff"}) == {"file"}
    assert _params("whisper-1", "audio.transcriptions", {"filename": "talk.M4A", "response_format": "srt"}) == set()
    assert _params("gpt-4o-transcribe", "audio.transcriptions", {"response_format": "srt"}) == {"response_format"}


def test_embeddings_rules() -> None:
    assert _params("text-embedding-3-small", "embeddings", {"dimensions": 512}) == set()
    assert _params("text-embedding-3-small", "embeddings", {"dimensions": 2048}) == {"dimensions"}
    assert _params("text-embedding-ada-002", "embeddings", {"dimensions": 512}) == {"dimensions"}


def test_check_request_raises_with_every_problem_and_a_hint() -> None:
    with pytest.raises(ValidationError) as excinfo:
        check_request("o1", "chat.completions", {"max_tokens": 10, "temperature": 0})
    assert "max_tokens" in excinfo.value.message and "temperature" in excinfo.value.message
    assert "max_completion_tokens" in excinfo.value.hint
    check_request("gpt-4o", "chat.completions", {"max_tokens": 10})
    check_request("unknown-model", "chat.completions", {"max_tokens": 10**9})
