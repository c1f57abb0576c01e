"""Audio durations from file bytes, for estimates before a call.

Transcription is billed by duration (whisper-1 per minute, gpt-4o-transcribe
by audio tokens ~ duration), and audio input to chat models costs tokens per
second; so the meters need an audio file's length without decoding it. Each
format's container records it in a header: WAV (byte rate), FLAC (STREAMINFO),
MP3 (Xing/VBRI frame count, else bitrate), Ogg (last granule position),
MP4/M4A (``mvhd``), WebM/Matroska (``Duration`` element). When a header
cannot be read, :func:`audio_duration_upper_bound` gives a conservative bound
from the byte size at 2 kbit/s -- below what any accepted format reaches,
silence in Opus with DTX included.
"""

from __future__ import annotations

import base64
import binascii
import math
import struct
from pathlib import Path
from typing import Any, Mapping

__all__ = [
    "AUDIO_INPUT_TOKENS_PER_SECOND",
    "AUDIO_OUTPUT_TOKENS_PER_SECOND",
    "audio_duration",
    "audio_duration_from_file",
    "audio_duration_upper_bound",
    "audio_part_tokens",
    "sniff_audio_format",
]

# OpenAI Realtime/audio docs: user audio is 1 token per 100 ms, assistant audio 1 token per 50 ms.
AUDIO_INPUT_TOKENS_PER_SECOND = 10
AUDIO_OUTPUT_TOKENS_PER_SECOND = 20
_MIN_BYTES_PER_SECOND = 250  # 2 kbit/s: below Opus/DTX silence (~4 kbit/s) and 8 kbit/s MP3


