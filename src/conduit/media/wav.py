"""PCM WAV in and out, with the standard library only.

Splitting a long recording on silence and joining synthesised speech both
need samples, not just a duration. WAV (PCM) is the one format we can decode
without a codec, so it is the working format: other inputs are decoded to it
with ffmpeg (:mod:`conduit.media.ffmpeg`). ``wave`` in Python 3.11 refuses
``WAVE_FORMAT_EXTENSIBLE`` headers, which many recorders write, hence this
small RIFF reader.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from conduit.errors import ValidationError

__all__ = ["PcmAudio", "read_wav", "write_wav"]

_PCM = 1
_EXTENSIBLE = 0xFFFE


@dataclass(frozen=True, slots=True)
class PcmAudio:
    """Interleaved little-endian integer PCM samples and their layout."""

    data: bytes
    sample_rate: int
    channels: int
    sample_width: int  # bytes per sample: 1, 2, 3 or 4

    @property
    def frame_size(self) -> int:
        return self.channels * self.sample_width

    @property
    def frames(self) -> int:
        return len(self.data) // self.frame_size

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate

    @property
    def byte_rate(self) -> int:
        return self.sample_rate * self.frame_size

    def slice(self, start_frame: int, end_frame: int) -> "PcmAudio":
        """Frames ``[start_frame, end_frame)`` as new audio with the same layout."""
        size = self.frame_size
        return PcmAudio(self.data[start_frame * size : end_frame * size], self.sample_rate, self.channels, self.sample_width)


def read_wav(data: bytes) -> PcmAudio:
    """Decode a PCM WAV file; ValidationError if it is not one (or is damaged)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValidationError("The file is not a WAV file.", "Give a .wav file, or install ffmpeg to read other formats.")
    index = 12
    fmt: tuple[int, int, int, int] | None = None
    while index + 8 <= len(data):
        chunk_id = data[index : index + 4]
        size = struct.unpack("<I", data[index + 4 : index + 8])[0]
        body = index + 8
        if chunk_id == b"fmt ":
            if size < 16:
                break
            tag, channels, rate, _byte_rate, _align, bits = struct.unpack("<HHIIHH", data[body : body + 16])
            if tag == _EXTENSIBLE and size >= 40:
                tag = struct.unpack("<H", data[body + 24 : body + 26])[0]
            if tag != _PCM:
                raise ValidationError(
                    f"The WAV file holds compressed audio (format tag {tag:#x}), not PCM.",
                    "Convert it to 16-bit PCM WAV, or install ffmpeg so conduit can decode it.",
                )
            if bits not in (8, 16, 24, 32) or not channels or not rate:
                raise ValidationError(f"Unsupported WAV layout: {bits}-bit, {channels} channel(s), {rate} Hz.",
                                      "Convert it to 16-bit PCM WAV.")
            fmt = (tag, channels, rate, bits // 8)
        elif chunk_id == b"data":
            if fmt is None:
                break
            available = len(data) - body
            if size in (0, 0xFFFFFFFF) or size > available:  # streaming writers leave the size open
                size = available
            _, channels, rate, width = fmt
            usable = size - size % (channels * width)
            return PcmAudio(data[body : body + usable], rate, channels, width)
        index = body + size + (size & 1)
    raise ValidationError("The WAV file is damaged: no format or data chunk.", "Re-export the recording as WAV.")


def write_wav(audio: PcmAudio) -> bytes:
    """A canonical 44-byte-header PCM WAV file for ``audio``."""
    header = b"RIFF" + struct.pack("<I", 36 + len(audio.data)) + b"WAVE"
    fmt = b"fmt " + struct.pack(
        "<IHHIIHH", 16, _PCM, audio.channels, audio.sample_rate, audio.byte_rate, audio.frame_size, audio.sample_width * 8
    )
    return header + fmt + b"data" + struct.pack("<I", len(audio.data)) + audio.data
