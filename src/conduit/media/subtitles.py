"""Join SRT / WebVTT transcripts of consecutive audio parts into one subtitle file.

Each part's cue times start at 0; joined, they must start where the part
starts in the whole recording. Parts that overlap the previous one (a cut
that found no silence) repeat its last words: cues that end inside the
overlap are dropped, since the previous part already covered that audio.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Cue", "parse_cues", "render_cues", "join_subtitles"]

_TIME = re.compile(r"(?:(\d+):)?(\d\d):(\d\d)[.,](\d{3})")
_ARROW = re.compile(r"^\s*(\S+)\s+-->\s+(\S+)")


@dataclass(frozen=True, slots=True)
class Cue:
    start: float
    end: float
    text: str


def _seconds(stamp: str) -> float:
    match = _TIME.fullmatch(stamp.strip())
    if match is None:
        raise ValueError(f"not a timestamp: {stamp!r}")
    hours, minutes, seconds, millis = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def _stamp(seconds: float, separator: str) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def parse_cues(text: str) -> list[Cue]:
    """The cues of an SRT or WebVTT document (headers, numbers and styling blocks skipped)."""
    cues: list[Cue] = []
    for block in re.split(r"\r?\n\s*\r?\n", text.strip()):
        lines = block.splitlines()
        for index, line in enumerate(lines):
            match = _ARROW.match(line)
            if match:
                try:
                    start, end = _seconds(match.group(1)), _seconds(match.group(2))
                except ValueError:
                    break
                body = "\n".join(lines[index + 1 :]).strip()
                if body:
                    cues.append(Cue(start, end, body))
                break
    return cues


def render_cues(cues: list[Cue], fmt: str) -> str:
    """An SRT (``fmt="srt"``) or WebVTT (``"vtt"``) document."""
    srt = fmt == "srt"
    lines: list[str] = [] if srt else ["WEBVTT", ""]
    for number, cue in enumerate(cues, start=1):
        if srt:
            lines.append(str(number))
        sep = "," if srt else "."
        lines.append(f"{_stamp(cue.start, sep)} --> {_stamp(cue.end, sep)}")
        lines.append(cue.text)
        lines.append("")
    return "\n".join(lines) + "\n"


def join_subtitles(parts: list[tuple[str, float, float]], fmt: str) -> str:
    """Join ``(document, part_start, overlap)`` triples into one ``fmt`` document."""
    joined: list[Cue] = []
    for document, offset, overlap in parts:
        for cue in parse_cues(document):
            if overlap and cue.end <= overlap:
                continue  # this audio was already transcribed at the end of the previous part
            start = max(cue.start + offset, joined[-1].end if joined else 0.0)
            joined.append(Cue(start, max(start, cue.end + offset), cue.text))
    return render_cues(joined, fmt)
