"""Prompt-injection screen: a score with reasons, from signals that generalise.

Why signals and not phrase lists: attacks are rephrased endlessly, and the
texts that *discuss* attacks (security docs, guard prompts, code) share
their vocabulary. Each signal (defined in ``conduit.guard._signals``) is a
small grammar over a concept
(an override verb governing an instruction noun; a request to reveal the
system prompt; an order to hide something from the user; text imitating
conversation structure; directives addressed to the model's own output),
written once for English and Spanish (plus the override verbs of a few more
languages) over accent-folded, NFKC-normalised, invisible-character-free
text. Quoted, negated or descriptive mentions count less.

Where the text came from matters: an imperative in a user prompt is normal,
the same imperative inside an e-mail returned by a tool is not. Scores are
combined as a noisy-OR (independent evidence accumulates, one weak signal
stays weak) inside the best window of ~1200 characters, because injected
instructions are local and a long benign document's scattered weak signals
must not add up. The screen is a detector, not the defence: the taint policy in
``conduit.guard.untrusted`` holds even when the screen misses.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Literal

from conduit.guard import unicode as _unicode
from conduit.guard._signals import (  # noqa: F401 - the vocabulary the scoring uses
    _ACCESS_VERB,
    _ADDRESSED,
    _BASE64_RUN,
    _DAN,
    _DAN_CONTEXT,
    _DECODE_EXEC,
    _DEDICATIVE,
    _DEFENSIVE_TAIL,
    _DESCRIPTIVE,
    _DESTRUCTIVE,
    _EXFIL,
    _EXFIL_COMMAND,
    _EXFIL_WEAK,
    _EXFIL_WORD,
    _EXTERNAL_DEST,
    _FAKE_BOUNDARY,
    _FINANCIAL_ACTION,
    _HIDDEN_CHANNEL,
    _IGNORE_USER,
    _IMPERATIVE_LINE,
    _KEY_WORDS,
    _MARKDOWN_IMAGE_URL,
    _NEGATION_BEFORE,
    _NO_LIMITS,
    _ON_BEHALF,
    _OVERRIDE,
    _OVERRIDE_SHORT,
    _PASS_ON_VERBS,
    _PRETEND,
    _PRIOR,
    _PRIVILEGED_ROLE,
    _PRIVILEGE_CLAIM,
    _PROMPT_LEAK,
    _ROLE_CHANGE,
    _ROLE_LABEL,
    _SECRECY,
    _SEND_TO_DEST,
    _SEND_VERB,
    _SENSITIVE_NOUN_RE,
    _SENSITIVE_TARGET,
    _SKIP_APPROVAL,
    _SPEAKER_LABEL,
    _TOOL_CALL,
    _URL,
    _USER_DATA_OUT,
    _VOCATIVE,
    _VOID_DECLARATION,
    _WINDOW,
    _feature_windows,
    _find,
    _fold,
)

Source = Literal["user", "tool", "file", "web", "transcript"]
Action = Literal["allow", "flag", "quarantine", "block"]
SOURCES: tuple[str, ...] = ("user", "tool", "file", "web", "transcript")
UNTRUSTED_SOURCES: frozenset[str] = frozenset({"tool", "file", "web", "transcript"})


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Score cut-offs for each action (inclusive)."""

    flag: float = 0.35
    quarantine: float = 0.6
    block: float = 0.85

    def action(self, score: float) -> Action:
        if score >= self.block:
            return "block"
        if score >= self.quarantine:
            return "quarantine"
        if score >= self.flag:
            return "flag"
        return "allow"


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class Reason:
    """One piece of evidence: a signal code, its weight after discounts, and where."""

    code: str
    detail: str
    weight: float
    start: int = -1
    end: int = -1

    def __str__(self) -> str:
        return f"{self.code} ({self.weight:.2f}): {self.detail}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The screen's answer: score 0..1, the action the thresholds give, and why."""

    score: float
    action: Action
    reasons: list[Reason] = field(default_factory=list)
    source: str = "user"

    @property
    def flagged(self) -> bool:
        return self.action != "allow"

    def as_dict(self) -> dict[str, object]:
        return {
            "score": round(self.score, 3),
            "action": self.action,
            "source": self.source,
            "reasons": [
                {"code": r.code, "detail": r.detail, "weight": round(r.weight, 3), "start": r.start, "end": r.end}
                for r in self.reasons
            ],
        }


