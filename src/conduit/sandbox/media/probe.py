"""What an uploaded audio file is, and how long it lasts (best effort, no decoder).

The transcription endpoints bill by duration, so the sandbox reads it the way
a careful client would: exactly from WAV, FLAC and Ogg headers and MPEG
frames, from the ``mvhd`` box of MP4/M4A, and from WebM's ``Duration``
element (or, for live recordings without one, the last cluster's timecode). Bytes that are none of the accepted formats
are refused, like the real API refuses them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

SUPPORTED = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")


class UnreadableAudio(ValueError):
    """The bytes claim an audio format but its headers are broken."""


@dataclass(frozen=True)
class AudioInfo:
    format: str
    seconds: float


def probe(data: bytes) -> AudioInfo | None:
    """(format, duration) of ``data``; None if it is not a supported audio format."""
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return AudioInfo("wav", _wav_seconds(data))
    if data[:4] == b"fLaC":
        return AudioInfo("flac", _flac_seconds(data))
    if data[:4] == b"OggS":
        return AudioInfo("ogg", _ogg_seconds(data))
    if len(data) >= 12 and data[4:8] == b"ftyp":
        return AudioInfo("mp4", _mp4_seconds(data))
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return AudioInfo("webm", _webm_seconds(data))
    if data[:3] == b"ID3" or (len(data) >= 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        seconds = _mpeg_seconds(data)
        if seconds is not None:
            return AudioInfo("mp3", seconds)
    return None


def _wav_seconds(data: bytes) -> float:
    position = 12
    byte_rate = None
    while position + 8 <= len(data):
        kind, size = data[position : position + 4], struct.unpack("<I", data[position + 4 : position + 8])[0]
        body = position + 8
        if kind == b"fmt " and size >= 16:
            _, channels, rate, byte_rate, align, bits = struct.unpack("<HHIIHH", data[body : body + 16])
            if not (channels and rate and byte_rate):
                raise UnreadableAudio("WAV header has zero channels, rate or byte rate")
        elif kind == b"data":
            if byte_rate is None:
                raise UnreadableAudio("WAV data chunk before its fmt chunk")
            available = min(size, len(data) - body)
            return available / byte_rate
        position = body + size + (size & 1)
    raise UnreadableAudio("WAV file has no data chunk")


def _flac_seconds(data: bytes) -> float:
    if len(data) < 42 or data[4] & 0x7F != 0:
        raise UnreadableAudio("FLAC file lacks STREAMINFO")
    packed = int.from_bytes(data[18:26], "big")
    rate = packed >> 44
    total = packed & ((1 << 36) - 1)
    if not rate:
        raise UnreadableAudio("FLAC STREAMINFO has sample rate 0")
    return total / rate


def _ogg_seconds(data: bytes) -> float:
    rate = 48_000 if b"OpusHead" in data[:200] else None
    if rate is None:
        index = data.find(b"\x01vorbis", 0, 200)
        if index >= 0 and index + 16 <= len(data):
            rate = struct.unpack("<I", data[index + 12 : index + 16])[0]
    if not rate:
        raise UnreadableAudio("Ogg stream is neither Opus nor Vorbis")
    last = data.rfind(b"OggS")
    if last < 0 or last + 14 > len(data):
        raise UnreadableAudio("Ogg file has no complete page")
    granule = struct.unpack("<q", data[last + 6 : last + 14])[0]
    pre_skip = 0
    head = data.find(b"OpusHead")
    if head >= 0 and head + 12 <= len(data):
        pre_skip = struct.unpack("<H", data[head + 10 : head + 12])[0]
    return max(0, granule - pre_skip) / rate


def _mp4_seconds(data: bytes) -> float:
    index = data.find(b"mvhd")
    if index < 4 or index + 24 > len(data):
        raise UnreadableAudio("MP4 file has no movie header (mvhd)")
    version = data[index + 4]
    if version == 1:
        timescale, duration = struct.unpack(">IQ", data[index + 24 : index + 36])
    else:
        timescale, duration = struct.unpack(">II", data[index + 16 : index + 24])
    if not timescale:
        raise UnreadableAudio("MP4 movie header has timescale 0")
    return duration / timescale


_MPEG_BITRATES = {
    (1, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MPEG_RATES = {1: (44100, 48000, 32000), 2: (22050, 24000, 16000), 25: (11025, 12000, 8000)}


def _mpeg_seconds(data: bytes) -> float | None:
    """Sum Layer III frame durations (skipping an ID3v2 tag); None if no frames are found."""
    position = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        size = (data[6] & 0x7F) << 21 | (data[7] & 0x7F) << 14 | (data[8] & 0x7F) << 7 | (data[9] & 0x7F)
        position = 10 + size
    samples = 0.0
    frames = 0
    while position + 4 <= len(data):
        b1, b2, b3 = data[position + 1], data[position + 2], data[position + 3]
        if data[position] != 0xFF or b1 & 0xE0 != 0xE0:
            if frames:
                break
            position += 1
            if position > 65536:
                return None
            continue
        version_bits = (b1 >> 3) & 3
        version = {3: 1, 2: 2, 0: 25}.get(version_bits)
        layer = 4 - ((b1 >> 1) & 3)
        bitrate_index, rate_index, padding = b2 >> 4, (b2 >> 2) & 3, (b2 >> 1) & 1
        if version is None or layer != 3 or bitrate_index in (0, 15) or rate_index == 3:
            if frames:
                break
            position += 1
            continue
        bitrate = _MPEG_BITRATES[(1 if version == 1 else 2, 3)][bitrate_index] * 1000
        rate = _MPEG_RATES[version][rate_index]
        per_frame = 1152 if version == 1 else 576
        size = (144 if version == 1 else 72) * bitrate // rate + padding
        samples += per_frame / rate
        frames += 1
        position += size
        del b3
    return samples if frames else None


_EBML_SEGMENT, _EBML_INFO, _EBML_CLUSTER = 0x18538067, 0x1549A966, 0x1F43B675
_EBML_TIMECODE_SCALE, _EBML_DURATION, _EBML_CLUSTER_TIMECODE = 0x2AD7B1, 0x4489, 0xE7


def _vint(data: bytes, position: int, *, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at ``position``: (value, length)."""
    first = data[position]
    length = 9 - first.bit_length()
    if not 1 <= length <= 8 or position + length > len(data):
        raise UnreadableAudio("WebM element header is malformed")
    value = first if keep_marker else first & ((1 << (8 - length)) - 1)
    for byte in data[position + 1 : position + length]:
        value = (value << 8) | byte
    return value, length


