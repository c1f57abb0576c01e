"""Valid audio files of a given duration, cheaply.

WAV and PCM carry a soft tone pattern (24 kHz, 16-bit mono, what OpenAI's
``pcm`` format is); MP3, AAC, FLAC and Opus carry silence of the same length,
because their smallest valid silent frames can be repeated by byte
multiplication while a real encoder would be slow and large. Each format's
frames follow its spec (MPEG-2 Layer III, ADTS AAC-LC, FLAC with CRC-8/16,
Ogg pages with CRC-32 around Opus packets), so decoders accept them and report
the intended duration.
"""

from __future__ import annotations

import math
import struct
from functools import lru_cache

SAMPLE_RATE = 24_000
_TONE_SECONDS = 0.18
_GAP_SECONDS = 0.06
_FREQUENCIES = (220.0, 277.18, 329.63, 392.0)


@lru_cache(maxsize=4)
def _tone(frequency: float) -> bytes:
    count = int(SAMPLE_RATE * _TONE_SECONDS)
    fade = int(SAMPLE_RATE * 0.01)
    samples = []
    for i in range(count):
        envelope = min(1.0, i / fade, (count - i) / fade)
        samples.append(int(3000 * envelope * math.sin(2 * math.pi * frequency * i / SAMPLE_RATE)))
    return struct.pack(f"<{count}h", *samples)


def pcm(seconds: float, seed: str) -> bytes:
    """Raw 24 kHz 16-bit little-endian mono: tones (one per word-ish unit) separated by gaps."""
    total = int(round(seconds * SAMPLE_RATE)) * 2
    gap = bytes(int(SAMPLE_RATE * _GAP_SECONDS) * 2)
    units = [_tone(_FREQUENCIES[ord(ch) % len(_FREQUENCIES)]) + gap for ch in (seed or "a")]
    cycle = b"".join(units)
    repeats = total // len(cycle) + 1
    return (cycle * repeats)[:total]


def wav(seconds: float, seed: str) -> bytes:
    data = pcm(seconds, seed)
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, SAMPLE_RATE, SAMPLE_RATE * 2, 2, 16)
    return header + fmt + b"data" + struct.pack("<I", len(data)) + data


# --- MP3: MPEG-2 Layer III, 24 kHz mono, 32 kbit/s: 96-byte frames of 576 samples, all-zero side info = silence

_MP3_FRAME = bytes([0xFF, 0xF3, 0x44, 0xC0]) + bytes(92)
_MP3_FRAME_SAMPLES = 576


def mp3(seconds: float) -> bytes:
    frames = max(1, math.ceil(seconds * SAMPLE_RATE / _MP3_FRAME_SAMPLES))
    return _MP3_FRAME * frames


# --- AAC: ADTS, AAC-LC, 24 kHz mono; raw block = one SCE with max_sfb 0 (silence) + END ---

_AAC_FRAME_SAMPLES = 1024


@lru_cache(maxsize=1)
def _aac_frame() -> bytes:
    bits = "000" + "0000" + format(100, "08b") + "0" + "00" + "0" + "000000" + "0" + "0" + "0" + "0" + "111"
    bits += "0" * ((8 - len(bits) % 8) % 8)
    payload = int(bits, 2).to_bytes(len(bits) // 8, "big")
    length = 7 + len(payload)
    header = (
        (0xFFF << 44)
        | (0 << 43)  # MPEG-4
        | (0 << 41)  # layer
        | (1 << 40)  # no CRC
        | (1 << 38)  # profile: AAC-LC (object type 2 - 1)
        | (6 << 34)  # 24 000 Hz
        | (0 << 33)
        | (1 << 30)  # mono
        | (length << 13)
        | (0x7FF << 2)  # VBR buffer fullness
        | 0  # one raw data block
    )
    return header.to_bytes(7, "big") + payload


def aac(seconds: float) -> bytes:
    frames = max(1, math.ceil(seconds * SAMPLE_RATE / _AAC_FRAME_SAMPLES)) + 1  # +1: decoder priming frame
    return _aac_frame() * frames


# --- FLAC: fixed 4096-sample blocks, one CONSTANT-zero subframe each ---

_FLAC_BLOCK = 4096


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


@lru_cache(maxsize=1)
def _crc16_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        table.append(crc)
    return tuple(table)


def _crc16(data: bytes) -> int:
    table = _crc16_table()
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ byte]
    return crc


def _utf8_number(value: int) -> bytes:
    """FLAC's UTF-8-like coding of the frame number."""
    if value < 0x80:
        return bytes([value])
    return chr(value).encode("utf-8") if value < 0x110000 and not 0xD800 <= value <= 0xDFFF else _long_utf8(value)


