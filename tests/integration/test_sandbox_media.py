"""Images, speech and transcription through the ``openai`` SDK: real files, real usage."""

from __future__ import annotations

import base64
import datetime as _dt
import io
import struct
import wave

import httpx2
import openai
import pytest
from openai.types import ImagesResponse
from openai.types.audio import Transcription, TranscriptionVerbose

from conduit.sandbox import Sandbox, ScriptedReply
from conduit.sandbox.media import audio as audio_media
from conduit.tokens import count_tokens


@pytest.fixture
def client(sandbox: Sandbox) -> openai.OpenAI:
    return openai.OpenAI(base_url=sandbox.base_url, api_key=sandbox.api_key, max_retries=0)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _wav_bytes(seconds: float, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(b"\x00\x01" * int(seconds * rate))
    return buffer.getvalue()


# --- images -------------------------------------------------------------------------------


def test_gpt_image_returns_b64_png_of_requested_size_with_usage(client: openai.OpenAI) -> None:
    result = client.images.generate(
        model="gpt-image-2", prompt="Un paisaje futurista al atardecer, estilo cyberpunk", size="1536x1024", quality="high", n=2
    )
    assert isinstance(result, ImagesResponse)
    assert len(result.data) == 2 and result.data[0].url is None
    images = [base64.b64decode(d.b64_json) for d in result.data]
    assert [_png_size(i) for i in images] == [(1536, 1024)] * 2
    assert images[0] != images[1]
    usage = result.usage
    assert usage.output_tokens == 2 * 6208
    assert usage.input_tokens_details.text_tokens == count_tokens(
        "Un paisaje futurista al atardecer, estilo cyberpunk", "gpt-4o"
    )
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert result.quality == "high" and result.size == "1536x1024" and result.output_format == "png"


def test_gpt_image_arbitrary_size_and_formats(client: openai.OpenAI) -> None:
    result = client.images.generate(model="gpt-image-2", prompt="x", size="1536x864", output_format="jpeg", quality="low")
    data = base64.b64decode(result.data[0].b64_json)
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
    assert result.usage.output_tokens == round(272 * 1536 * 864 / 1024**2)
    webp = base64.b64decode(client.images.generate(model="gpt-image-1.5", prompt="x", output_format="webp").data[0].b64_json)
    assert webp[:4] == b"RIFF" and webp[8:12] == b"WEBP"


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"model": "gpt-image-1.5", "size": "1792x1024"}, "size"),
        ({"model": "gpt-image-2", "size": "1000x1000"}, "size"),
        ({"model": "gpt-image-1.5", "quality": "hd"}, "quality"),
        ({"model": "gpt-image-1.5", "style": "vivid"}, "style"),
        ({"model": "gpt-image-1.5", "response_format": "url"}, "response_format"),
        ({"model": "gpt-image-1.5", "n": 11}, "n"),
        ({"model": "gpt-image-1.5", "output_format": "gif"}, "output_format"),
        ({"model": "gpt-image-1.5", "output_compression": 50}, "output_compression"),
        ({"model": "gpt-image-1.5", "background": "transparent", "output_format": "jpeg"}, "background"),
    ],
)
def test_image_validation_per_family(client: openai.OpenAI, sandbox: Sandbox, kwargs: dict, param: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(prompt="a cat", **kwargs)
    assert info.value.param == param


def test_retired_image_models_are_404(client: openai.OpenAI) -> None:
    for model in ("dall-e-3", "dall-e-2", "gpt-image-1"):
        with pytest.raises(openai.NotFoundError):
            client.images.generate(model=model, prompt="x")


def test_dall_e_3_before_its_retirement_gives_url_and_revised_prompt() -> None:
    with Sandbox(as_of=_dt.date(2026, 1, 1)) as old:
        client = openai.OpenAI(base_url=old.base_url, api_key=old.api_key, max_retries=0)
        result = client.images.generate(model="dall-e-3", prompt="A red fox", size="1792x1024", quality="hd", style="vivid")
        (image,) = result.data
        assert image.b64_json is None and image.revised_prompt
        assert result.usage is None
        downloaded = httpx2.get(image.url)
        assert downloaded.status_code == 200 and _png_size(downloaded.content) == (1792, 1024)
        with pytest.raises(openai.BadRequestError) as info:
            client.images.generate(model="dall-e-3", prompt="x", n=2)
        assert info.value.param == "n"
        small = client.images.generate(model="dall-e-2", prompt="x", size="256x256", response_format="b64_json", n=3)
        assert [_png_size(base64.b64decode(d.b64_json)) for d in small.data] == [(256, 256)] * 3


def test_image_edit_multipart_counts_input_image_tokens(client: openai.OpenAI, sandbox: Sandbox) -> None:
    from conduit.sandbox.media.images import png

    source = png(512, 512, "source")
    result = client.images.edit(model="gpt-image-1.5", image=("in.png", source, "image/png"), prompt="add a hat")
    assert _png_size(base64.b64decode(result.data[0].b64_json)) == (1024, 1024)
    assert result.usage.input_tokens_details.image_tokens > 0
    record = sandbox.requests[-1]
    assert record.form["image"] == {"filename": "in.png", "size": len(source), "content_type": "image/png"}
    assert record.form["prompt"] == "add a hat"
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(model="gpt-image-1.5", image=("in.gif", b"GIF89a....", "image/gif"), prompt="x")
    assert info.value.param == "image"


# --- speech -------------------------------------------------------------------------------


def test_speech_wav_is_valid_and_proportional_to_input(client: openai.OpenAI) -> None:
    short = client.audio.speech.create(model="tts-1", voice="alloy", input="Hola, ¿cómo estás hoy?", response_format="wav")
    long = client.audio.speech.create(model="tts-1", voice="alloy", input="Hola, ¿cómo estás hoy? " * 10, response_format="wav")
    durations = []
    for response in (short, long):
        with wave.open(io.BytesIO(response.content)) as reader:
            assert reader.getframerate() == 24000 and reader.getsampwidth() == 2 and reader.getnchannels() == 1
            durations.append(reader.getnframes() / reader.getframerate())
            assert any(reader.readframes(4800))  # audible, not silence
    assert durations[1] > 5 * durations[0]
    assert short.response.headers["content-type"] == "audio/wav"


def test_speech_pcm_and_speed(client: openai.OpenAI) -> None:
    normal = client.audio.speech.create(model="gpt-4o-mini-tts", voice="marin", input="x" * 150, response_format="pcm")
    fast = client.audio.speech.create(model="gpt-4o-mini-tts", voice="marin", input="x" * 150, response_format="pcm", speed=2.0)
    assert len(normal.content) == 24000 * 2 * 10  # 150 chars ≈ 10 s of 24 kHz 16-bit mono
    assert len(fast.content) == len(normal.content) // 2


@pytest.mark.parametrize(("fmt", "magic", "content_type"), [
    ("mp3", b"\xff\xf3", "audio/mpeg"),
    ("flac", b"fLaC", "audio/flac"),
    ("opus", b"OggS", "audio/ogg"),
    ("aac", b"\xff\xf1", "audio/aac"),
])
def test_speech_compressed_formats_have_their_own_container(client: openai.OpenAI, fmt: str, magic: bytes, content_type: str) -> None:
    response = client.audio.speech.create(model="tts-1-hd", voice="nova", input="Buenos días", response_format=fmt)
    assert response.content.startswith(magic)
    assert response.response.headers["content-type"] == content_type


def test_speech_default_format_is_mp3(client: openai.OpenAI) -> None:
    response = client.audio.speech.create(model="tts-1", voice="echo", input="hello")
    assert response.content[:2] == b"\xff\xf3"


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"model": "tts-1", "voice": "marin"}, "voice"),
        ({"model": "tts-1", "voice": "alloy", "instructions": "Speak kindly"}, "instructions"),
        ({"model": "tts-1", "voice": "alloy", "speed": 5.0}, "speed"),
        ({"model": "tts-1", "voice": "alloy", "input": "x" * 4097}, "input"),
        ({"model": "tts-1", "voice": "alloy", "response_format": "ogg"}, "response_format"),
        ({"model": "tts-1", "voice": "alloy", "stream_format": "sse"}, "stream_format"),
    ],
)
def test_speech_validation(client: openai.OpenAI, kwargs: dict, param: str) -> None:
    kwargs.setdefault("input", "hello")
    with pytest.raises(openai.BadRequestError) as info:
        client.audio.speech.create(**kwargs)
    assert info.value.param == param


