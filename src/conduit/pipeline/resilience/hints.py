"""The server's own advice on when to come back.

OpenAI sends ``retry-after-ms`` (exact), ``retry-after`` (seconds, or an
HTTP date per RFC 9110) and ``x-ratelimit-reset-requests`` /
``x-ratelimit-reset-tokens`` (durations like ``1s``, ``6m0s``, ``20ms``).
The most precise one present wins.
"""

from __future__ import annotations

import re
import time
from email.utils import parsedate_to_datetime
from typing import Any

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
# a server asking for more than this is not giving load advice (or is broken): ignore it
MAX_HINT_S = 3600.0


def parse_duration(text: str | None) -> float | None:
    """``"6m0s"`` → 360.0, ``"20ms"`` → 0.02, ``"1.5"`` → 1.5; None if unreadable."""
    if not text:
        return None
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    total, end = 0.0, 0
    for match in _DURATION_PART.finditer(text):
        if match.start() != end:
            return None
        total += float(match.group(1)) * _UNIT[match.group(2)]
        end = match.end()
    return total if end == len(text) and end > 0 else None


def _retry_after(value: str, wall_now: float) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, moment.timestamp() - wall_now)


def retry_hint(headers: Any, status: int | None = None, wall_now: float | None = None) -> float | None:
    """Seconds the server asks us to wait, or None when it gave no (sane) advice."""
    if headers is None:
        return None
    hint: float | None = None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            hint = max(0.0, float(ms) / 1000.0)
        except ValueError:
            hint = None
    if hint is None:
        value = headers.get("retry-after")
        if value:
            hint = _retry_after(value, time.time() if wall_now is None else wall_now)
    if hint is None and status == 429:
        hint = _reset_hint(headers)
    if hint is None or hint > MAX_HINT_S:
        return None
    return hint


def _reset_hint(headers: Any) -> float | None:
    """From ``x-ratelimit-reset-*``: the reset of whichever limit is exhausted (else the later one)."""
    exhausted: list[float] = []
    every: list[float] = []
    for kind in ("requests", "tokens"):
        reset = parse_duration(headers.get(f"x-ratelimit-reset-{kind}"))
        if reset is None:
            continue
        every.append(reset)
        if (headers.get(f"x-ratelimit-remaining-{kind}") or "").strip() == "0":
            exhausted.append(reset)
    chosen = exhausted or every
    return max(chosen) if chosen else None
