"""Faults, scripts, prompt cache, media files and import cost of conduit.sandbox, without a server."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from conduit.sandbox import Fault, ScriptedReply
from conduit.sandbox.faults import FaultBook
from conduit.sandbox.http import duration_header
from conduit.sandbox.media import audio, images, probe
from conduit.sandbox.prompt_cache import PromptCache, cached_amount
from conduit.sandbox.script import ScriptQueue
from conduit.sandbox.state import redact_headers


def test_import_is_cheap_and_does_not_load_openai() -> None:
    code = "import sys, conduit.sandbox; print('openai' in sys.modules, 'uvicorn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_fault_book_order_counts_and_filters() -> None:
    book = FaultBook()
    book.add(Fault("rate_limit", count=2, path="/v1/chat/completions"))
    book.add(Fault("server_error", count=1, model="gpt-4o"))
    assert book.take("/v1/embeddings", "gpt-4o-mini") is None
    assert book.take("/v1/embeddings", "gpt-4o").kind == "server_error"
    assert book.take("/v1/chat/completions", "x").kind == "rate_limit"
    assert book.take("/v1/chat/completions", "x").kind == "rate_limit"
    assert book.take("/v1/chat/completions", "gpt-4o") is None
    assert book.snapshot() == []


def test_fault_path_without_v1_prefix_matches() -> None:
    book = FaultBook()
    book.add(Fault("unavailable", path="chat/completions"))
    assert book.take("/v1/chat/completions", None).kind == "unavailable"


def test_fault_round_trips_through_dict() -> None:
    fault = Fault("stream_drop", after_chunks=4, model="m")
    data = {k: v for k, v in fault.to_dict().items() if k != "hits"}
    assert Fault.from_dict(data) == fault
    with pytest.raises(ValueError):
        Fault.from_dict({"kind": "drop", "bogus": 1})


def test_script_queue_model_filter_keeps_order() -> None:
    queue = ScriptQueue()
    queue.add(ScriptedReply(content="a", model="m1"))
    queue.add(ScriptedReply(content="b"))
    queue.add(ScriptedReply(content="c", model="m1"))
    assert queue.take("/v1/chat/completions", "m2").content == "b"
    assert queue.take("/v1/chat/completions", "m1").content == "a"
    assert queue.take("/v1/chat/completions", "m1").content == "c"
    assert queue.take("/v1/chat/completions", "m1") is None


def test_scripted_arguments_are_json_strings() -> None:
    reply = ScriptedReply(tool_calls=[{"name": "f", "arguments": {"ñ": 1}}])
    assert reply.tool_calls[0]["arguments"] == '{"ñ": 1}'
    with pytest.raises(ValueError):
        ScriptedReply(tool_calls=[{"arguments": {}}])


def test_cached_amount_rules() -> None:
    assert cached_amount(1023, 5000) == 0
    assert cached_amount(1024, 5000) == 1024
    assert cached_amount(1300, 5000) == 1280
    assert cached_amount(5000, 2000) == 1920


def test_prompt_cache_expires() -> None:
    now = [0.0]
    cache = PromptCache(clock=lambda: now[0])
    parts, counts = [{"role": "system", "content": "x"}, {"role": "user", "content": "y"}], [1500, 1510]
    assert cache.lookup_and_store("m", parts, counts, ttl=10) == 0
    assert cache.lookup_and_store("m", parts[:1] + [{"role": "user", "content": "z"}], [1500, 1520], ttl=10) == 1500
    now[0] = 11
    assert cache.lookup_and_store("m", parts, counts, ttl=10) == 0


def test_redaction_keeps_only_a_prefix() -> None:
    headers = redact_headers([("Authorization", "Bearer sk-proj-abcdefghijklmnop"), ("X-Other", "v")])
    assert headers["authorization"].startswith("Bearer sk-proj-") and "abcdefgh" not in headers["authorization"]
    assert headers["x-other"] == "v"


def test_duration_header_format() -> None:
    assert duration_header(0.02) == "20ms"
    assert duration_header(1.5) == "1.5s"
    assert duration_header(360) == "6m0s"


@pytest.mark.parametrize("fmt", ["wav", "mp3", "flac", "opus"])
@pytest.mark.parametrize("seconds", [0.3, 7.25])
def test_probe_reads_back_generated_durations(fmt: str, seconds: float) -> None:
    info = probe.probe(audio.encode(fmt, seconds, "seed"))
    assert info is not None
    assert abs(info.seconds - seconds) < 0.03


def test_probe_rejects_non_audio_and_broken_headers() -> None:
    assert probe.probe(b"%PDF-1.7 not audio") is None
    assert probe.probe(audio.encode("aac", 1.0, "x")) is None  # ADTS AAC is not an accepted upload format
    with pytest.raises(probe.UnreadableAudio):
        probe.probe(b"RIFF\x00\x00\x00\x00WAVEjunk")


av = pytest.importorskip("av", reason="PyAV (FFmpeg) decodes the generated media to prove it is valid")


def _decode(data: bytes, kind: str) -> list:
    import av.logging

    with av.logging.Capture() as logs:
        container = av.open(io.BytesIO(data))
        frames = list(container.decode(**{kind: 0}))
    errors = [line for line in logs if line[0] <= av.logging.ERROR]
    assert errors == []
    return frames


@pytest.mark.parametrize("fmt", ["wav", "mp3", "aac", "flac", "opus"])
def test_generated_audio_decodes_with_ffmpeg_at_the_right_length(fmt: str) -> None:
    frames = _decode(audio.encode(fmt, 4.2, "hola"), "audio")
    seconds = sum(f.samples for f in frames) / frames[0].sample_rate
    assert abs(seconds - 4.2) < 0.1  # codecs round to whole frames (MP3 24 ms, AAC 43 ms)


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp", "gif"])
@pytest.mark.parametrize(("width", "height"), [(1024, 1024), (1536, 864), (17, 9)])
def test_generated_images_decode_with_ffmpeg_at_the_right_size(fmt: str, width: int, height: int) -> None:
    (frame,) = _decode(images.encode(fmt, width, height, "seed"), "video")
    assert (frame.width, frame.height) == (width, height)
    rgb = frame.reformat(format="rgb24")
    plane = bytes(rgb.planes[0])
    centre = (height // 2) * rgb.planes[0].line_size + (width // 2) * 3
    expected = images.palette("seed")[8]
    assert all(abs(a - b) <= 2 for a, b in zip(plane[centre : centre + 3], expected)) or fmt == "png"


def test_png_transparency_band() -> None:
    data = images.png(32, 32, "s", transparent=True)
    assert b"tRNS" in data
    assert _decode(data, "video")[0].format.name in ("pal8", "rgba")


def _encode_with_ffmpeg(container: str, codec: str, seconds: float, rate: int) -> bytes:
    """A real encoder's file (LAME, FFmpeg AAC, libopus, FLAC): what users actually upload."""
    import array
    import math
    from fractions import Fraction

    buffer = io.BytesIO()
    output = av.open(buffer, mode="w", format=container)
    stream = output.add_stream(codec, rate=rate)
    stream.layout = "mono"
    frame_size = stream.codec_context.frame_size or 1024
    total, done = int(seconds * rate), 0
    while done < total:
        count = min(frame_size, total - done)
        frame = av.AudioFrame(format="s16", layout="mono", samples=count)
        samples = array.array("h", (int(3000 * math.sin(2 * math.pi * 440 * (done + i) / rate)) for i in range(count)))
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate, frame.pts, frame.time_base = rate, done, Fraction(1, rate)
        for packet in stream.encode(frame):
            output.mux(packet)
        done += count
    for packet in stream.encode(None):
        output.mux(packet)
    output.close()
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("container", "codec", "rate", "expected_format", "tolerance"),
    [
        ("mp3", "libmp3lame", 44100, "mp3", 0.08),  # LAME adds an info frame and encoder padding
        ("ipod", "aac", 44100, "mp4", 0.02),  # .m4a
        ("webm", "libopus", 48000, "webm", 0.02),
        ("ogg", "libopus", 48000, "ogg", 0.02),
        ("flac", "flac", 44100, "flac", 0.01),
        ("wav", "pcm_s16le", 16000, "wav", 0.01),
    ],
)
def test_probe_reads_real_encoder_output(container: str, codec: str, rate: int, expected_format: str, tolerance: float) -> None:
    if codec not in av.codecs_available:
        pytest.skip(f"this FFmpeg build has no {codec} encoder")
    info = probe.probe(_encode_with_ffmpeg(container, codec, 3.7, rate))
    assert info is not None and info.format == expected_format
    assert abs(info.seconds - 3.7) <= tolerance