def test_speech_instructions_and_sse_for_mini_tts(sandbox: Sandbox) -> None:
    response = httpx2.post(
        f"{sandbox.base_url}/audio/speech",
        headers={"Authorization": f"Bearer {sandbox.api_key}"},
        json={"model": "gpt-4o-mini-tts", "voice": "coral", "input": "Hola", "instructions": "Habla como un agente amable",
              "response_format": "pcm", "stream_format": "sse"},
    )
    assert response.status_code == 200
    events = [__import__("json").loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]
    assert events[-1]["type"] == "speech.audio.done"
    audio = b"".join(base64.b64decode(e["audio"]) for e in events[:-1])
    assert len(audio) == 24000 * 2 // 2  # 4 chars → the 0.5 s minimum
    usage = events[-1]["usage"]
    assert usage["input_tokens"] == count_tokens("Hola", "gpt-4o-mini-tts") + count_tokens("Habla como un agente amable", "gpt-4o-mini-tts")
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


# --- transcription ------------------------------------------------------------------------


def test_whisper_json_usage_is_duration_from_wav_header(client: openai.OpenAI) -> None:
    result = client.audio.transcriptions.create(model="whisper-1", file=("grabacion.wav", _wav_bytes(3.2)))
    assert isinstance(result, Transcription)
    assert "simulated transcription" in result.text and "grabacion.wav" in result.text
    assert result.usage.type == "duration" and result.usage.seconds == 4  # billed per started second


