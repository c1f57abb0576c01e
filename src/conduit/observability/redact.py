"""Last-line redaction for anything written to logs or the ledger.

This is the cheap, always-on filter for API keys and bearer tokens. The guard
(``conduit.guard.secrets``) knows many more kinds of secret; when it is
importable its ``redact`` runs too.
"""

from __future__ import annotations

import re
from typing import Callable

_PATTERNS = re.compile(
    r"(?:sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,})"  # OpenAI keys
    r"|(?:(?i:bearer)\s+[A-Za-z0-9._~+/\-]{8,}=*)"  # Authorization values
)


def _fallback(text: str) -> str:
    return _PATTERNS.sub(lambda m: "Bearer [REDACTED]" if m.group(0)[:1] in "Bb" else "[REDACTED:openai-key]", text)


def _load_guard() -> Callable[[str], str] | None:
    try:
        from conduit.guard.secrets import redact as guard_redact
    except ImportError:
        return None
    return guard_redact


_guard_redact: Callable[[str], str] | None | bool = False


def redact(text: str | None) -> str | None:
    """Remove keys, bearer tokens and (with the guard) other secrets from text."""
    global _guard_redact
    if not text:
        return text
    if _guard_redact is False:
        _guard_redact = _load_guard()
    cleaned = _fallback(text)
    if callable(_guard_redact):
        cleaned = _guard_redact(cleaned)
    return cleaned
