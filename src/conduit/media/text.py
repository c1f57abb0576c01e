"""Text on both sides of speech: splitting long TTS input, joining split transcripts.

Speech input is limited to 4,096 characters per request, and a voice
sounds natural only when each request ends where a sentence ends -- so long
texts are cut at sentence boundaries (then clause boundaries, then spaces,
and only as a last resort mid-word). Transcripts of overlapping audio parts
repeat a few words at each seam; :func:`merge_transcripts` finds and drops
the repetition.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

__all__ = ["split_text", "merge_transcripts", "SPEECH_INPUT_LIMIT"]

SPEECH_INPUT_LIMIT = 4096
# a sentence ends at . ! ? … (also the CJK forms), optionally followed by closing quotes/brackets, then space
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])[\"'”’»)\]]*\s+")
_CLAUSE_END = re.compile(r"(?<=[,;:—–])\s+")
_PARAGRAPH = re.compile(r"\n\s*\n")


def _pieces(text: str, pattern: re.Pattern[str]) -> list[str]:
    """``text`` cut after each match of ``pattern``, keeping the separators with the left piece."""
    result, last = [], 0
    for match in pattern.finditer(text):
        result.append(text[last : match.end()])
        last = match.end()
    if last < len(text):
        result.append(text[last:])
    return result


def _hard_split(piece: str, limit: int) -> list[str]:
    """Split ``piece`` into parts of at most ``limit`` characters, at spaces where possible."""
    parts = []
    while len(piece) > limit:
        cut = piece.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        parts.append(piece[:cut])
        piece = piece[cut:]
    if piece:
        parts.append(piece)
    return parts


def _units(text: str, limit: int) -> list[str]:
    """Sentences (or smaller pieces, for over-long sentences), each at most ``limit`` characters."""
    units: list[str] = []
    for paragraph in _pieces(text, _PARAGRAPH):
        for sentence in _pieces(paragraph, _SENTENCE_END):
            if len(sentence) <= limit:
                units.append(sentence)
                continue
            for clause in _pieces(sentence, _CLAUSE_END):
                units.extend([clause] if len(clause) <= limit else _hard_split(clause, limit))
    return units


def split_text(text: str, limit: int = SPEECH_INPUT_LIMIT) -> list[str]:
    """Cut ``text`` into chunks of at most ``limit`` characters, at sentence boundaries where possible.

    Chunks are packed greedily (as few requests as possible) and stripped;
    joined with single spaces they give back the text's words in order.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    chunks: list[str] = []
    current = ""
    for unit in _units(text, limit):
        if len(current) + len(unit) <= limit:
            current += unit
            continue
        if current.strip():
            chunks.append(current.strip())
        current = unit
    if current.strip():
        chunks.append(current.strip())
    # stripping can only shorten; a unit never exceeds the limit
    return chunks


def _normal(word: str) -> str:
    folded = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in folded if ch.isalnum())


def merge_transcripts(previous: str, following: str, *, window: int = 40, min_match: int = 2) -> str:
    """Join two transcripts of overlapping audio, dropping the words both contain at the seam.

    Looks for the longest run of (case- and punctuation-insensitive) words
    shared by the last ``window`` words of ``previous`` and the first
    ``window`` words of ``following``; with at least ``min_match`` words in
    common, ``following`` continues after the shared run. Otherwise the two are
    simply joined (the overlap held no recognisable words).
    """
    previous, following = previous.strip(), following.strip()
    if not previous or not following:
        return previous or following
    left = previous.split()
    right = following.split()
    tail = left[-window:]
    head = right[:window]
    a = [_normal(w) for w in tail]
    b = [_normal(w) for w in head]
    match = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    if match.size >= min_match and any(a[match.a : match.a + match.size]):
        keep_left = len(left) - len(tail) + match.a + match.size
        return " ".join(left[:keep_left] + right[match.b + match.size :])
    return previous + " " + following
