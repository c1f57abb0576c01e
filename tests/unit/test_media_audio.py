"""Audio helpers: WAV in/out, probing, splitting on silence with overlap, joining clips."""

from __future__ import annotations

import math
import struct

import pytest

from conduit.errors import ValidationError
from conduit.media.ffmpeg import ffmpeg_path
from conduit.media.join import join_audio
from conduit.media.probe import audio_seconds, probe_audio, sniff_format
from conduit.media.split import SILENCE_LEVEL, plan_cuts, split_audio, split_pcm
from conduit.media.wav import PcmAudio, read_wav, write_wav
from conduit.sandbox.media import audio as sandbox_audio

RATE = 16_000


def _tone(seconds: float, amplitude: float = 0.5, frequency: float = 220.0) -> bytes:
    count = int(seconds * RATE)
    peak = int(32767 * amplitude)
    return struct.pack(f"<{count}h", *(int(peak * math.sin(2 * math.pi * frequency * i / RATE)) for i in range(count)))


def _silence(seconds: float) -> bytes:
    return bytes(int(seconds * RATE) * 2)


def _speech_like(pattern: list[tuple[str, float]]) -> PcmAudio:
    """Tone ("s"peech) and silence ("q"uiet) runs, 16 kHz mono 16-bit."""
    data = b"".join(_tone(length) if kind == "s" else _silence(length) for kind, length in pattern)
    return PcmAudio(data, RATE, 1, 2)


def test_wav_round_trip_and_extensible_header() -> None:
    audio = _speech_like([("s", 0.5), ("q", 0.25)])
    encoded = write_wav(audio)
    assert read_wav(encoded) == audio
    assert audio_seconds(encoded) == pytest.approx(0.75)
    # WAVE_FORMAT_EXTENSIBLE with a PCM sub-format (what many recorders write)
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, 1, RATE, RATE * 2, 2, 16, 22, 16, 4) + struct.pack("<H", 1) + bytes(14)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(audio.data)) + audio.data
    extensible = b"RIFF" + struct.pack("<I", len(body)) + body
    assert read_wav(extensible).data == audio.data


def test_read_wav_refuses_non_wav_and_compressed() -> None:
    with pytest.raises(ValidationError, match="not a WAV"):
        read_wav(b"ID3\x03" + bytes(100))
    fmt = struct.pack("<HHIIHH", 0x55, 1, 8000, 1000, 1, 0)  # MP3-in-WAV
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", 4) + bytes(4)
    with pytest.raises(ValidationError, match="compressed"):
        read_wav(b"RIFF" + struct.pack("<I", len(body)) + body)


def test_probe_formats_including_speech_outputs() -> None:
    assert probe_audio(sandbox_audio.wav(2.0, "hola")).format == "wav"
    assert probe_audio(sandbox_audio.wav(2.0, "hola")).seconds == pytest.approx(2.0)
    aac = sandbox_audio.encode("aac", 3.0, "hola")
    assert sniff_format(aac) == "aac"  # ADTS is not mistaken for MP3
    assert audio_seconds(aac) == pytest.approx(3.0, abs=0.1)  # whole 1024-sample frames
    mp3 = sandbox_audio.encode("mp3", 4.0, "hola")
    assert sniff_format(mp3) == "mp3" and audio_seconds(mp3) == pytest.approx(4.0, abs=0.05)
    pcm = sandbox_audio.encode("pcm", 1.5, "hola")
    assert audio_seconds(pcm, "pcm") == pytest.approx(1.5)
    not_audio = probe_audio(b"%PDF-1.7 this is a document")
    assert not not_audio.is_audio and not_audio.seconds is None


def test_cuts_land_in_silence_without_overlap() -> None:
    # 4 s speech / 0.6 s pause, repeated: a 10 s limit must cut inside a pause
    audio = _speech_like([("s", 4.0), ("q", 0.6)] * 6)
    cuts = plan_cuts(audio, max_seconds=10.0, overlap=2.0)
    assert len(cuts) >= 3
    for start, end, overlap, silent in cuts[:-1]:
        assert silent and overlap == 0.0
        assert end - start <= 10.0
        assert math.fmod(end, 4.6) > 4.0  # inside a 4.0-4.6 s pause of its 4.6 s cycle
    assert cuts[-1][1] == pytest.approx(audio.seconds)
    # consecutive parts cover the recording without gaps
    assert all(a[1] == pytest.approx(b[0]) for a, b in zip(cuts, cuts[1:]))