# ---------------------------------------------------------------- scoring

# weight for user text / for untrusted text
_WEIGHTS: dict[str, tuple[float, float]] = {
    "override": (0.75, 0.8),
    "override_context": (0.4, 0.7),
    "role_change": (0.45, 0.55),
    "pretend_privileged": (0.5, 0.55),
    "pretend": (0.2, 0.3),
    "no_limits": (0.5, 0.5),
    "prompt_leak": (0.6, 0.6),
    "secrecy": (0.45, 0.65),
    "exfiltration": (0.3, 0.6),
    "exfil_url": (0.25, 0.4),
    "exfil_command": (0.6, 0.65),
    "send_to_destination": (0.25, 0.35),
    "sensitive_target": (0.25, 0.3),
    "fake_boundary": (0.35, 0.6),
    "role_label": (0.2, 0.45),
    "hidden_channel": (0.3, 0.45),
    "addressed_directive": (0.1, 0.5),
    "imperative_line": (0.0, 0.35),
    "directive_features": (0.0, 0.55),
    "tool_invocation": (0.1, 0.45),
    "destructive_command": (0.4, 0.3),
    "privilege_claim": (0.4, 0.5),
    "decode_execute": (0.45, 0.5),
    "skip_approval": (0.25, 0.45),
    "acts_for_user": (0.15, 0.35),
    "financial_action": (0.3, 0.45),
    "unicode_tags": (0.7, 0.8),
    "unicode_bidi": (0.3, 0.4),
    "unicode_variation": (0.4, 0.5),
    "unicode_zero_width": (0.15, 0.25),
}


class _Collector:
    """Every piece of evidence with its position; scoring happens per window later."""

    def __init__(self, folded: str, untrusted: bool) -> None:
        self.folded = folded
        self.untrusted = untrusted
        self.found: list[Reason] = []

    def add(self, code: str, detail: str, start: int = -1, end: int = -1, factor: float = 1.0) -> None:
        base = _WEIGHTS[code][1 if self.untrusted else 0] * factor
        if base > 0:
            self.found.append(Reason(code, detail, base, start, end))

    def add_match(self, code: str, detail: str, match: re.Match[str], *, discount: bool = True, factor: float = 1.0) -> None:
        if discount:
            factor *= _context_factor(self.folded, match.start(), match.end())
        self.add(code, f"{detail}: {_excerpt(self.folded, match)}", match.start(), match.end(), factor)

    @property
    def best(self) -> dict[str, Reason]:
        return _best_per_code(self.found)


# Scoring the best window of _WINDOW characters (not the whole text) keeps a long benign
# document, whose weak signals are scattered over pages, from adding up to a false positive.


def _best_per_code(reasons: list[Reason]) -> dict[str, Reason]:
    best: dict[str, Reason] = {}
    for reason in reasons:
        current = best.get(reason.code)
        if current is None or reason.weight > current.weight:
            best[reason.code] = reason
    return best


def _best_window(reasons: list[Reason]) -> list[Reason]:
    located = sorted((r for r in reasons if r.start >= 0), key=lambda r: r.start)
    floating = [r for r in reasons if r.start < 0]
    if not located:
        return list(_best_per_code(floating).values())
    best: list[Reason] = []
    best_score = -1.0
    end = 0
    for index, anchor in enumerate(located):
        end = max(end, index)
        while end < len(located) and located[end].start < anchor.start + _WINDOW:
            end += 1
        chosen = list(_best_per_code(located[index:end] + floating).values())
        score = _combine(chosen)
        if score > best_score:
            best, best_score = chosen, score
    return best


def _excerpt(text: str, match: re.Match[str]) -> str:
    snippet = " ".join(match.group(0).split())
    return repr(snippet[:80])


_SENTENCE_REACH = 400  # a "sentence" never extends further than this from a match (keeps scans linear)


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    floor = max(0, start - _SENTENCE_REACH)
    ceiling = min(len(text), end + _SENTENCE_REACH)
    left = max(max(text.rfind(ch, floor, start) for ch in ".!?\n"), floor - 1)
    rights = [i for i in (text.find(ch, end, ceiling) for ch in ".!?\n") if i != -1]
    return left + 1, (min(rights) if rights else ceiling)


_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")


