"""What the ledger stores: one record per exchange (attempt) and per tool call."""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from conduit.usage import Usage

_NANO = Decimal("1000000000")


_counter = itertools.count()
_salt = f"{random.getrandbits(24):06x}"


def new_id(prefix: str = "ex") -> str:
    """Sortable, unique ids: time-ordered hex, then pid, a per-process salt and counter.

    Not ``uuid4``: reading the OS entropy pool costs ~50 µs per call on some VMs,
    which is most of the pipeline's budget for a loopback call.
    """
    return f"{prefix}_{time.time_ns():x}{os.getpid():x}{_salt}{next(_counter):x}"


def _reseed_after_fork() -> None:
    global _salt
    _salt = f"{random.getrandbits(24):06x}"


os.register_at_fork(after_in_child=_reseed_after_fork)


def to_nanousd(usd: Decimal | None) -> int | None:
    return None if usd is None else int((usd * _NANO).to_integral_value())


@dataclass(slots=True)
class ExchangeRecord:
    """One attempt at one model call, as it will be stored."""

    endpoint: str
    model: str | None
    status: str  # ok | error | refused | cancelled
    id: str = field(default_factory=new_id)
    created_at: float = field(default_factory=time.time)
    requested_model: str | None = None
    http_status: int | None = None
    attempt: int = 1
    stream: bool = False
    latency_ms: float | None = None
    usage: Usage = field(default_factory=Usage)
    estimated_input_tokens: int | None = None
    estimate_usd: Decimal | None = None
    cost_usd: Decimal | None = None
    price_source: str | None = None
    price_version: str | None = None
    project: str | None = None
    user: str | None = None
    session: str | None = None
    request_id: str | None = None
    upstream: str | None = None
    error_class: str | None = None
    error_message: str | None = None
    note: str | None = None
    # the logical exchange this attempt belongs to (retries share it; None = this row's own id)
    exchange_id: str | None = None
    # seconds waited (backoff + client-side rate limiting) before this attempt was sent, in ms
    wait_ms: float | None = None
    # the model this exchange was first sent to, when a fallback model answered instead
    fallback_from: str | None = None

    def to_row(self) -> dict[str, object]:
        u = self.usage
        return {
            "id": self.id,
            "created_at": self.created_at,
            "endpoint": self.endpoint,
            "model": self.model,
            "requested_model": self.requested_model,
            "status": self.status,
            "http_status": self.http_status,
            "attempt": self.attempt,
            "stream": int(self.stream),
            "latency_ms": self.latency_ms,
            "input_tokens": u.input_tokens,
            "cached_input_tokens": u.cached_input_tokens,
            "audio_input_tokens": u.audio_input_tokens,
            "output_tokens": u.output_tokens,
            "reasoning_tokens": u.reasoning_tokens,
            "audio_output_tokens": u.audio_output_tokens,
            "images": u.images,
            "audio_seconds": u.audio_seconds,
            "characters": u.characters,
            "usage_json": json.dumps(u.to_dict(), separators=(",", ":")),
            "estimated_input_tokens": self.estimated_input_tokens,
            "estimate_usd": None if self.estimate_usd is None else str(self.estimate_usd),
            "cost_usd": None if self.cost_usd is None else str(self.cost_usd),
            "cost_nanousd": to_nanousd(self.cost_usd),
            "price_source": self.price_source,
            "price_version": self.price_version,
            "project": self.project,
            "user_id": self.user,
            "session": self.session,
            "request_id": self.request_id,
            "upstream": self.upstream,
            "error_class": self.error_class,
            "error_message": self.error_message,
            "note": self.note,
            "exchange_id": self.exchange_id or self.id,
            "wait_ms": self.wait_ms,
            "fallback_from": self.fallback_from,
        }


@dataclass(slots=True)
class ToolCallRecord:
    """One MCP (or built-in) tool call."""

    server: str
    tool: str
    status: str  # ok | error | timeout | refused
    id: str = field(default_factory=lambda: new_id("tc"))
    created_at: float = field(default_factory=time.time)
    duration_ms: float | None = None
    output_bytes: int | None = None
    error: str | None = None
    session: str | None = None
    exchange_id: str | None = None

    def to_row(self) -> dict[str, object]:
        return {
            "id": self.id,
            "created_at": self.created_at,
            "server": self.server,
            "tool": self.tool,
            "status": self.status,
            "duration_ms": self.duration_ms,
            "output_bytes": self.output_bytes,
            "error": self.error,
            "session": self.session,
            "exchange_id": self.exchange_id,
        }