def sniff_audio_format(data: bytes) -> str | None:
    """The container format of ``data`` (wav, flac, mp3, ogg, m4a, webm) or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"fLaC":
        return "flac"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if data[4:8] == b"ftyp":
        return "m4a"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and (data[1] & 0xE0) == 0xE0):
        return "mp3"
    return None


def audio_duration(data: bytes) -> float | None:
    """Duration in seconds read from the container header of ``data``, or None if unreadable."""
    parsers = {
        "wav": _wav_duration,
        "flac": _flac_duration,
        "ogg": _ogg_duration,
        "webm": _webm_duration,
        "m4a": _mp4_duration,
        "mp3": _mp3_duration,
    }
    kind = sniff_audio_format(data)
    if kind is None:
        return None
    try:
        duration = parsers[kind](data)
    except (struct.error, IndexError, ValueError, ZeroDivisionError):
        return None
    if duration is None or not math.isfinite(duration) or duration < 0:
        return None
    return duration


def audio_duration_from_file(path: str | Path) -> float | None:
    """Duration in seconds of the audio file at ``path`` (see :func:`audio_duration`)."""
    return audio_duration(Path(path).read_bytes())


def audio_duration_upper_bound(size_bytes: int) -> float:
    """An upper bound on the duration of ``size_bytes`` of compressed audio (2 kbit/s floor)."""
    return size_bytes / _MIN_BYTES_PER_SECOND


def audio_part_tokens(part: Mapping[str, Any]) -> tuple[int, bool]:
    """(tokens, exact) for a chat ``input_audio`` content part (base64 ``data`` + ``format``)."""
    audio = part.get("input_audio") or part.get("audio") or {}
    encoded = audio.get("data") if isinstance(audio, Mapping) else None
    if not encoded:
        return 0, False
    try:
        data = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError):
        return 0, False
    seconds = audio_duration(data)
    if seconds is None:
        return math.ceil(audio_duration_upper_bound(len(data)) * AUDIO_INPUT_TOKENS_PER_SECOND), False
    return math.ceil(seconds * AUDIO_INPUT_TOKENS_PER_SECOND), True


# --- WAV -------------------------------------------------------------------------------------


def _wav_duration(data: bytes) -> float | None:
    index = 12
    byte_rate = 0
    while index + 8 <= len(data):
        chunk_id = data[index : index + 4]
        size = struct.unpack("<I", data[index + 4 : index + 8])[0]
        if chunk_id == b"fmt ":
            byte_rate = struct.unpack("<I", data[index + 16 : index + 20])[0]
        elif chunk_id == b"data":
            if not byte_rate:
                return None
            # streaming writers put 0 or 0xFFFFFFFF; fall back to what is actually there
            available = len(data) - index - 8
            if size == 0 or size == 0xFFFFFFFF or size > available:
                size = available
            return size / byte_rate
        index += 8 + size + (size & 1)
    return None


# --- FLAC ------------------------------------------------------------------------------------


def _flac_duration(data: bytes) -> float | None:
    # STREAMINFO is the first metadata block: 4-byte header at 4, body at 8.
    body = data[8:42]
    if len(body) < 18:
        return None
    packed = int.from_bytes(body[10:18], "big")
    sample_rate = packed >> 44
    total_samples = packed & ((1 << 36) - 1)
    if not sample_rate or not total_samples:
        return None
    return total_samples / sample_rate


# --- Ogg (Vorbis / Opus) -----------------------------------------------------------------------


def _ogg_duration(data: bytes) -> float | None:
    sample_rate = 0
    pre_skip = 0
    head = data[:4096]
    opus = head.find(b"OpusHead")
    if opus >= 0:
        pre_skip = struct.unpack("<H", head[opus + 10 : opus + 12])[0]
        sample_rate = 48000  # Opus granule positions always count 48 kHz samples
    else:
        vorbis = head.find(b"\x01vorbis")
        if vorbis < 0:
            return None
        sample_rate = struct.unpack("<I", head[vorbis + 12 : vorbis + 16])[0]
    last = data.rfind(b"OggS")
    if last < 0 or not sample_rate:
        return None
    granule = struct.unpack("<q", data[last + 6 : last + 14])[0]
    if granule <= 0:
        return None
    return max(0, granule - pre_skip) / sample_rate


# --- MP4 / M4A ---------------------------------------------------------------------------------


def _mp4_duration(data: bytes) -> float | None:
    def boxes(start: int, end: int) -> Any:
        index = start
        while index + 8 <= end:
            size, kind = struct.unpack(">I4s", data[index : index + 8])
            header = 8
            if size == 1:
                size = struct.unpack(">Q", data[index + 8 : index + 16])[0]
                header = 16
            elif size == 0:
                size = end - index
            if size < header:
                return
            yield kind, index + header, index + size
            index += size

    for kind, body, end in boxes(0, len(data)):
        if kind != b"moov":
            continue
        for inner, inner_body, _ in boxes(body, end):
            if inner != b"mvhd":
                continue
            version = data[inner_body]
            if version == 1:
                timescale, duration = struct.unpack(">IQ", data[inner_body + 20 : inner_body + 32])
            else:
                timescale, duration = struct.unpack(">II", data[inner_body + 12 : inner_body + 20])
            return duration / timescale if timescale else None
    return None


# --- WebM / Matroska ---------------------------------------------------------------------------


def _ebml_vint(data: bytes, index: int, keep_marker: bool) -> tuple[int, int]:
    first = data[index]
    length = 1
    mask = 0x80
    while length <= 8 and not first & mask:
        mask >>= 1
        length += 1
    if length > 8:
        raise ValueError("bad EBML varint")
    value = first if keep_marker else first & (mask - 1)
    for offset in range(1, length):
        value = (value << 8) | data[index + offset]
    return value, length


def _webm_duration(data: bytes) -> float | None:
    segment_id, info_id, scale_id, duration_id = 0x18538067, 0x1549A966, 0x2AD7B1, 0x4489
    timecode_scale = 1_000_000
    duration: float | None = None

    def walk(start: int, end: int, depth: int) -> None:
        nonlocal timecode_scale, duration
        index = start
        while index < end and index < len(data):
            element_id, id_len = _ebml_vint(data, index, keep_marker=True)
            size, size_len = _ebml_vint(data, index + id_len, keep_marker=False)
            body = index + id_len + size_len
            unknown = size == (1 << (7 * size_len)) - 1
            body_end = end if unknown else min(body + size, end)
            if element_id in (segment_id, info_id) and depth < 3:
                walk(body, body_end, depth + 1)
                if element_id == info_id or duration is not None:
                    return
            elif element_id == scale_id:
                timecode_scale = int.from_bytes(data[body:body_end], "big")
            elif element_id == duration_id:
                raw = data[body:body_end]
                duration = struct.unpack(">f" if len(raw) == 4 else ">d", raw)[0]
            index = body_end

    walk(0, len(data), 0)
    if duration is None:
        return None
    return duration * timecode_scale / 1e9


# --- MP3 -----------------------------------------------------------------------------------------

_MP3_BITRATES = {
    # (version_bits, layer_bits) -> kbit/s table for index 1..14
    (3, 1): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # MPEG1 Layer III
    (3, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),  # MPEG1 Layer II
    (3, 3): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),  # MPEG1 Layer I
}
_MP3_LSF_BITRATES = (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)  # MPEG2/2.5 Layer II/III
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_duration(data: bytes) -> float | None:
    index = 0
    if data[:3] == b"ID3":
        size = data[6:10]
        index = 10 + ((size[0] & 0x7F) << 21 | (size[1] & 0x7F) << 14 | (size[2] & 0x7F) << 7 | (size[3] & 0x7F))
    # find the first frame sync
    while index + 4 <= len(data) and not (data[index] == 0xFF and (data[index + 1] & 0xE0) == 0xE0):
        index += 1
    if index + 4 > len(data):
        return None
    header = int.from_bytes(data[index : index + 4], "big")
    version = (header >> 19) & 3
    layer = (header >> 17) & 3
    bitrate_index = (header >> 12) & 0xF
    rate_index = (header >> 10) & 3
    channel_mode = (header >> 6) & 3
    if version == 1 or layer == 0 or rate_index == 3 or bitrate_index in (0, 15):
        return None
    sample_rate = _MP3_RATES[version][rate_index]
    if layer == 3:
        samples_per_frame = 384
    elif layer == 1 and version != 3:
        samples_per_frame = 576
    else:
        samples_per_frame = 1152
    # Xing/Info header (VBR) sits after the side information of the first frame
    if version == 3:
        side = 17 if channel_mode == 3 else 32
    else:
        side = 9 if channel_mode == 3 else 17
    xing = index + 4 + side
    tag = data[xing : xing + 4]
    if tag in (b"Xing", b"Info"):
        flags = struct.unpack(">I", data[xing + 4 : xing + 8])[0]
        if flags & 1:
            frames = struct.unpack(">I", data[xing + 8 : xing + 12])[0]
            return frames * samples_per_frame / sample_rate
    vbri = index + 4 + 32
    if data[vbri : vbri + 4] == b"VBRI":
        frames = struct.unpack(">I", data[vbri + 14 : vbri + 18])[0]
        return frames * samples_per_frame / sample_rate
    # constant bitrate: audio bytes / byte rate
    if version == 3:
        kbps = _MP3_BITRATES[(3, layer)][bitrate_index - 1]
    else:
        kbps = _MP3_LSF_BITRATES[bitrate_index - 1] if layer != 3 else (
            32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256
        )[bitrate_index - 1]
    audio_bytes = len(data) - index
    if data[-128:-125] == b"TAG":
        audio_bytes -= 128
    return audio_bytes * 8 / (kbps * 1000)
