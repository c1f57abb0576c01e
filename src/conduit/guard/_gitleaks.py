"""Load secret-detection rules written in gitleaks' configuration format.

Why gitleaks' format: it is the most widely maintained public rule format
(hundreds of provider rules, each with keywords for pre-filtering, entropy
thresholds and allowlists). conduit ships its own rules in that format and
loads any extra gitleaks config a user points it at, including upstream's
``config/gitleaks.toml`` as is. Go's RE2 syntax differs from Python's in a
few places; ``_go_to_python`` translates the constructs upstream rules use
and rules that still fail to compile are skipped and reported.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conduit.errors import ConfigurationError

_POSIX_CLASSES = {
    "[:alnum:]": "A-Za-z0-9",
    "[:alpha:]": "A-Za-z",
    "[:digit:]": "0-9",
    "[:lower:]": "a-z",
    "[:upper:]": "A-Z",
    "[:space:]": r"\s",
    "[:xdigit:]": "0-9A-Fa-f",
    "[:word:]": r"\w",
    "[:punct:]": r"!-/:-@\[-`{-~",
}
_INLINE_FLAGS = re.compile(r"\(\?([imsU]+)\)")


@dataclass(frozen=True, slots=True)
class SecretRule:
    """One compiled rule: a regex that finds a secret, and what makes a match count."""

    id: str
    kind: str
    regex: re.Pattern[str]
    keywords: tuple[str, ...] = ()
    secret_group: int = 0
    entropy: float = 0.0
    confidence: float = 0.9
    char_classes: int = 0
    stopwords: tuple[str, ...] = ()
    allow_regexes: tuple[re.Pattern[str], ...] = field(default=())
    description: str = ""
    require_all: tuple[str, ...] = ()


def _go_to_python(pattern: str) -> str:
    """Translate RE2-isms: mid-pattern global flags, ``\\z``, POSIX classes, ``(?P<`` is shared."""
    for posix, replacement in _POSIX_CLASSES.items():
        pattern = pattern.replace(posix, replacement)
    pattern = pattern.replace(r"\z", r"\Z")
    flags = set()
    for match in _INLINE_FLAGS.finditer(pattern):
        flags.update(match.group(1).replace("U", ""))
    if flags:
        pattern = "(?" + "".join(sorted(flags)) + ")" + _INLINE_FLAGS.sub("", pattern)
    return pattern


def _allowlist(raw: dict[str, Any]) -> tuple[list[str], list[re.Pattern[str]]]:
    stopwords: list[str] = []
    regexes: list[re.Pattern[str]] = []
    entries = []
    if isinstance(raw.get("allowlist"), dict):
        entries.append(raw["allowlist"])
    entries.extend(a for a in raw.get("allowlists", []) or [] if isinstance(a, dict))
    for entry in entries:
        stopwords.extend(str(w).lower() for w in entry.get("stopwords", []) or [])
        for pattern in entry.get("regexes", []) or []:
            try:
                regexes.append(re.compile(_go_to_python(str(pattern))))
            except re.error:
                continue
    return stopwords, regexes


def parse_rules(data: dict[str, Any], origin: str = "<config>") -> tuple[list[SecretRule], list[str]]:
    """Compile the ``[[rules]]`` of a parsed gitleaks config.

    Returns the rules and the ids of rules that were skipped (no regex, e.g.
    path-only rules, or a regex Python cannot compile).
    """
    rules: list[SecretRule] = []
    skipped: list[str] = []
    for raw in data.get("rules", []) or []:
        if not isinstance(raw, dict):
            continue
        rule_id = str(raw.get("id") or f"rule-{len(rules)}")
        pattern = raw.get("regex")
        if not pattern:
            skipped.append(rule_id)
            continue
        try:
            regex = re.compile(_go_to_python(str(pattern)))
        except re.error:
            skipped.append(rule_id)
            continue
        stopwords, allow_regexes = _allowlist(raw)
        group = int(raw.get("secretGroup", 0) or 0)
        if group == 0 and regex.groups >= 1:
            group = 1  # gitleaks reports the first group when secretGroup is unset
        rules.append(
            SecretRule(
                id=rule_id,
                kind=str(raw.get("kind") or rule_id),
                regex=regex,
                keywords=tuple(str(k).lower() for k in raw.get("keywords", []) or []),
                secret_group=min(group, regex.groups),
                entropy=float(raw.get("entropy", 0.0) or 0.0),
                confidence=float(raw.get("confidence", 0.9)),
                char_classes=int(raw.get("charClasses", 0) or 0),
                stopwords=tuple(stopwords),
                allow_regexes=tuple(allow_regexes),
                description=str(raw.get("description", "")),
                require_all=tuple(str(t).lower() for t in raw.get("requireAll", []) or []),
            )
        )
    return rules, skipped


def load_rules_file(path: str | Path) -> tuple[list[SecretRule], list[str]]:
    """Read and compile a gitleaks TOML file; a missing or broken file is a ConfigurationError."""
    file = Path(path).expanduser()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigurationError(
            f"Secret rules file {file} does not exist.", "Fix [guard.secrets] extra_rules in conduit.toml."
        ) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"Secret rules file {file} is not valid TOML: {exc}", "It must be a gitleaks-format config."
        ) from exc
    return parse_rules(data, str(file))
