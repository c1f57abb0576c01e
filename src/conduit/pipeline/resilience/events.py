"""What the resilience layer is doing, as it happens: for the CLI, logs and tests.

Every wait, retry, fallback and give-up is published as a
:class:`ResilienceEvent` to the listeners registered here (process-wide, so
calls made from any thread or task are seen) and logged on
``conduit.resilience``. The CLI registers a listener that prints
"rate limited, retrying in 2.1 s (attempt 2/6)" on stderr.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

log = logging.getLogger("conduit.resilience")

_REASONS = {
    "rate_limited": "rate limited",
    "server_error": "server error",
    "timeout": "timed out",
    "connection": "connection failed",
    "conflict": "conflict",
    "circuit_open": "circuit open",
    "insufficient_quota": "out of quota",
}


@dataclass(frozen=True, slots=True)
class ResilienceEvent:
    """One decision of the retry loop.

    ``kind``: ``retry`` (waiting ``wait_s`` before attempt ``attempt`` of
    ``max_attempts``), ``queued`` (client-side rate limit: waiting before
    sending), ``fallback`` (switching from ``model`` to ``fallback_to``) or
    ``give_up`` (``detail`` says which limit stopped the retries).
    """

    kind: str
    exchange_id: str
    model: str | None
    reason: str | None = None
    attempt: int = 1
    max_attempts: int = 1
    wait_s: float = 0.0
    http_status: int | None = None
    fallback_to: str | None = None
    detail: str | None = None

    def describe(self) -> str:
        """One human line, e.g. ``rate limited, retrying in 2.1 s (attempt 2/6)``."""
        what = _REASONS.get(self.reason or "", self.reason or "failed")
        if self.http_status and self.reason in ("server_error", "timeout", "conflict"):
            what = f"{what} ({self.http_status})"
        if self.kind == "retry":
            return f"{what}, retrying in {self.wait_s:.1f} s (attempt {self.attempt}/{self.max_attempts})"
        if self.kind == "queued":
            return f"client-side rate limit for {self.model}: waiting {self.wait_s:.1f} s"
        if self.kind == "fallback":
            return f"{what} on {self.model}; falling back to {self.fallback_to}"
        return f"{what}; giving up{': ' + self.detail if self.detail else ''}"


Listener = Callable[[ResilienceEvent], None]
_listeners: list[Listener] = []
_lock = threading.Lock()


def add_listener(listener: Listener) -> None:
    with _lock:
        _listeners.append(listener)


def remove_listener(listener: Listener) -> None:
    with _lock:
        try:
            _listeners.remove(listener)
        except ValueError:
            pass


@contextmanager
def listening(listener: Listener) -> Iterator[Listener]:
    """``with listening(print_event): ...`` -- receive events only inside the block."""
    add_listener(listener)
    try:
        yield listener
    finally:
        remove_listener(listener)


def publish(event: ResilienceEvent) -> None:
    log.log(
        logging.INFO,  # the CLI shows these through a listener; libraries stay quiet by default
        "%s",
        event.describe(),
        extra={"exchange_id": event.exchange_id, "model": event.model, "event": event.kind},
    )
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(event)
        except Exception:  # a broken listener must never break a model call
            log.exception("resilience event listener failed")