def test_gpt4o_transcribe_token_usage(client: openai.OpenAI) -> None:
    result = client.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=("a.wav", _wav_bytes(6.0)), language="es", prompt="Vocabulario: conduit"
    )
    usage = result.usage
    assert usage.type == "tokens"
    assert usage.input_token_details.audio_tokens == 100  # 6 s at 1,000 tokens/min
    assert usage.input_token_details.text_tokens == count_tokens("Vocabulario: conduit", "gpt-4o-transcribe")
    assert usage.output_tokens == count_tokens(result.text, "gpt-4o-transcribe")


def test_transcript_is_scriptable_and_formats(client: openai.OpenAI, sandbox: Sandbox) -> None:
    sandbox.script(ScriptedReply(content="Hola mundo. Adiós mundo.", path="/v1/audio/transcriptions"))
    verbose = client.audio.transcriptions.create(
        model="whisper-1", file=("a.wav", _wav_bytes(4.0)), response_format="verbose_json", timestamp_granularities=["word", "segment"]
    )
    assert isinstance(verbose, TranscriptionVerbose)
    assert verbose.text == "Hola mundo. Adiós mundo."
    assert verbose.duration == 4.0 and verbose.segments[-1].end == 4.0 and len(verbose.words) == 4
    srt = client.audio.transcriptions.create(model="whisper-1", file=("a.wav", _wav_bytes(4.0)), response_format="srt")
    assert srt.startswith("1\n00:00:00,000 --> ")
    vtt = client.audio.transcriptions.create(model="whisper-1", file=("a.wav", _wav_bytes(4.0)), response_format="vtt")
    assert vtt.startswith("WEBVTT")
    text = client.audio.transcriptions.create(model="whisper-1", file=("a.wav", _wav_bytes(1.0)), response_format="text")
    assert isinstance(text, str) and "simulated" in text


def test_transcription_streaming_for_gpt4o_models(client: openai.OpenAI) -> None:
    events = list(client.audio.transcriptions.create(model="gpt-4o-mini-transcribe", file=("a.wav", _wav_bytes(2.0)), stream=True))
    assert events[-1].type == "transcript.text.done"
    assert "".join(e.delta for e in events[:-1]) == events[-1].text
    assert events[-1].usage.input_token_details.audio_tokens == 34


