"""What every meter (one per endpoint) provides to the pipeline.

A meter knows one endpoint's wire format: it names the model a request is
for, prepares the request (e.g. asks for streaming usage), estimates the
worst-case units and cost before sending, and reads actual usage from the
response -- JSON, an SSE stream, or a binary body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from conduit.usage import Usage


@dataclass(slots=True)
class Payload:
    """A request body as the meter sees it: parsed JSON, or raw bytes (multipart)."""

    raw: bytes
    content_type: str
    json: dict[str, Any] | None = None
    modified: bool = False
    flags: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, raw: bytes, content_type: str) -> "Payload":
        from conduit.errors import ValidationError

        data: dict[str, Any] | None = None
        if raw and "json" in content_type:
            try:
                loaded = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                raise ValidationError(f"The request body is not valid JSON: {exc}", "Send a JSON object.") from exc
            if not isinstance(loaded, dict):
                raise ValidationError("The request body must be a JSON object.", "Send a JSON object.")
            data = loaded
        return cls(raw=raw, content_type=content_type, json=data)

    def set_json(self, data: dict[str, Any]) -> None:
        self.json = data
        self.raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        self.modified = True


def json_model(payload: Payload) -> str | None:
    """The ``model`` of a JSON request body, if it names one."""
    model = (payload.json or {}).get("model")
    return model if isinstance(model, str) else None


def json_object(content: bytes) -> dict[str, Any]:
    """A response body as a JSON object ({} when it is not one)."""
    try:
        data = json.loads(content)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@dataclass(slots=True)
class Estimate:
    """Worst-case units and cost of a request, known before it is sent."""

    usage: Usage = field(default_factory=Usage)
    usd: Decimal | None = None
    price_source: str | None = None
    price_version: str | None = None
    upper_bound: bool = True


class StreamMeter(Protocol):
    """Reads usage out of an SSE stream, event by event."""

    model: str | None

    def feed(self, data: str) -> bool:
        """Take one SSE ``data:`` payload; return False to hide it from the caller."""
        ...

    def usage(self, complete: bool) -> Usage:
        """Actual usage if the stream reported it, else a conservative count of what arrived."""
        ...


class Meter(Protocol):
    endpoint: str

    def model_of(self, payload: Payload) -> str | None: ...

    def validate(self, payload: Payload) -> None: ...

    def prepare(self, payload: Payload) -> None: ...

    def estimate(self, payload: Payload, model: str | None) -> Estimate: ...

    def read(self, payload: Payload, status: int, headers: Any, content: bytes) -> tuple[Usage, str | None]:
        """(usage, model the server says it used) from a complete response."""
        ...

    def stream_meter(self, payload: Payload, estimate: Estimate | None = None) -> StreamMeter: ...
