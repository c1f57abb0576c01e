"""Find and redact secrets in text and JSON-like objects.

``redact`` runs on every log line and ledger row, so it is built to be cheap:
one case-insensitive keyword regex (the union of every rule's keywords, as
gitleaks does) decides in a single C-speed pass whether any rule can match;
text without a keyword is returned untouched. Only the rules whose keywords
occur then run their own regex.

Findings never carry the secret's value: a ``SecretFinding`` is a kind, a
span and a confidence, so printing, logging or raising one cannot leak it.
"""

from __future__ import annotations

import functools
import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from conduit.guard import _registry
from conduit.guard._gitleaks import SecretRule, load_rules_file, parse_rules

__all__ = [
    "SecretFinding",
    "find_secrets",
    "redact",
    "redact_obj",
    "redact_findings",
    "shannon_entropy",
    "configure_rules",
    "active_rules",
]


@dataclass(frozen=True, slots=True)
class SecretFinding:
    """Where a secret is: ``text[start:end]``. Deliberately holds no value."""

    kind: str
    start: int
    end: int
    confidence: float
    rule_id: str = ""

    def describe(self) -> str:
        """Safe text for errors and logs: kind and position, never the value."""
        return f"{self.kind} at characters {self.start}-{self.end}"


def shannon_entropy(value: str) -> float:
    """Bits per character: random tokens score high, words and placeholders low."""
    if not value:
        return 0.0
    length = len(value)
    return -sum((n / length) * math.log2(n / length) for n in Counter(value).values())


def _char_classes(value: str) -> int:
    return sum((any(c.islower() for c in value), any(c.isupper() for c in value), any(c.isdigit() for c in value)))


# ---------------------------------------------------------------- generic assignments

