"""Invisible and direction-changing characters: find them, say what they hide, strip them.

Why: text a person reviews and text a model reads can differ. Unicode *tag*
characters (U+E0000-U+E007F) spell ASCII that renders as nothing but that
models read ("ASCII smuggling"); zero-width characters split words so
filters miss them; bidi controls reorder what a reviewer sees (Trojan
Source, CVE-2021-42574); variation selectors can carry arbitrary bytes.
``sanitize`` removes them and reports each run, decoding hidden tag text so a
finding can say *what* was smuggled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

UnicodeKind = Literal["tag", "zero_width", "bidi", "variation_selector", "control", "private_use"]

# One character class per kind; the union is the single pre-filter regex.
_TAG = "\U000e0000-\U000e007f"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u00ad\u034f\u115f\u1160\u3164\uffa0"
_BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
_VARIATION = "\ufe00-\ufe0f\U000e0100-\U000e01ef"
# C0 (minus tab, LF, CR), DEL and C1 controls
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_PRIVATE = "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"

_KIND_CLASSES: tuple[tuple[UnicodeKind, str], ...] = (
    ("tag", _TAG),
    ("zero_width", _ZERO_WIDTH),
    ("bidi", _BIDI),
    ("variation_selector", _VARIATION),
    ("control", _CONTROL),
    ("private_use", _PRIVATE),
)
_KIND_RES = tuple((kind, re.compile(f"[{cls}]")) for kind, cls in _KIND_CLASSES)
_ANY = re.compile("[" + "".join(cls for _, cls in _KIND_CLASSES) + "]+")

# Characters whose presence is suspicious enough for the injection screen.
SUSPICIOUS_KINDS: frozenset[UnicodeKind] = frozenset({"tag", "bidi", "variation_selector"})


@dataclass(frozen=True, slots=True)
class UnicodeFinding:
    """One run of same-kind invisible characters in the *original* text.

    ``decoded`` is set for tag runs: the ASCII the tags spell, which is the
    hidden message a model would read.
    """

    kind: UnicodeKind
    start: int
    end: int
    decoded: str | None = None

    @property
    def count(self) -> int:
        return self.end - self.start


def _kind_of(char: str) -> UnicodeKind:
    for kind, pattern in _KIND_RES:
        if pattern.match(char):
            return kind
    raise ValueError(f"not an invisible character: {char!r}")  # pragma: no cover - guarded by _ANY


def _is_emoji_joiner(text: str, index: int) -> bool:
    """ZWJ (U+200D) and VS16 (U+FE0F) between pictographs are ordinary emoji
    sequences (family, flags, skin tones), not smuggling."""
    before = text[index - 1] if index > 0 else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    return bool(before) and (ord(before) >= 0x2100 or ord(after or "\0") >= 0x2100) and before not in _ZERO_WIDTH


def scan(text: str) -> list[UnicodeFinding]:
    """Runs of invisible characters, by kind, without changing the text."""
    findings: list[UnicodeFinding] = []
    for match in _ANY.finditer(text):
        run_start = match.start()
        current: UnicodeKind | None = None
        for offset, char in enumerate(match.group(0)):
            index = run_start + offset
            if char in "\u200d\ufe0f" and _is_emoji_joiner(text, index):
                kind: UnicodeKind | None = None
            else:
                kind = _kind_of(char)
            if kind != current:
                if current is not None:
                    findings.append(_finding(text, current, seg_start, index))
                current, seg_start = kind, index
        if current is not None:
            findings.append(_finding(text, current, seg_start, match.end()))
    return findings


def _finding(text: str, kind: UnicodeKind, start: int, end: int) -> UnicodeFinding:
    decoded = None
    if kind == "tag":
        decoded = "".join(chr(ord(c) - 0xE0000) for c in text[start:end] if 0xE0020 <= ord(c) <= 0xE007E)
    return UnicodeFinding(kind, start, end, decoded)


def sanitize(text: str, *, keep: frozenset[UnicodeKind] = frozenset()) -> tuple[str, list[UnicodeFinding]]:
    """Return ``text`` without invisible/bidi/control characters, plus what was removed.

    Emoji joiners inside emoji sequences are kept. ``keep`` names kinds to
    leave in place (still reported). Fast path: text without any such
    character is returned as is after one regex search.
    """
    if _ANY.search(text) is None:
        return text, []
    findings = scan(text)
    if not findings:
        return text, []
    parts: list[str] = []
    cursor = 0
    for finding in findings:
        if finding.kind in keep:
            continue
        parts.append(text[cursor : finding.start])
        cursor = finding.end
    parts.append(text[cursor:])
    return "".join(parts), findings


def describe(finding: UnicodeFinding) -> str:
    """Human text for a finding, safe to print (no invisible characters)."""
    label = {
        "tag": "Unicode tag characters (invisible ASCII)",
        "zero_width": "zero-width characters",
        "bidi": "bidirectional control characters",
        "variation_selector": "variation selectors (can carry hidden bytes)",
        "control": "control characters",
        "private_use": "private-use characters",
    }[finding.kind]
    text = f"{finding.count} {label} at {finding.start}"
    if finding.decoded:
        text += f" spelling {finding.decoded[:80]!r}"
    return text