def _inside_quotes(text: str, start: int, end: int) -> bool:
    """Whether the match is a quoted *mention* inside a sentence that says something else.

    A quoted span that makes up most of its sentence (a JSON string value, a
    quoted spreadsheet cell, a whole quoted message) is the content itself,
    so it is not discounted: tool results put everything in quotes.
    """
    left, right = _sentence_bounds(text, start, end)
    for opener, closer in (('"', '"'), ("“", "”"), ("«", "»"), ("'", "'"), ("`", "`")):
        before = text[left:start]
        after = text[end:right]
        if opener == "'":  # apostrophes (editor's, don't, users') are not quotes
            before, after = _APOSTROPHE.sub("", before), _APOSTROPHE.sub("", after)
        if opener == closer:
            quoted = before.count(opener) % 2 == 1 and closer in after
        else:
            quoted = before.rfind(opener) > before.rfind(closer) and closer in after
        if quoted:
            span = (len(before) - before.rfind(opener)) + (end - start) + after.find(closer)
            outside = len(before) + len(after) + (end - start) - span
            if outside >= 25 and span < 0.7 * (right - left):
                return True
    return False


def _context_factor(text: str, start: int, end: int) -> float:
    """Discount a match that is quoted, negated, or part of a description of attacks."""
    factor = 1.0
    if _inside_quotes(text, start, end):
        factor *= 0.35
    if _NEGATION_BEFORE.search(text[max(0, start - 24) : start]):
        factor *= 0.3
    left, right = _sentence_bounds(text, start, end)
    if _DESCRIPTIVE.search(text[left:start]) or _DESCRIPTIVE.search(text[end:right]):
        factor *= 0.55
    return factor


def _combine(reasons: list[Reason]) -> float:
    remaining = 1.0
    for reason in reasons:
        remaining *= 1.0 - min(max(reason.weight, 0.0), 0.99)
    return 1.0 - remaining


