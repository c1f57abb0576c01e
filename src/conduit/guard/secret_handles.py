"""Secret handles: the model sees a placeholder, only the tool call sees the value.

Why: an agent often needs a credential *inside* a tool call (a database
password, an API token) but the model never needs to know it. With
``conduit.secret("DB_PASSWORD")`` the model is told to write the placeholder
``{{secret:DB_PASSWORD}}``; ``substitute`` swaps in the real value only in
the arguments of the tool call that runs, and ``scrub`` removes the value
(and its common encodings) from the tool's result before the model reads it.
The value is also registered for process-wide redaction, so it cannot reach
a log line or the ledger even if some code prints it.
"""

from __future__ import annotations

import base64
import os
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from conduit.errors import ConfigurationError
from conduit.guard import _registry

__all__ = ["SecretHandle", "secret", "substitute", "scrub", "placeholder_for"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_PLACEHOLDER = re.compile(r"\{\{\s*secret:([A-Za-z_][A-Za-z0-9_]{0,127})\s*\}\}")


def placeholder_for(name: str) -> str:
    return "{{secret:" + name + "}}"


class SecretHandle:
    """A named secret whose value never appears in ``repr``, ``str`` or equality.

    ``str(handle)`` is the placeholder, so dropping a handle into a prompt
    or tool description is safe by construction.
    """

    __slots__ = ("name", "_value")

    def __init__(self, name: str, value: str) -> None:
        if not _NAME.match(name):
            raise ConfigurationError(
                f"Secret name {name!r} is not valid.", "Use letters, digits and underscores, e.g. DB_PASSWORD."
            )
        if not value:
            raise ConfigurationError(f"Secret {name} is empty.", f"Set {name} in the environment or in .env.")
        self.name = name
        self._value = value
        _registry.register(name, value)

    @property
    def placeholder(self) -> str:
        return placeholder_for(self.name)

    def reveal(self) -> str:
        """The real value. Call only where the value must be used (inside a tool call)."""
        return self._value

    def forget(self) -> None:
        """Stop redacting this value process-wide (e.g. after rotating it)."""
        _registry.unregister(self.name)

    def __str__(self) -> str:
        return self.placeholder

    def __repr__(self) -> str:
        return f"SecretHandle({self.name!r}, placeholder={self.placeholder!r})"

    def __reduce__(self) -> Any:  # pickling would write the value to disk or a queue
        raise TypeError("SecretHandle cannot be pickled; pass its name and call conduit.secret() again")


def _dotenv_value(name: str, path: Path) -> str | None:
    if not path.is_file():
        return None
    try:
        from dotenv import dotenv_values  # installed with pydantic-settings
    except ImportError:  # pragma: no cover - pydantic-settings depends on python-dotenv
        return None
    value = dotenv_values(path).get(name)
    return value or None


def secret(name: str, *, value: str | None = None, env_file: str | Path = ".env") -> SecretHandle:
    """A handle for the secret ``name``, read from the environment or ``.env``.

    ``value`` lets a program pass a value it obtained elsewhere (a vault);
    it is then handled exactly like an environment secret.
    """
    if value is None:
        value = os.environ.get(name) or _dotenv_value(name, Path(env_file))
    if not value:
        raise ConfigurationError(
            f"Secret {name} is not set.", f"Set {name} in the environment or in {env_file}, or pass value=..."
        )
    return SecretHandle(name, value)


def _by_name(handles: Iterable[SecretHandle] | Mapping[str, SecretHandle]) -> dict[str, SecretHandle]:
    values = handles.values() if isinstance(handles, Mapping) else handles
    return {h.name: h for h in values}


def substitute(arguments: Any, handles: Iterable[SecretHandle] | Mapping[str, SecretHandle]) -> Any:
    """A copy of tool-call ``arguments`` with each ``{{secret:NAME}}`` replaced by its value.

    Only handles passed in are substituted (the tool's grant); a placeholder
    naming any other secret is refused, so a model cannot ask for a secret the
    tool was not given.
    """
    table = _by_name(handles)

    def replace(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            handle = table.get(match.group(1))
            if handle is None:
                from conduit.errors import SecurityError

                raise SecurityError(
                    f"Tool arguments ask for secret {match.group(1)}, which this tool was not given.",
                    "Grant the handle to the tool explicitly, or remove the placeholder.",
                )
            return handle.reveal()

        return _PLACEHOLDER.sub(one, text)

    return _map_strings(arguments, replace)


def _encodings(value: str) -> list[str]:
    raw = value.encode("utf-8")
    forms = {
        value,
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value),
        base64.b64encode(raw).decode("ascii"),
        base64.b64encode(raw).decode("ascii").rstrip("="),
        base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="),
        raw.hex(),
    }
    return sorted((f for f in forms if len(f) >= 4), key=len, reverse=True)


def scrub(result: Any, handles: Iterable[SecretHandle] | Mapping[str, SecretHandle]) -> Any:
    """A copy of a tool ``result`` with every handle's value (plain, URL-, base64- or
    hex-encoded) replaced by its placeholder, so the model never reads it back."""
    replacements = [(form, h.placeholder) for h in _by_name(handles).values() for form in _encodings(h.reveal())]
    replacements.sort(key=lambda item: -len(item[0]))

    def replace(text: str) -> str:
        for form, placeholder in replacements:
            if form in text:
                text = text.replace(form, placeholder)
        return text

    return _map_strings(result, replace)


def _map_strings(value: Any, fn: Any) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, Mapping):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    if isinstance(value, tuple):
        return tuple(_map_strings(v, fn) for v in value)
    return value