def _ebml_children(data: bytes, start: int, end: int):  # type: ignore[no-untyped-def]
    position = start
    while position < min(end, len(data)) - 1:
        element, id_length = _vint(data, position, keep_marker=True)
        size, size_length = _vint(data, position + id_length, keep_marker=False)
        body = position + id_length + size_length
        unknown = size == (1 << (7 * size_length)) - 1
        yield element, body, (len(data) if unknown else body + size)
        if unknown:
            return  # an unknown-size master element (live stream) runs to the end; the caller descends into it
        position = body + size


def _webm_seconds(data: bytes) -> float:
    scale = 1_000_000  # nanoseconds per timecode tick (the default)
    last_cluster: int | None = None
    pending = [(0, len(data))]
    while pending:
        start, end = pending.pop(0)
        for element, body, child_end in _ebml_children(data, start, end):
            if element in (_EBML_SEGMENT, _EBML_CLUSTER):
                pending.append((body, child_end))  # master elements holding what we need
            elif element == _EBML_INFO:
                duration = None
                for child, child_body, info_end in _ebml_children(data, body, child_end):
                    raw = data[child_body:info_end]
                    if child == _EBML_TIMECODE_SCALE:
                        scale = int.from_bytes(raw, "big") or scale
                    elif child == _EBML_DURATION and len(raw) in (4, 8):
                        duration = struct.unpack(">f" if len(raw) == 4 else ">d", raw)[0]
                if duration:
                    return duration * scale / 1e9
            elif element == _EBML_CLUSTER_TIMECODE:
                last_cluster = int.from_bytes(data[body:child_end], "big")
    if last_cluster is not None:
        return last_cluster * scale / 1e9
    raise UnreadableAudio("WebM file has neither a duration nor clusters")
