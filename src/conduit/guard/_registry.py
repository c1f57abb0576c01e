"""Process-wide set of secret values handed out as handles.

Why a registry: once ``conduit.secret("DB_PASSWORD")`` has read a value, that
exact string must never reach a log line, a ledger row or the model, even
when it has no recognisable shape. ``conduit.guard.secrets`` consults this
set on every redaction.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_values: dict[str, str] = {}  # name -> value
_version = 0  # bumped on every change, so memoised scans know when to rescan


def register(name: str, value: str) -> None:
    """Remember ``value`` (under ``name``) as a secret to redact everywhere."""
    global _version
    if value:
        with _lock:
            _values[name] = value
            _version += 1


def unregister(name: str) -> None:
    global _version
    with _lock:
        _values.pop(name, None)
        _version += 1


def version() -> int:
    return _version


def has_values() -> bool:
    return bool(_values)


def items() -> list[tuple[str, str]]:
    """A snapshot, longest values first so overlapping values redact fully."""
    with _lock:
        return sorted(_values.items(), key=lambda item: -len(item[1]))
