"""Join audio clips of one format into one file (long speech synthesised in parts).

WAV and raw PCM join by concatenating samples; MP3 and ADTS AAC are streams
of self-contained frames, so they join by concatenating frames (dropping the
ID3 tags and the Xing/Info header frame, whose frame count would describe
only the first clip). FLAC and Ogg Opus carry stream-wide headers and
checksums: those are decoded and re-encoded with ffmpeg.
"""

from __future__ import annotations

from typing import Sequence

from conduit.errors import ValidationError
from conduit.media.wav import PcmAudio, read_wav, write_wav

__all__ = ["join_audio", "JOINABLE_WITHOUT_FFMPEG"]

JOINABLE_WITHOUT_FFMPEG = ("wav", "pcm", "mp3", "aac")

_MP3_BITRATES_V1 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MP3_BITRATES_V2 = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _strip_id3(data: bytes) -> bytes:
    if data[:3] == b"ID3" and len(data) >= 10:
        size = data[6:10]
        skip = 10 + ((size[0] & 0x7F) << 21 | (size[1] & 0x7F) << 14 | (size[2] & 0x7F) << 7 | (size[3] & 0x7F))
        if data[5] & 0x10:  # footer present
            skip += 10
        data = data[skip:]
    if len(data) >= 128 and data[-128:-125] == b"TAG":
        data = data[:-128]
    return data


def _mp3_frame_length(header: bytes) -> int | None:
    """Length in bytes of the Layer III frame starting with ``header`` (4 bytes), or None."""
    if len(header) < 4 or header[0] != 0xFF or (header[1] & 0xE0) != 0xE0:
        return None
    version = (header[1] >> 3) & 3
    layer = (header[1] >> 1) & 3
    bitrate_index = header[2] >> 4
    rate_index = (header[2] >> 2) & 3
    padding = (header[2] >> 1) & 1
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    rate = _MP3_RATES[version][rate_index]
    if version == 3:
        return 144 * _MP3_BITRATES_V1[bitrate_index] * 1000 // rate + padding
    return 72 * _MP3_BITRATES_V2[bitrate_index] * 1000 // rate + padding


def _strip_xing(data: bytes) -> bytes:
    """Drop a leading Xing/Info/VBRI frame (it describes one clip's length, not the joined file's)."""
    length = _mp3_frame_length(data[:4])
    if length is None:
        return data
    first = data[:length]
    if b"Xing" in first[:64] or b"Info" in first[:64] or b"VBRI" in first[:64]:
        return data[length:]
    return data


def _join_wav(clips: Sequence[bytes]) -> bytes:
    audios = [read_wav(clip) for clip in clips]
    first = audios[0]
    for index, audio in enumerate(audios[1:], start=1):
        if (audio.sample_rate, audio.channels, audio.sample_width) != (first.sample_rate, first.channels, first.sample_width):
            raise ValidationError(
                f"Clip {index + 1} has a different sample layout from clip 1; WAV clips must match to be joined.",
                "Synthesise all parts with the same model and format.",
            )
    return write_wav(PcmAudio(b"".join(a.data for a in audios), first.sample_rate, first.channels, first.sample_width))


def _join_with_ffmpeg(clips: Sequence[bytes], fmt: str) -> bytes:
    from conduit.media.ffmpeg import from_wav, to_wav

    decoded = [to_wav(clip, sample_rate=24_000) for clip in clips]
    return from_wav(_join_wav(decoded), fmt)


def join_audio(clips: Sequence[bytes], fmt: str) -> bytes:
    """One ``fmt`` file (mp3, wav, pcm, aac, flac, opus) playing ``clips`` back to back."""
    clips = [clip for clip in clips if clip]
    if not clips:
        return b""
    if len(clips) == 1:
        return clips[0]
    if fmt == "pcm" or fmt == "aac":
        return b"".join(clips)
    if fmt == "wav":
        return _join_wav(clips)
    if fmt == "mp3":
        parts = [_strip_xing(_strip_id3(clip)) for clip in clips]
        return b"".join(parts)
    if fmt in ("flac", "opus"):
        return _join_with_ffmpeg(clips, fmt)
    raise ValidationError(f"Cannot join {fmt!r} audio.", "Use one of: mp3, wav, pcm, aac, flac, opus.")