def _long_utf8(value: int) -> bytes:
    for length, lead in ((4, 0xF0), (5, 0xF8), (6, 0xFC)):
        if value < 1 << (1 + 5 * length + (7 - length - 1) - 1 + 1):
            break
    out = []
    for _ in range(length - 1):
        out.append(0x80 | (value & 0x3F))
        value >>= 6
    return bytes([lead | value] + out[::-1])


def flac(seconds: float) -> bytes:
    total = max(1, int(round(seconds * SAMPLE_RATE)))
    streaminfo = struct.pack(">HH", _FLAC_BLOCK, _FLAC_BLOCK) + (0).to_bytes(3, "big") + (0).to_bytes(3, "big")
    # 20 bits rate, 3 bits channels-1, 5 bits bps-1, 36 bits total samples
    packed = (SAMPLE_RATE << 44) | (0 << 41) | (15 << 36) | total
    streaminfo += packed.to_bytes(8, "big") + bytes(16)  # MD5 unknown (zeros: allowed)
    out = bytearray(b"fLaC" + bytes([0x80]) + len(streaminfo).to_bytes(3, "big") + streaminfo)
    frames, last = divmod(total, _FLAC_BLOCK)
    for number in range(frames + (1 if last else 0)):
        size = _FLAC_BLOCK if number < frames else last
        # sync 0xFFF8 (fixed blocksize), block size code, rate code 0 (from STREAMINFO), mono, 16 bit
        if size == _FLAC_BLOCK:
            header = bytes([0xFF, 0xF8, 0xC0, 0x08]) + _utf8_number(number)
        else:
            header = bytes([0xFF, 0xF8, 0x70, 0x08]) + _utf8_number(number) + struct.pack(">H", size - 1)
        header += bytes([_crc8(header)])
        frame = header + b"\x00" + b"\x00\x00"  # CONSTANT subframe, value 0 (16 bits)
        out += frame + struct.pack(">H", _crc16(frame))
    return bytes(out)


# --- Opus in Ogg: 20 ms silent CELT packets (0xF8 0xFF 0xFE), 48 kHz granule positions ---


@lru_cache(maxsize=1)
def _ogg_crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
        table.append(crc)
    return tuple(table)


def _ogg_crc(data: bytes) -> int:
    table = _ogg_crc_table()
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[((crc >> 24) & 0xFF) ^ byte]
    return crc


def _ogg_page(packets: list[bytes], granule: int, sequence: int, flags: int, serial: int = 0x53414E44) -> bytes:
    lacing = bytearray()
    for packet in packets:
        lacing += b"\xff" * (len(packet) // 255) + bytes([len(packet) % 255])
    header = b"OggS" + struct.pack("<BBqIII", 0, flags, granule, serial, sequence, 0) + bytes([len(lacing)]) + lacing
    page = header + b"".join(packets)
    crc = _ogg_crc(page)
    return page[:22] + struct.pack("<I", crc) + page[26:]


_OPUS_SILENCE = b"\xf8\xff\xfe"
_OPUS_PACKET_SAMPLES = 960  # 20 ms at 48 kHz
_OPUS_PRE_SKIP = 312


def opus(seconds: float) -> bytes:
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, _OPUS_PRE_SKIP, SAMPLE_RATE, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 15) + b"conduit sandbox" + struct.pack("<I", 0)
    out = bytearray(_ogg_page([head], 0, 0, 0x02) + _ogg_page([tags], 0, 1, 0x00))
    target = int(round(seconds * 48_000))
    packets = max(1, math.ceil((target + _OPUS_PRE_SKIP) / _OPUS_PACKET_SAMPLES))
    sequence, done = 2, 0
    while done < packets:
        batch = min(50, packets - done)  # one second per page
        done += batch
        last = done == packets
        granule = target + _OPUS_PRE_SKIP if last else done * _OPUS_PACKET_SAMPLES
        out += _ogg_page([_OPUS_SILENCE] * batch, granule, sequence, 0x04 if last else 0x00)
        sequence += 1
    return bytes(out)


CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}


def encode(fmt: str, seconds: float, seed: str) -> bytes:
    if fmt == "wav":
        return wav(seconds, seed)
    if fmt == "pcm":
        return pcm(seconds, seed)
    if fmt == "mp3":
        return mp3(seconds)
    if fmt == "aac":
        return aac(seconds)
    if fmt == "flac":
        return flac(seconds)
    if fmt == "opus":
        return opus(seconds)
    raise ValueError(f"unsupported audio format {fmt!r}")
