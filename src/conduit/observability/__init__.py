"""Structured logging with redaction (and, later, trace spans)."""

from conduit.observability.logging import configure_from_settings, configure_logging, get_logger
from conduit.observability.redact import redact

__all__ = ["configure_from_settings", "configure_logging", "get_logger", "redact"]