_PASSWORD_WORDS = r"password|passwd|passwort|contrase(?:ñ|n)a|pwd|passphrase|pass"
_SECRET_WORDS = (
    r"secret|token|api[_\-.]?key|apikey|access[_\-.]?key|auth[_\-.]?key|client[_\-.]?secret"
    r"|private[_\-.]?key|credentials?|signing[_\-.]?key|encryption[_\-.]?key"
)
# Two steps instead of one big regex: find the keyword (fast), then match the
# assignment right after it. A leading "[\w.-]{0,40}?" in a single regex would
# backtrack at every position of every log line.
_GENERIC_WORD = re.compile(r"(?:" + _PASSWORD_WORDS + "|" + _SECRET_WORDS + r")")
_GENERIC_WORD_I = re.compile(_GENERIC_WORD.pattern, re.IGNORECASE)
_ASSIGNMENT = re.compile(
    r"(?P<suffix>[\w.\-]{0,30}?)[\"'`\]]{0,2}[ \t]*(?::=|=>|=|:)[ \t]*(?P<quote>[\"'`]?)(?P<value>[^\s\"'`,;]{4,300})"
)
_ASSIGNMENT_CHARS = frozenset(":=")
_KEY_CHARS = frozenset(string.ascii_letters + string.digits + "_.-")
_GENERIC_KEYWORDS = (
    "password", "passwd", "passwort", "contraseña", "contrasena", "pwd", "pass", "secret", "token",
    "key", "credential",
)  # fmt: skip
# keys that contain a keyword but name something that is not a credential
_NOT_SECRET_KEY = re.compile(
    r"(?i)(?:tokens|tokeniz\w*|token_?(?:type|count|usage|limit|ids?|budget|len(?:gth)?)|"
    r"(?:max|min|prompt|completion|total|input|output|num|reasoning|cached)_?tokens?|"
    r"[_\-.](?:file|path|name|id|env|var|url|uri|type|length|len|count|policy|field|hint|prompt|"
    r"required|enabled|set|header|param|endpoint|rotation|expiry|expires(?:_at|_in)?|ttl|reset)|"
    r"passage|passenger|passes|passed|passing|passive|bypass|compass|keyboard|keys|keyword\w*|monkey|"
    r"secretary|turnkey|hotkey)$"
)
_PLACEHOLDER_WORDS = (
    "example", "your", "xxxx", "placeholder", "changeme", "change_me", "dummy", "sample", "redacted",
    "todo", "fixme", "insert", "replace", "here", "secret_value", "none", "null", "undefined",
    "environ", "getenv", "process.env", "settings.", "config.", "os.", "env(", "vault(", "******",
    "....", "…",
)  # fmt: skip
_TEMPLATE_START = ("$", "%", "{", "<", "(", "[", "@", "&", "*", "\\")
_DOTTED_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+(?:\(.*)?$")
_SNAKE_IDENTIFIER = re.compile(r"^[a-z_][a-z_]*$|^[A-Z_][A-Z_]*$")
_BOOLEANISH = {"true", "false", "yes", "no", "on", "off", "none", "null", "nil", "required", "optional", "string"}


def _generic_value_ok(key: str, word: str, quote: str, value: str) -> float | None:
    """Confidence for a ``key = value`` credential assignment, or None if it is not one."""
    value = value.rstrip(".)]}>")
    lowered = value.lower()
    if _NOT_SECRET_KEY.search(key) or len(value) < 6:
        return None
    if lowered in _BOOLEANISH or value.replace(".", "").replace("-", "").isdigit():
        return None
    if value.startswith(_TEMPLATE_START) or any(w in lowered for w in _PLACEHOLDER_WORDS):
        return None
    if len(set(value)) <= 2 or _DOTTED_IDENTIFIER.match(value):
        return None
    entropy = shannon_entropy(value)
    is_password = re.fullmatch(_PASSWORD_WORDS, word, re.IGNORECASE) is not None
    if is_password:
        # passwords are short and human: ask for some mixing rather than high entropy
        if _SNAKE_IDENTIFIER.match(value) and not quote:
            return None
        if entropy < 2.5 or (_char_classes(value) < 2 and not re.search(r"[^A-Za-z0-9]", value)):
            return None
        return min(0.9, 0.55 + (entropy - 2.5) * 0.15)
    if len(value) < 10 or _SNAKE_IDENTIFIER.match(value) or _char_classes(value) < 2:
        return None
    threshold = min(3.3, math.log2(len(value)) * 0.8)
    if entropy < threshold:
        return None
    return min(0.9, 0.6 + (entropy - threshold) * 0.15)


# ---------------------------------------------------------------- rule set


class _RuleSet:
    """Compiled rules plus the keyword set used as the pre-filter.

    The pre-filter lower-cases the text once and runs one substring search
    per keyword (C ``str.__contains__``), which is several times faster than
    a case-insensitive alternation regex for ~100 keywords.
    """

    def __init__(self, rules: list[SecretRule]) -> None:
        self.rules = rules
        self.keywords = tuple(sorted({kw for rule in rules for kw in rule.keywords} | set(_GENERIC_KEYWORDS)))
        self.keyless = [rule for rule in rules if not rule.keywords]

    def present(self, lower: str) -> set[str]:
        return {kw for kw in self.keywords if kw in lower}


def _default_rules() -> list[SecretRule]:
    import tomllib

    text = resources.files("conduit.guard").joinpath("rules/secrets.toml").read_text(encoding="utf-8")
    rules, _ = parse_rules(tomllib.loads(text), "conduit.guard/rules/secrets.toml")
    return rules


@functools.lru_cache(maxsize=1)
def _default_ruleset() -> _RuleSet:
    return _RuleSet(_default_rules() + _configured_extra_rules())


def _configured_extra_rules() -> list[SecretRule]:
    """Rules from ``[guard.secrets] extra_rules`` in conduit.toml (gitleaks files).

    Settings (pydantic) cost ~130 ms to import; a process that has not loaded
    them and has no conduit.toml does not pay that just to redact a string.
    """
    import os
    import sys
    from pathlib import Path

    if "conduit.settings" not in sys.modules and not Path(os.environ.get("CONDUIT_CONFIG", "conduit.toml")).is_file():
        return []
    try:
        from conduit.settings import get_settings

        section = get_settings().config.get("guard", {}).get("secrets", {})
    except Exception:  # settings unavailable or unreadable: the defaults still protect
        return []
    extra: list[SecretRule] = []
    paths = section.get("extra_rules", []) if isinstance(section, dict) else []
    for path in [paths] if isinstance(paths, str) else paths:
        extra.extend(load_rules_file(path)[0])
    return extra


_override: _RuleSet | None = None


def configure_rules(extra: Iterable[SecretRule] = (), *, replace_defaults: bool = False) -> None:
    """Install extra rules for this process (e.g. ``load_rules_file(...)[0]``); tests reset with ``()``."""
    global _override
    extra = list(extra)
    if not extra and not replace_defaults:
        _override = None
        return
    _override = _RuleSet(extra if replace_defaults else _default_rules() + extra)


def active_rules() -> list[SecretRule]:
    """The rules ``find_secrets`` uses now."""
    return list((_override or _default_ruleset()).rules)


def _ruleset() -> _RuleSet:
    return _override or _default_ruleset()


# ---------------------------------------------------------------- detection


def _rule_findings(rule: SecretRule, text: str) -> Iterable[SecretFinding]:
    for match in rule.regex.finditer(text):
        group = rule.secret_group if rule.secret_group <= (rule.regex.groups or 0) else 0
        start, end = match.span(group)
        if start < 0 or start == end:
            continue
        value = text[start:end]
        if rule.entropy and shannon_entropy(value) < rule.entropy:
            continue
        if rule.char_classes and _char_classes(value) < rule.char_classes:
            continue
        lowered = value.lower()
        if rule.stopwords and any(word in lowered for word in rule.stopwords):
            continue
        if any(allow.search(value) for allow in rule.allow_regexes):
            continue
        if re.search(r"(.)\1{7,}", value):  # ghp_xxxxxxxx... style placeholders
            continue
        if "[REDACTED" in value:  # our own placeholder is never a secret (keeps redact idempotent)
            continue
        yield SecretFinding(rule.kind, start, end, rule.confidence, rule.id)


def _generic_findings(text: str, lower: str) -> Iterable[SecretFinding]:
    same_length = len(lower) == len(text)
    words = _GENERIC_WORD.finditer(lower) if same_length else _GENERIC_WORD_I.finditer(text)
    consumed = 0
    for word in words:
        if word.start() < consumed:
            continue
        key_start = word.start()
        while key_start > 0 and word.start() - key_start < 40 and text[key_start - 1] in _KEY_CHARS:
            key_start -= 1
        if key_start > 0 and text[key_start - 1].isalnum():  # inside a longer non-ASCII word
            continue
        if text.endswith("[REDACTED:", 0, key_start):  # our own placeholder is not a key
            continue
        match = _ASSIGNMENT.match(text, word.end())
        if match is None:
            continue
        key = text[key_start : word.end()] + match.group("suffix")
        value = match.group("value")
        confidence = _generic_value_ok(key, word.group(0), match.group("quote"), value)
        if confidence is None:
            continue
        start = match.start("value")
        end = start + len(value.rstrip(".)]}>"))
        consumed = end
        kind = "password" if re.fullmatch(_PASSWORD_WORDS, word.group(0), re.IGNORECASE) else "generic-secret"
        yield SecretFinding(kind, start, end, round(confidence, 2), "generic-assignment")


def _handle_findings(text: str) -> Iterable[SecretFinding]:
    for name, value in _registry.items():
        start = text.find(value)
        while start != -1:
            yield SecretFinding(f"handle:{name}", start, start + len(value), 1.0, "secret-handle")
            start = text.find(value, start + len(value))


def _resolve_overlaps(findings: list[SecretFinding]) -> list[SecretFinding]:
    """Keep one finding per overlapping cluster: the most confident, then the longest."""
    findings.sort(key=lambda f: (f.start, -f.end))
    kept: list[SecretFinding] = []
    for finding in findings:
        if kept and finding.start < kept[-1].end:
            best = kept[-1]
            if (finding.confidence, finding.end - finding.start) > (best.confidence, best.end - best.start):
                kept[-1] = SecretFinding(
                    finding.kind, min(best.start, finding.start), max(best.end, finding.end), finding.confidence,
                    finding.rule_id,
                )  # fmt: skip
            else:
                kept[-1] = SecretFinding(best.kind, best.start, max(best.end, finding.end), best.confidence, best.rule_id)
            continue
        kept.append(finding)
    return kept


def find_secrets(text: str) -> list[SecretFinding]:
    """Secrets in ``text``, sorted by position, overlaps merged."""
    if not text:
        return []
    ruleset = _ruleset()
    lower = text.lower()
    present = ruleset.present(lower)
    findings: list[SecretFinding] = list(_handle_findings(text)) if _registry.has_values() else []
    if present:
        for rule in ruleset.rules:
            if rule.keywords and not present.intersection(rule.keywords):
                continue
            if rule.require_all and not all(token in lower for token in rule.require_all):
                continue
            findings.extend(_rule_findings(rule, text))
        if present.intersection(_GENERIC_KEYWORDS) and _ASSIGNMENT_CHARS.intersection(text):
            findings.extend(_generic_findings(text, lower))
    for rule in ruleset.keyless:
        findings.extend(_rule_findings(rule, text))
    return _resolve_overlaps(findings) if findings else []


def _redact_spans(text: str, findings: list[SecretFinding]) -> str:
    # every other literal occurrence of a found value is a leak too
    values = {text[f.start : f.end]: f.kind for f in findings if f.end - f.start >= 6}
    parts: list[str] = []
    cursor = 0
    for finding in findings:
        parts.append(text[cursor : finding.start])
        parts.append(f"[REDACTED:{finding.kind}]")
        cursor = finding.end
    parts.append(text[cursor:])
    redacted = "".join(parts)
    for value, kind in sorted(values.items(), key=lambda item: -len(item[0])):
        if value in redacted:
            redacted = redacted.replace(value, f"[REDACTED:{kind}]")
    return redacted


def redact_findings(text: str, findings: list[SecretFinding]) -> str:
    """Redact ``findings`` already computed for ``text`` (saves a second scan)."""
    return _redact_spans(text, findings) if findings else text


def redact(text: str) -> str:
    """``text`` with every secret replaced by ``[REDACTED:<kind>]``.

    Text without any rule keyword (and no registered secret handle value)
    costs one regex search and is returned as is.
    """
    if not text or not isinstance(text, str):
        return text
    findings = find_secrets(text)
    return _redact_spans(text, findings) if findings else text


# ---------------------------------------------------------------- objects

_SECRET_KEY_NAME = re.compile(
    r"(?i)^(?:.*[_\-.])?(?:password|passwd|pwd|passphrase|secret|client_?secret|api_?key|apikey|"
    r"x-api-key|access_?token|refresh_?token|id_?token|auth_?token|session_?token|bearer_?token|token|"
    r"authorization|proxy-authorization|cookie|set-cookie|private_?key|secret_?key|signing_?key|"
    r"credentials?|connection_?string)$"
)
_MASKED = re.compile(r"^(?:\*+|x+|•+|\[REDACTED[^\]]*\]|<redacted>|)$", re.IGNORECASE)


def is_secret_key_name(name: str) -> bool:
    """Whether a mapping key names a credential (``api_key``, ``Authorization``, ``db_password``...)."""
    return bool(_SECRET_KEY_NAME.match(name))


def redact_obj(obj: Any) -> Any:
    """A copy of a JSON-like object with secrets redacted.

    Strings are redacted by content; additionally, a string stored under a
    credential-named key (``password``, ``api_key``, ``Authorization``...) is
    replaced whole, because short human passwords have no shape to detect.
    """
    if isinstance(obj, str):
        return redact(obj)
    if isinstance(obj, Mapping):
        result: dict[Any, Any] = {}
        for key, value in obj.items():
            if isinstance(key, str) and isinstance(value, str) and is_secret_key_name(key):
                result[key] = value if _MASKED.match(value.strip()) else f"[REDACTED:{_key_kind(key)}]"
            else:
                result[key] = redact_obj(value)
        return result
    if isinstance(obj, list):
        return [redact_obj(item) for item in obj]
    if isinstance(obj, tuple):
        return tuple(redact_obj(item) for item in obj)
    return obj


def _key_kind(key: str) -> str:
    lowered = key.lower()
    if "pass" in lowered or "pwd" in lowered:
        return "password"
    if "authorization" in lowered or "token" in lowered:
        return "token"
    if "cookie" in lowered:
        return "cookie"
    return "secret"