def test_no_silence_means_overlap_at_the_quietest_point() -> None:
    audio = _speech_like([("s", 25.0)])
    cuts = plan_cuts(audio, max_seconds=10.0, overlap=2.0)
    assert len(cuts) == 3
    (s0, e0, o0, q0), (s1, e1, o1, q1), (s2, e2, o2, q2) = cuts
    assert not q0 and o0 == 0.0
    assert o1 == 2.0 and s1 == pytest.approx(e0 - 2.0)
    assert max(e0 - s0, e1 - s1, e2 - s2) <= 10.0
    assert e2 == pytest.approx(25.0)


def test_split_parts_fit_the_byte_limit_and_are_valid_wav() -> None:
    audio = _speech_like([("s", 3.0), ("q", 0.5)] * 8)  # 28 s, 32 kB/s
    limit = 300_000  # ~9.4 s per part
    parts = split_audio(write_wav(audio), max_bytes=limit)
    assert len(parts) >= 3
    assert all(len(p.data) <= limit for p in parts)
    decoded = [read_wav(p.data) for p in parts]
    assert sum(d.seconds for d in decoded) == pytest.approx(audio.seconds, abs=0.01)
    assert all(p.on_silence for p in parts)


def test_split_short_audio_is_one_part() -> None:
    audio = _speech_like([("s", 1.0)])
    [part] = split_pcm(audio, max_seconds=10.0)
    assert read_wav(part.data) == audio and part.overlap == 0.0


def test_silence_threshold_is_relative_to_full_scale() -> None:
    quiet_hum = _speech_like([("s", 1.0)])
    assert SILENCE_LEVEL < 0.5  # the test tones peak at half scale: never "silence"
    assert plan_cuts(quiet_hum, 10.0) == [(0.0, 1.0, 0.0, True)]


@pytest.mark.parametrize("fmt", ["mp3", "aac", "pcm", "wav"])
def test_join_without_ffmpeg_adds_durations(fmt: str) -> None:
    clips = [sandbox_audio.encode(fmt, seconds, "hola") for seconds in (1.0, 2.5, 0.75)]
    joined = join_audio(clips, fmt)
    # each clip is whole codec frames long, so compare with the clips' own durations
    expected = sum(audio_seconds(clip, fmt) for clip in clips)
    assert expected == pytest.approx(4.25, abs=0.2)
    assert audio_seconds(joined, fmt) == pytest.approx(expected, abs=0.01)
    assert join_audio(clips[:1], fmt) == clips[0]


def test_join_wav_refuses_mismatched_layouts() -> None:
    mono = write_wav(PcmAudio(bytes(3200), 16000, 1, 2))
    stereo = write_wav(PcmAudio(bytes(3200), 16000, 2, 2))
    with pytest.raises(ValidationError, match="different sample layout"):
        join_audio([mono, stereo], "wav")


def test_join_mp3_drops_id3_tags_between_clips() -> None:
    frame_clip = sandbox_audio.encode("mp3", 1.0, "x")
    tagged = b"ID3\x03\x00\x00\x00\x00\x00\x0a" + bytes(10) + frame_clip + b"TAG" + bytes(125)
    joined = join_audio([tagged, tagged], "mp3")
    assert joined.count(b"ID3") == 0 and joined.count(b"TAG") == 0
    assert audio_seconds(joined) == pytest.approx(2.0, abs=0.05)


needs_ffmpeg = pytest.mark.skipif(ffmpeg_path() is None, reason="ffmpeg not installed")


@needs_ffmpeg
@pytest.mark.parametrize("fmt", ["flac", "opus"])
def test_join_with_ffmpeg(fmt: str) -> None:
    from conduit.media.ffmpeg import from_wav

    clips = [from_wav(write_wav(_speech_like([("s", seconds)])), fmt) for seconds in (1.0, 2.0)]
    joined = join_audio(clips, fmt)
    assert audio_seconds(joined) == pytest.approx(3.0, abs=0.1)


@needs_ffmpeg
def test_split_compressed_input_via_ffmpeg() -> None:
    from conduit.media.ffmpeg import from_wav

    mp3 = from_wav(write_wav(_speech_like([("s", 3.0), ("q", 0.6)] * 4)), "mp3")
    parts = split_audio(mp3, max_bytes=200_000)  # 16 kHz mono WAV parts of ~6 s
    assert len(parts) >= 2
    assert sum(read_wav(p.data).seconds for p in parts) == pytest.approx(14.4, abs=0.2)
