"""Cheap, valid image files of any size, coloured from a seed.

Why these encodings: a generated image must really decode at the requested
size (clients save it, measure it, hand it on), yet the sandbox must answer
in milliseconds. Constant or banded content makes every format collapse to a
repeating pattern that is assembled by byte multiplication, not per-pixel
Python loops.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from functools import lru_cache

_PALETTE_SIZE = 16


def palette(seed: str) -> list[tuple[int, int, int]]:
    """16 colours: a gradient between two seed-derived colours."""
    digest = hashlib.sha256(seed.encode()).digest()
    start, end = digest[0:3], digest[3:6]
    colours = []
    for i in range(_PALETTE_SIZE):
        t = i / (_PALETTE_SIZE - 1)
        colours.append(tuple(int(a + (b - a) * t) for a, b in zip(start, end)))  # type: ignore[misc]
    return colours  # type: ignore[return-value]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


@lru_cache(maxsize=16)
def png(width: int, height: int, seed: str, transparent: bool = False) -> bytes:
    """A 4-bit palette PNG of horizontal colour bands (band 0 transparent if asked)."""
    colours = palette(seed)
    header = struct.pack(">IIBBBBB", width, height, 4, 3, 0, 0, 0)  # 4-bit, palette
    plte = b"".join(bytes(c) for c in colours)
    row_bytes = (width + 1) // 2
    band = max(1, height // _PALETTE_SIZE)
    rows = bytearray()
    previous = -1
    for y in range(height):
        index = min(_PALETTE_SIZE - 1, y // band)
        if index == previous:
            rows += b"\x02" + bytes(row_bytes)  # filter "Up": identical row → all zeros
        else:
            rows += b"\x00" + bytes([index << 4 | index]) * row_bytes
            previous = index
    chunks = [_chunk(b"IHDR", header), _chunk(b"PLTE", plte)]
    if transparent:
        chunks.append(_chunk(b"tRNS", b"\x00" + b"\xff" * (_PALETTE_SIZE - 1)))
    chunks += [_chunk(b"IDAT", zlib.compress(bytes(rows), 6)), _chunk(b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def svg(width: int, height: int, seed: str) -> bytes:
    colours = palette(seed)
    stops = "".join(
        f'<stop offset="{i / (len(colours) - 1):.3f}" stop-color="#{r:02x}{g:02x}{b:02x}"/>'
        for i, (r, g, b) in enumerate(colours)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f'<title>conduit sandbox simulation</title><defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">{stops}'
        f'</linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/></svg>'
    ).encode()


# --- GIF: solid colour, "uncompressed" LZW (a clear code every two pixels keeps codes 3 bits wide) ---


@lru_cache(maxsize=16)
def gif(width: int, height: int, seed: str) -> bytes:
    colour = palette(seed)[_PALETTE_SIZE // 2]
    table = bytes(colour) + b"\x00\x00\x00" * 3  # 4-entry global colour table, pixel index 0
    header = b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF1, 0, 0) + table
    image = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
    # codes: clear=4, end=5; pixel code 0; pattern CLEAR,0,0 = 9 bits per 2 pixels, LSB-first
    pixels = width * height
    groups, odd = divmod(pixels, 2)
    codes = [4, 0, 0] * min(groups, 8) + ([4, 0] if odd and groups < 8 else [])
    # 8 groups = 72 bits = 9 whole bytes: pack once, repeat
    unit = _pack_lsb([4, 0, 0] * 8, 3)
    repeats, rest = divmod(groups, 8)
    tail_codes = [4, 0, 0] * rest + ([4, 0] if odd else []) + [5]
    data = unit * repeats + _pack_lsb(tail_codes, 3)
    del codes
    blocks = b"".join(bytes([len(data[i : i + 255])]) + data[i : i + 255] for i in range(0, len(data), 255))
    return header + image + b"\x02" + blocks + b"\x00" + b"\x3b"


def _pack_lsb(codes: list[int], width: int) -> bytes:
    value = 0
    for position, code in enumerate(codes):
        value |= code << (position * width)
    length = (len(codes) * width + 7) // 8
    return value.to_bytes(length, "little")


# --- WebP: lossless VP8L, every prefix code a single symbol, so the pixels cost zero bits ---


class _BitWriter:
    def __init__(self) -> None:
        self.value = 0
        self.bits = 0

    def write(self, number: int, count: int) -> None:
        self.value |= (number & ((1 << count) - 1)) << self.bits
        self.bits += count

    def bytes(self) -> bytes:
        return self.value.to_bytes((self.bits + 7) // 8, "little")


@lru_cache(maxsize=16)
def webp(width: int, height: int, seed: str) -> bytes:
    r, g, b = palette(seed)[_PALETTE_SIZE // 2]
    writer = _BitWriter()
    writer.write(0x2F, 8)
    writer.write(width - 1, 14)
    writer.write(height - 1, 14)
    writer.write(0, 1)  # alpha unused
    writer.write(0, 3)  # version 0
    writer.write(0, 1)  # no transforms
    writer.write(0, 1)  # no colour cache
    writer.write(0, 1)  # no meta prefix codes
    for symbol in (g, r, b, 255, 0):  # green(+lengths), red, blue, alpha, distance
        writer.write(1, 1)  # simple code
        writer.write(0, 1)  # one symbol
        writer.write(1, 1)  # 8-bit symbol
        writer.write(symbol, 8)
    payload = writer.bytes()
    if len(payload) % 2:
        payload += b"\x00"
    chunk = b"VP8L" + struct.pack("<I", len(writer.bytes())) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


# --- JPEG: baseline, 4:4:4, solid colour: every 8x8 block is a DC value and an end-of-block ---

_DC_BITS = {
    0: ([0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], list(range(12))),
    1: ([0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], list(range(12))),
}


def _canonical_codes(bits: list[int], values: list[int]) -> dict[int, str]:
    codes: dict[int, str] = {}
    code = 0
    k = 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            codes[values[k]] = format(code, f"0{length}b")
            code += 1
            k += 1
        code <<= 1
    return codes


def _magnitude(value: int) -> tuple[int, str]:
    if value == 0:
        return 0, ""
    size = abs(value).bit_length()
    bits = value if value > 0 else value + (1 << size) - 1
    return size, format(bits, f"0{size}b")


def _segment(marker: int, data: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(data) + 2) + data


@lru_cache(maxsize=16)
def jpeg(width: int, height: int, seed: str) -> bytes:
    r, g, b = palette(seed)[_PALETTE_SIZE // 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    dcs = [int(round(8 * (c - 128))) for c in (y, cb, cr)]  # DC of a constant block, quantiser 1
    dc_codes = {table: _canonical_codes(*_DC_BITS[table]) for table in (0, 1)}
    eob = "0"  # our AC tables hold one symbol (0x00, end of block) with the 1-bit code 0

    def block(component: int, diff: int) -> str:
        size, extra = _magnitude(diff)
        return dc_codes[0 if component == 0 else 1][size] + extra + eob

    first = "".join(block(c, dcs[c]) for c in range(3))
    steady = "".join(block(c, 0) for c in range(3))
    mcus = ((width + 7) // 8) * ((height + 7) // 8)
    # steady MCUs repeat; 8 of them are a whole number of bytes: assemble by repetition
    lead = first + steady * ((8 - len(first) % 8) % 8 if len(steady) % 8 else 0)
    lead_mcus = 1 + (len(lead) - len(first)) // len(steady) if len(steady) % 8 else 1
    if lead_mcus > mcus:
        lead, lead_mcus = first + steady * (mcus - 1), mcus
    lead_bytes_bits = lead[: len(lead) - len(lead) % 8]
    remainder_bits = lead[len(lead_bytes_bits) :]
    body = bytearray(int(lead_bytes_bits, 2).to_bytes(len(lead_bytes_bits) // 8, "big")) if lead_bytes_bits else bytearray()
    remaining = mcus - lead_mcus
    unit_bits = remainder_bits + steady * 8
    if remaining >= 8 and len(unit_bits) % 8 == 0 and remainder_bits == "":
        unit = int(unit_bits, 2).to_bytes(len(unit_bits) // 8, "big")
        repeats, rest = divmod(remaining, 8)
        body += unit * repeats
        tail = steady * rest
    else:
        tail = remainder_bits + steady * remaining
    if tail:
        tail += "1" * ((8 - len(tail) % 8) % 8)
        body += int(tail, 2).to_bytes(len(tail) // 8, "big")
    scan = bytes(body).replace(b"\xff", b"\xff\x00")
    quant = b"".join(bytes([table]) + b"\x01" * 64 for table in (0, 1))
    huffman = b""
    for table in (0, 1):
        bits, values = _DC_BITS[table]
        huffman += bytes([0x00 | table]) + bytes(bits) + bytes(values)
        huffman += bytes([0x10 | table]) + bytes([1] + [0] * 15) + b"\x00"
    frame = struct.pack(">BHHB", 8, height, width, 3) + bytes([1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1])
    scan_header = bytes([3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0])
    return (
        b"\xff\xd8"
        + _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + _segment(0xFE, b"conduit sandbox simulation")
        + _segment(0xDB, quant)
        + _segment(0xC0, frame)
        + _segment(0xC4, huffman)
        + _segment(0xDA, scan_header)
        + scan
        + b"\xff\xd9"
    )


def encode(fmt: str, width: int, height: int, seed: str, *, transparent: bool = False) -> bytes:
    if fmt == "png":
        return png(width, height, seed, transparent)
    if fmt == "jpeg":
        return jpeg(width, height, seed)
    if fmt == "webp":
        return webp(width, height, seed)
    if fmt == "gif":
        return gif(width, height, seed)
    if fmt == "svg":
        return svg(width, height, seed)
    raise ValueError(f"unsupported image format {fmt!r}")
