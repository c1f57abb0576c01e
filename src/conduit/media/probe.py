"""What an audio file is and how long it lasts, before anything is uploaded.

The container parsers live in :mod:`conduit.tokens.audio` (the catalog
colleague's duration reader, shared with chat audio counting); this module
adds what the media endpoints need on top: ADTS AAC and raw PCM (two of the
speech endpoint's output formats), and a verdict on an upload -- audio we can
measure, audio we can only bound, or not audio at all.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = ["AudioProbe", "probe_audio", "sniff_format", "audio_seconds", "PCM_SAMPLE_RATE"]

# OpenAI's ``pcm`` speech format: 24 kHz, 16-bit signed little-endian, mono.
PCM_SAMPLE_RATE = 24_000
_AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)


@dataclass(frozen=True, slots=True)
class AudioProbe:
    """``format`` (None: not audio); ``seconds`` (None: unreadable); ``exact`` when read from a header."""

    format: str | None
    seconds: float | None

    @property
    def is_audio(self) -> bool:
        return self.format is not None


def _is_adts(data: bytes) -> bool:
    return len(data) > 7 and data[0] == 0xFF and (data[1] & 0xF6) == 0xF0


def sniff_format(data: bytes) -> str | None:
    """Container of ``data``: wav, flac, ogg, webm, m4a, mp3, aac -- or None if not audio we know."""
    if _is_adts(data):
        return "aac"
    from conduit.tokens.audio import sniff_audio_format

    return sniff_audio_format(data)


def _adts_seconds(data: bytes) -> float | None:
    index, samples, rate = 0, 0, 0
    while index + 7 <= len(data):
        if not (data[index] == 0xFF and (data[index + 1] & 0xF6) == 0xF0):
            break
        rate_index = (data[index + 2] >> 2) & 0xF
        if rate_index >= len(_AAC_RATES):
            return None
        rate = _AAC_RATES[rate_index]
        length = ((data[index + 3] & 0x3) << 11) | (data[index + 4] << 3) | (data[index + 5] >> 5)
        if length < 7:
            return None
        samples += 1024 * ((data[index + 6] & 0x3) + 1)
        index += length
    return samples / rate if rate else None


def audio_seconds(data: bytes, fmt: str | None = None) -> float | None:
    """Duration of ``data`` in seconds; ``fmt="pcm"`` reads raw 24 kHz 16-bit mono (no header)."""
    if fmt == "pcm":
        return len(data) / (PCM_SAMPLE_RATE * 2)
    if _is_adts(data):
        try:
            return _adts_seconds(data)
        except (IndexError, struct.error):
            return None
    from conduit.tokens.audio import audio_duration

    return audio_duration(data)


def probe_audio(data: bytes) -> AudioProbe:
    """Sniff and measure an upload (header-only: no decoding, no ffmpeg)."""
    fmt = sniff_format(data)
    if fmt is None:
        return AudioProbe(None, None)
    return AudioProbe(fmt, audio_seconds(data))