def _collect(folded: str, c: _Collector) -> None:
    for match in _find(_OVERRIDE, folded):
        has_prior = _PRIOR.search(folded[match.start() : match.end() + 30]) is not None
        # "ignore rules" without "previous/all/your" is weaker; "do not follow instructions found in
        # the document" is the defence itself, not an attack
        defensive = _DEFENSIVE_TAIL.match(folded, match.end()) is not None
        factor = (1.0 if has_prior else 0.4) * (0.1 if defensive else 1.0)
        c.add_match("override", "instruction-override phrase", match, factor=factor)
    for match in _find(_VOID_DECLARATION, folded):
        c.add_match("override", "declares the existing instructions void", match)
    for match in _find(_IGNORE_USER, folded):
        c.add_match("override_context", "tells the model to drop the user's request", match)
    for match in _find(_OVERRIDE_SHORT, folded):
        c.add_match("override_context", "tells the model to disregard what came before", match)
    for match in _find(_ROLE_CHANGE, folded):
        c.add_match("role_change", "assigns the model a new role", match)
    for match in _find(_PRETEND, folded):
        tail = folded[match.end() : match.end() + 60]
        wide_tail = folded[match.end() : match.end() + 160]
        if _PRIVILEGED_ROLE.search(tail) or _NO_LIMITS.search(tail) or _SENSITIVE_NOUN_RE.search(wide_tail) or _KEY_WORDS.search(wide_tail):
            c.add_match("pretend_privileged", "asks the model to act as a privileged or unrestricted role", match)
        else:
            c.add_match("pretend", "role-play request", match)
    for match in _find(_NO_LIMITS, folded):
        c.add_match("no_limits", "asks to drop restrictions", match)
    for match in _find(_PROMPT_LEAK, folded):
        generic = re.search(r"\b(?:a|an|un|una|example|examples|sample|template|ejemplo|ejemplos|plantilla)\b", match.group(0))
        c.add("prompt_leak", f"asks for the hidden/system prompt: {_excerpt(folded, match)}", match.start(), match.end(),
              _context_factor(folded, match.start(), match.end()) * (0.2 if generic else 1.0))  # fmt: skip
    for match in _find(_SECRECY, folded):
        c.add_match("secrecy", "tells the model to hide actions from the user", match)
    for match in _find(_EXFIL, folded):
        c.add_match("exfiltration", "asks to send data somewhere", match)
        sentence = folded[slice(*_sentence_bounds(folded, match.start(), match.end()))]
        url = _URL.search(sentence)
        if url:
            c.add("exfil_url", f"sending instruction next to URL {url.group(0)[:60]!r}", match.start(), match.end())
    for match in _find(_SEND_TO_DEST, folded):
        c.add_match("send_to_destination", "tells the model to send something to an outside address", match)
    for match in _find(_EXFIL_WEAK, folded):
        sentence = folded[slice(*_sentence_bounds(folded, match.start(), match.end()))]
        verb = match.group(0).split()[0]
        passes_on = verb in _PASS_ON_VERBS and _SENSITIVE_NOUN_RE.search(match.group(0))
        if passes_on or _EXTERNAL_DEST.search(sentence):
            c.add_match("exfiltration", "asks to pass data or secrets along", match, )
            url = _URL.search(sentence)
            if url:
                c.add("exfil_url", f"sending instruction next to URL {url.group(0)[:60]!r}", match.start(), match.end())
    for match in _find(_EXFIL_COMMAND, folded):
        c.add_match("exfil_command", "shell command sending local secrets out", match, discount=False)
    for match in _find(_EXFIL_WORD, folded):
        c.add_match("exfiltration", "mentions exfiltration", match)
    for match in _find(_MARKDOWN_IMAGE_URL, folded):
        c.add("exfil_url", "markdown image with query parameters (zero-click exfiltration channel)", match.start(), match.end())
    for match in _find(_SENSITIVE_TARGET, folded):
        sentence = folded[slice(*_sentence_bounds(folded, match.start(), match.end()))]
        factor = 1.0 if _ACCESS_VERB.search(sentence) or re.search(r"\b" + _SEND_VERB + r"\b", sentence) else 0.25
        c.add("sensitive_target", f"refers to credentials/secret files: {_excerpt(folded, match)}", match.start(), match.end(),
              factor * _context_factor(folded, match.start(), match.end()))  # fmt: skip
    for match in _find(_FAKE_BOUNDARY, folded):
        c.add_match("fake_boundary", "imitates conversation or instruction markup", match, discount=False)
    for match in _find(_DEDICATIVE, folded):
        c.add_match("addressed_directive", "a note dedicated to AI readers", match)
    for match in _VOCATIVE.finditer(folded):
        c.add_match("addressed_directive", "the model is addressed by name and told to act", match)
    for match in _ADDRESSED.finditer(folded):
        c.add_match("addressed_directive", "directive addressed to the model's own output", match)
    for match in _TOOL_CALL.finditer(folded):
        c.add_match("tool_invocation", "tells the model to call a tool/function", match)
    for match in _find(_DESTRUCTIVE, folded):
        c.add_match("destructive_command", "destructive or exfiltrating command", match, discount=False)
    for match in _find(_PRIVILEGE_CLAIM, folded):
        c.add_match("privilege_claim", "claims privileges or exemption from rules", match)
    for match in _find(_USER_DATA_OUT, folded):
        c.add_match("exfiltration", "tells the model to move the user's data outward", match)
    for match in _find(_FINANCIAL_ACTION, folded):
        c.add_match("financial_action", "tells the model to spend the user's money", match)
    for match in _find(_ON_BEHALF, folded):
        c.add_match("acts_for_user", "tells the model to act for the user or share data outward", match)
    for match in _find(_SKIP_APPROVAL, folded):
        c.add_match("skip_approval", "tells the model to act without the user's confirmation", match)
    for match in _find(_DECODE_EXEC, folded):
        c.add_match("decode_execute", "asks to decode and execute hidden content", match)
    if c.untrusted:
        for start, features in _feature_windows(folded):
            c.add("directive_features", "data addressed to the model: " + ", ".join(features), start,
                  min(len(folded), start + _WINDOW), factor=0.75 if len(features) == 3 else 1.0)  # fmt: skip
        for match in _IMPERATIVE_LINE.finditer(folded):
            if len(match.group(0).split()) >= 5:
                c.add_match("imperative_line", "stand-alone imperative sentence inside data", match)


def _probe_hidden(hidden: str, untrusted: bool) -> str:
    """Codes of the signals inside text hidden from human readers ('' if none)."""
    if not hidden.strip():
        return ""
    folded = _fold(hidden)
    probe = _Collector(folded, True)
    _collect(folded, probe)
    codes = [code for code, reason in probe.best.items() if reason.weight >= 0.3]
    if not codes and re.search(r"\b(?:ai|assistant|model|llm|agent|asistente|modelo)\b", folded):
        codes = ["addressed_to_model"]
    return ", ".join(sorted(codes))


