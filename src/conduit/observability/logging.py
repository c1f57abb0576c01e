"""JSON-lines logging where every line is redacted before it is written.

Loggers are standard ``logging`` loggers under ``conduit.*``; the JSON
formatter adds exchange id, session and any ``extra=`` fields, and the
redaction filter scrubs keys and bearer tokens from the message *and* the
extras, so a careless ``log.info(headers)`` cannot leak a key.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from conduit.observability.redact import redact

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """Scrubs secrets from the formatted message and string extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                record.__dict__[key] = redact(value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = value if isinstance(value, (int, float, bool, type(None))) else redact(str(value))
        if record.exc_info and record.exc_info[0] is not None:
            payload["error"] = redact(f"{record.exc_info[0].__name__}: {record.exc_info[1]}")
        return json.dumps(payload, ensure_ascii=False)


def get_logger(name: str) -> logging.Logger:
    logger = logging.getLogger(name if name.startswith("conduit") else f"conduit.{name}")
    return logger


def configure_logging(level: str = "WARNING", file: Path | None = None) -> logging.Handler:
    """Attach one JSON handler (stderr or a file) with redaction to the ``conduit`` logger."""
    root = logging.getLogger("conduit")
    for handler in list(root.handlers):
        if getattr(handler, "_conduit", False):
            root.removeHandler(handler)
    handler: logging.Handler
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler._conduit = True  # type: ignore[attr-defined]
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler


_configured_from: tuple[str, str | None] | None = None


def configure_from_settings(settings: "object") -> bool:
    """Honour CONDUIT_LOG_LEVEL / CONDUIT_LOG_FILE (env, .env or [conduit] in conduit.toml) once.

    Nothing is changed unless one of them was set: a library must not take
    over its host application's logging uninvited. Returns whether they were.
    """
    global _configured_from
    import os

    level = str(getattr(settings, "log_level", "WARNING"))
    file = getattr(settings, "log_file", None)
    explicit = file is not None or "CONDUIT_LOG_LEVEL" in os.environ or level.upper() != "WARNING"
    wanted = (level.upper(), None if file is None else str(file))
    if not explicit:
        return False
    if _configured_from != wanted:
        configure_logging(level, None if file is None else Path(file))
        _configured_from = wanted
    return True
