"""Cut long recordings into uploadable parts, on silence where there is some.

The transcription endpoints take at most 25 MB per file (and the gpt-4o
transcribe models a limited duration), so a long recording is sent in parts.
A cut in the middle of a word garbles it in both parts; so each cut is placed
in the longest quiet stretch near the end of the allowed length. When there
is no quiet stretch (music, crosstalk), the cut goes at the quietest moment
and the next part starts ``overlap`` seconds earlier: the words spoken twice
are removed again when the transcripts are joined
(:func:`conduit.media.text.merge_transcripts`).

Levels are peak amplitudes per 20 ms window, computed only in the search
region before each cut (C-speed ``max``/``min`` over array slices), so an
hour of audio is planned in well under a second.
"""

from __future__ import annotations

import math
import sys
from array import array
from dataclasses import dataclass

from conduit.media.wav import PcmAudio, read_wav, write_wav

__all__ = ["AudioPart", "plan_cuts", "split_pcm", "split_audio", "max_part_seconds"]

_WINDOW_SECONDS = 0.02
SILENCE_LEVEL = 0.02  # peak below 2% of full scale (about -34 dBFS) counts as silence
_MIN_SILENCE_WINDOWS = 10  # 200 ms of quiet before a cut counts as "on silence"
WAV_HEADER_BYTES = 44


@dataclass(frozen=True, slots=True)
class AudioPart:
    """One part to upload: WAV bytes covering ``[start, end)`` seconds of the original.

    ``overlap`` is how many seconds at the start of this part repeat the end
    of the previous one (0 when the cut fell in silence).
    """

    index: int
    start: float
    end: float
    overlap: float
    data: bytes
    on_silence: bool

    @property
    def seconds(self) -> float:
        return self.end - self.start


def max_part_seconds(audio: PcmAudio, max_bytes: int) -> float:
    """The longest part of ``audio`` whose WAV file fits in ``max_bytes``."""
    return max(1.0, (max_bytes - WAV_HEADER_BYTES) / audio.byte_rate)


def _levels(audio: PcmAudio, start_frame: int, end_frame: int, window: int) -> list[float]:
    """Peak level (0..1 of full scale) of each ``window``-frame window in ``[start_frame, end_frame)``."""
    width = audio.sample_width
    chunk = audio.data[start_frame * audio.frame_size : end_frame * audio.frame_size]
    if width == 2:
        samples = array("h")
        samples.frombytes(chunk[: len(chunk) - len(chunk) % 2])
        if sys.byteorder == "big":
            samples.byteswap()
        full = 32768.0
    elif width == 1:  # unsigned 8-bit, centred on 128
        samples = array("h", (b - 128 for b in chunk))
        full = 128.0
    elif width == 4:
        samples = array("i")
        samples.frombytes(chunk[: len(chunk) - len(chunk) % 4])
        if sys.byteorder == "big":
            samples.byteswap()
        full = 2147483648.0
    else:  # 24-bit: the top byte of each sample is enough for a level
        samples = array("h", (int.from_bytes(chunk[i + 1 : i + 3], "little", signed=True) for i in range(0, len(chunk) - 2, 3)))
        full = 32768.0
    step = window * audio.channels
    levels = []
    for offset in range(0, len(samples), step):
        piece = samples[offset : offset + step]
        if piece:
            levels.append(max(max(piece), -min(piece)) / full)
    return levels


def _best_cut(levels: list[float]) -> tuple[int, bool]:
    """(window index to cut at, whether it lies in silence): middle of the longest quiet run, latest wins ties."""
    best_start, best_length = -1, 0
    run_start = None
    for index, level in enumerate(levels + [1.0]):
        if level <= SILENCE_LEVEL:
            if run_start is None:
                run_start = index
        elif run_start is not None:
            length = index - run_start
            if length >= best_length:
                best_start, best_length = run_start, length
            run_start = None
    if best_length >= _MIN_SILENCE_WINDOWS or (best_length and best_length == len(levels)):
        return best_start + best_length // 2, True
    quietest = min(range(len(levels)), key=lambda i: (levels[i], -i))
    return quietest, levels[quietest] <= SILENCE_LEVEL


def plan_cuts(
    audio: PcmAudio, max_seconds: float, *, overlap: float = 2.0, search: float | None = None
) -> list[tuple[float, float, float, bool]]:
    """(start, end, overlap, on_silence) in seconds for each part of at most ``max_seconds``.

    ``search`` is how far before the limit to look for silence (default: the
    second half of the part, at most 120 s): a pause anywhere there is a better
    cut than a word at the limit.
    """
    total = audio.seconds
    if total <= max_seconds:
        return [(0.0, total, 0.0, True)]
    if overlap >= max_seconds / 2:
        raise ValueError("overlap must be less than half of max_seconds")
    search = min(120.0, max_seconds / 2) if search is None else min(search, max_seconds / 2)
    window = max(1, int(audio.sample_rate * _WINDOW_SECONDS))
    parts: list[tuple[float, float, float, bool]] = []
    start, start_overlap = 0.0, 0.0
    while total - start > max_seconds:
        limit = start + max_seconds
        region_start = limit - search
        first = int(region_start * audio.sample_rate)
        levels = _levels(audio, first, int(limit * audio.sample_rate), window)
        index, silent = _best_cut(levels)
        cut = (first + index * window + window // 2) / audio.sample_rate
        cut = min(max(cut, start + 1.0), limit)
        parts.append((start, cut, start_overlap, silent))
        start_overlap = 0.0 if silent else overlap
        start = cut - start_overlap
    parts.append((start, total, start_overlap, True))
    return parts


def split_pcm(audio: PcmAudio, max_seconds: float, *, overlap: float = 2.0) -> list[AudioPart]:
    """Cut ``audio`` into WAV parts of at most ``max_seconds`` (see :func:`plan_cuts`)."""
    result = []
    for index, (start, end, lap, silent) in enumerate(plan_cuts(audio, max_seconds, overlap=overlap)):
        first = int(round(start * audio.sample_rate))
        last = audio.frames if end >= audio.seconds else int(round(end * audio.sample_rate))
        piece = audio.slice(first, min(last, audio.frames))
        result.append(AudioPart(index, start, end, lap, write_wav(piece), silent))
    return result


def split_audio(data: bytes, *, max_bytes: int, max_seconds: float | None = None, overlap: float = 2.0) -> list[AudioPart]:
    """Split an audio file into WAV parts that each fit ``max_bytes`` (and ``max_seconds``).

    WAV is read directly; other formats are decoded with ffmpeg to 16 kHz mono
    (plenty for speech, and the smallest uncompressed form).
    """
    from conduit.media.probe import sniff_format

    if sniff_format(data) == "wav":
        try:
            audio = read_wav(data)
        except Exception:  # compressed or odd WAV: let ffmpeg decode it
            audio = _decoded(data)
    else:
        audio = _decoded(data)
    limit = max_part_seconds(audio, max_bytes)
    if max_seconds is not None:
        limit = min(limit, max_seconds)
    return split_pcm(audio, limit, overlap=min(overlap, math.floor(limit / 3)))


def _decoded(data: bytes) -> PcmAudio:
    from conduit.media.ffmpeg import to_wav

    return read_wav(to_wav(data))