def _role_labels(original: str, c: _Collector) -> None:
    # case-sensitive on the original text: "SYSTEM:" as a speaker label, not "system:" in YAML
    for match in _ROLE_LABEL.finditer(original):
        c.add("role_label", f"speaker label {match.group(0).strip()!r} inside the text", match.start(), match.end())
    for match in _SPEAKER_LABEL.finditer(original):
        c.add("role_label", f"speaker label {match.group(0).strip()!r} inside the text", match.start(), match.end(), 0.5)


def _decoded_payloads(text: str) -> list[str]:
    decoded: list[str] = []
    for match in _BASE64_RUN.finditer(text):
        blob = match.group(0)[:16384]  # instructions are short; a huge blob is data (an image, a file)
        blob = blob[: len(blob) - len(blob) % 4]
        try:
            raw = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True)
            value = raw.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        printable = sum(ch.isprintable() or ch in "\n\t" for ch in value)
        if value and printable / len(value) > 0.95 and re.search(r"[A-Za-z]{3,40}\s+[A-Za-z]{2,}", value):
            decoded.append(value)
        if len(decoded) >= 8:
            break
    return decoded


def screen(
    text: str,
    source: Source | str = "user",
    *,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    ignore: frozenset[str] | set[str] = frozenset(),
    _depth: int = 0,
) -> Verdict:
    """Score ``text`` for prompt injection given where it came from.

    ``source`` is one of "user", "tool", "file", "web", "transcript"; the
    last four are untrusted and weigh structural signals more. ``ignore``
    drops signal codes that are normal for a kind of text (tool
    descriptions are imperative by nature: ``{"imperative_line"}``).
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    untrusted = source in UNTRUSTED_SOURCES
    clean, unicode_findings = _unicode.sanitize(text)
    folded = _fold(clean)
    collector = _Collector(folded, untrusted)
    _collect(folded, collector)
    _role_labels(clean, collector)
    for match in _find(_HIDDEN_CHANNEL, clean, clean.lower()):
        hidden = match.group("body") or match.group("styled") or match.group("attr") or match.group("hiddenattr") or ""
        inner = _probe_hidden(hidden, untrusted)
        if inner:
            collector.add("hidden_channel", f"instructions hidden from human readers (comment/invisible styling): {inner}",
                          match.start(), match.end())  # fmt: skip
    for match in _DAN.finditer(clean):
        factor = _context_factor(clean, match.start(), match.end())
        if not _DAN_CONTEXT.search(clean[max(0, match.start() - 160) : match.end() + 160]):
            factor *= 0.3  # "DAN" as an acronym or a name
        collector.add("no_limits", "names the 'DAN' jailbreak persona", match.start(), match.end(), factor)
    hidden_texts: list[str] = []
    for finding in unicode_findings:
        if finding.kind == "tag":
            collector.add("unicode_tags", _unicode.describe(finding), finding.start, finding.end)
            if finding.decoded:
                hidden_texts.append(finding.decoded)
        elif finding.kind == "bidi":
            collector.add("unicode_bidi", _unicode.describe(finding), finding.start, finding.end)
        elif finding.kind == "variation_selector" and finding.count >= 4:
            collector.add("unicode_variation", _unicode.describe(finding), finding.start, finding.end)
        elif finding.kind == "zero_width" and finding.count >= 1:
            word_split = 0 < finding.start and finding.end < len(text) and text[finding.start - 1].isalpha() and text[finding.end].isalpha()
            if word_split:
                collector.add("unicode_zero_width", _unicode.describe(finding) + " inside a word", finding.start, finding.end)
    reasons = _best_window([r for r in collector.found if r.code not in ignore])
    if _depth == 0:
        for hidden in hidden_texts + _decoded_payloads(clean):
            inner = screen(hidden, source, thresholds=thresholds, ignore=ignore, _depth=1)
            if inner.score >= 0.2:
                top = ", ".join(r.code for r in inner.reasons[:3])
                reasons.append(Reason("hidden_payload", f"encoded/hidden text carries: {top}", min(0.95, inner.score + 0.1)))
    reasons.sort(key=lambda r: -r.weight)
    score = round(_combine(reasons), 4)
    return Verdict(score=score, action=thresholds.action(score), reasons=reasons, source=source)
