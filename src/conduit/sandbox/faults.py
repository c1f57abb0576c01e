"""Switchable faults: the failures a real OpenAI endpoint produces, on demand.

A :class:`Fault` describes one kind of failure, how many requests it hits
(``count``; ``None`` = until reset), which requests (``path`` / ``model``
filters, ``probability`` with a fixed seed for reproducible fault *rates*)
and its parameters. The :class:`FaultBook` is consulted once per request
under a lock, so faults are consumed exactly once even with concurrent
clients.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

FAULT_KINDS = (
    "rate_limit",
    "insufficient_quota",
    "request_timeout",
    "conflict",
    "server_error",
    "bad_gateway",
    "unavailable",
    "timeout",
    "slow",
    "drop",
    "stream_drop",
)


@dataclass
class Fault:
    """One injected failure mode.

    - ``rate_limit``: 429 ``rate_limit_exceeded`` with ``retry-after`` (whole
      seconds, rounded up), ``retry-after-ms`` (exact) and ``x-ratelimit-*``
      headers; ``retry_after`` defaults to 1 s.
    - ``insufficient_quota``: 429 ``insufficient_quota`` (billing), no Retry-After.
    - ``request_timeout`` (408), ``conflict`` (409), ``server_error`` (500),
      ``bad_gateway`` (502), ``unavailable`` (503), ``timeout`` (504);
      ``retry_after`` adds Retry-After headers if given.
    - ``slow``: waits ``delay`` seconds, then answers normally.
    - ``drop``: closes the connection without any response.
    - ``stream_drop``: a streaming request gets ``after_chunks`` events, then
      the connection closes; a non-streaming one gets its headers and part of
      the body, then the connection closes.
    """

    kind: str
    count: int | None = 1
    retry_after: float | None = None
    path: str | None = None
    model: str | None = None
    delay: float = 1.0
    after_chunks: int = 1
    probability: float = 1.0
    seed: int = 0
    message: str | None = None
    _rng: random.Random = field(init=False, repr=False, compare=False)
    hits: int = field(default=0, init=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if self.count is not None and self.count < 0:
            raise ValueError("count must be >= 0 (or None for unlimited)")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if self.path is not None and not self.path.startswith("/"):
            self.path = "/" + self.path
        self._rng = random.Random(self.seed)

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.hits >= self.count

    def matches(self, path: str, model: str | None) -> bool:
        if self.path is not None and path != self.path and path != "/v1" + self.path:
            return False
        return self.model is None or self.model == model

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_rng", None)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Fault":
        allowed = {"kind", "count", "retry_after", "path", "model", "delay", "after_chunks", "probability", "seed", "message"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        return cls(**data)


class FaultBook:
    """The injected faults, consulted in injection order; first match wins."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, path: str, model: str | None) -> Fault | None:
        """The fault that hits this request (consuming one of its ``count``), or None."""
        with self._lock:
            for fault in self._faults:
                if fault.exhausted or not fault.matches(path, model):
                    continue
                if fault.probability < 1.0 and fault._rng.random() >= fault.probability:
                    continue
                fault.hits += 1
                return fault
            self._faults = [f for f in self._faults if not f.exhausted]
        return None

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_dict() for f in self._faults]