@pytest.mark.parametrize("fmt", ["mp3", "flac", "opus"])
def test_durations_of_other_formats(client: openai.OpenAI, fmt: str) -> None:
    data = audio_media.encode(fmt, 12.3, "x")
    result = client.audio.transcriptions.create(model="whisper-1", file=(f"a.{fmt}", data), response_format="verbose_json")
    assert abs(result.duration - 12.3) < 0.05


def test_transcription_rejects_bad_input_before_billing(client: openai.OpenAI, sandbox: Sandbox) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.audio.transcriptions.create(model="whisper-1", file=("notes.txt", b"this is not audio at all"))
    assert info.value.param == "file" and "Supported formats" in info.value.message
    with pytest.raises(openai.BadRequestError) as info:
        client.audio.transcriptions.create(model="gpt-4o-transcribe", file=("a.wav", _wav_bytes(1)), response_format="srt")
    assert info.value.param == "response_format"
    with pytest.raises(openai.BadRequestError):
        client.audio.transcriptions.create(model="whisper-1", file=("a.wav", _wav_bytes(1)), stream=True)
    with pytest.raises(openai.BadRequestError) as info:
        client.audio.transcriptions.create(model="tts-1", file=("a.wav", _wav_bytes(1)))
    assert info.value.param == "model"
    assert all(r.status == 400 for r in sandbox.requests)


def test_upload_over_25_mb_is_413(client: openai.OpenAI) -> None:
    big = _wav_bytes(1) + bytes(25 * 1024 * 1024)
    with pytest.raises(openai.APIStatusError) as info:
        client.audio.transcriptions.create(model="whisper-1", file=("big.wav", big))
    assert info.value.status_code == 413


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK marks translations deprecated; the API still serves them
def test_translation_whisper_only(client: openai.OpenAI) -> None:
    result = client.audio.translations.create(model="whisper-1", file=("a.wav", _wav_bytes(2)))
    assert "English translation" in result.text
    with pytest.raises(openai.BadRequestError):
        client.audio.translations.create(model="gpt-4o-transcribe", file=("a.wav", _wav_bytes(2)))


def test_image_edit_with_several_images_and_mask(client: openai.OpenAI, sandbox: Sandbox) -> None:
    from conduit.sandbox.media.images import png

    first, second = png(256, 256, "a"), png(512, 256, "b")
    result = client.images.edit(
        model="gpt-image-2",
        image=[("a.png", first, "image/png"), ("b.png", second, "image/png")],
        mask=("mask.png", png(256, 256, "m", transparent=True), "image/png"),
        prompt="merge them",
    )
    single = client.images.edit(model="gpt-image-2", image=("a.png", first, "image/png"), prompt="merge them")
    assert result.usage.input_tokens_details.image_tokens > single.usage.input_tokens_details.image_tokens > 0
    assert [i["filename"] for i in sandbox.requests[0].form["image"]] == ["a.png", "b.png"]
    with pytest.raises(openai.BadRequestError) as info:
        client.images.edit(
            model="gpt-image-2",
            image=("a.png", first, "image/png"),
            mask=("mask.png", png(128, 128, "m"), "image/png"),
            prompt="x",
        )
    assert info.value.param == "mask"


def test_image_streaming_with_partial_images(client: openai.OpenAI) -> None:
    events = list(client.images.generate(model="gpt-image-2", prompt="a boat", stream=True, partial_images=2, quality="low"))
    assert [e.type for e in events] == ["image_generation.partial_image"] * 2 + ["image_generation.completed"]
    assert [e.partial_image_index for e in events[:2]] == [0, 1]
    final = events[-1]
    assert _png_size(base64.b64decode(final.b64_json)) == (1024, 1024)
    assert final.usage.output_tokens == 272 + 2 * 100
    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="gpt-image-2", prompt="a boat", partial_images=2)
    assert info.value.param == "partial_images"


def test_transcription_logprobs(client: openai.OpenAI) -> None:
    result = client.audio.transcriptions.create(model="gpt-4o-transcribe", file=("a.wav", _wav_bytes(1.0)), include=["logprobs"])
    assert "".join(lp.token for lp in result.logprobs) == result.text
    events = list(client.audio.transcriptions.create(model="gpt-4o-transcribe", file=("a.wav", _wav_bytes(1.0)), include=["logprobs"], stream=True))
    assert all(e.logprobs for e in events)
