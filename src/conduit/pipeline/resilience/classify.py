"""Which failures to retry, and which never to.

Retried: 408, 409, 429 (rate limit), 500, 502, 503, 504, connection errors
and timeouts. Never retried: every other status -- notably 400, 401, 403,
404, 422 -- and a 429 whose error code is ``insufficient_quota``: that is
billing, not load, and waiting will not fix it.

A verdict also says whether the failure counts against the endpoint's
circuit breaker (the server or the path to it is failing; a rate limit or a
client error proves the server is up) and whether the request may have been
processed and billed even though no usable answer came back (read timeouts,
connections dropped after the request was sent).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx2

from conduit.pipeline.resilience.hints import retry_hint

RETRY_STATUSES: frozenset[int] = frozenset({408, 409, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one attempt's outcome means for the retry loop."""

    reason: str  # ok | rate_limited | server_error | timeout | connection | insufficient_quota | client_error | circuit_open
    retryable: bool = False
    hint_s: float | None = None
    breaker: str = "success"  # success | failure | neutral
    maybe_billed: bool = False
    http_status: int | None = None
    error_code: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


OK = Verdict("ok")
CIRCUIT_OPEN = Verdict("circuit_open", breaker="neutral")


def error_code(content: bytes | None) -> str | None:
    """``error.code`` (or ``error.type``) of an OpenAI error body."""
    if not content:
        return None
    try:
        error = json.loads(content).get("error") or {}
    except (ValueError, AttributeError):
        return None
    if not isinstance(error, dict):
        return None
    code = error.get("code") or error.get("type")
    return str(code) if code else None


def error_summary(content: bytes | None, status: int | None) -> tuple[str, str]:
    """(code or type, message) of an OpenAI error body, for the ledger."""
    try:
        error = json.loads(content or b"").get("error") or {}
        code = error.get("code") or error.get("type") or f"http_{status}"
        return str(code), str(error.get("message") or "")[:500]
    except (ValueError, AttributeError):
        return f"http_{status}", (content or b"")[:200].decode("utf-8", "replace")


def classify_response(status: int, headers: Any, content: bytes | None) -> Verdict:
    if status < 400:
        return OK
    code = error_code(content) if status == 429 or status >= 500 else None
    if status == 429:
        if code == "insufficient_quota":
            return Verdict("insufficient_quota", breaker="neutral", http_status=status, error_code=code)
        return Verdict(
            "rate_limited", retryable=True, hint_s=retry_hint(headers, status), breaker="neutral",
            http_status=status, error_code=code,
        )
    if status in RETRY_STATUSES:
        return Verdict(
            "timeout" if status in (408, 504) else ("conflict" if status == 409 else "server_error"),
            retryable=True,
            hint_s=retry_hint(headers, status),
            breaker="neutral" if status == 409 else "failure",
            http_status=status,
            error_code=code,
        )
    return Verdict(
        "server_error" if status >= 500 else "client_error",
        breaker="failure" if status >= 500 else "success",
        http_status=status,
        error_code=code,
    )


def classify_error(error: BaseException, *, response_started: bool = False) -> Verdict | None:
    """A transport exception → verdict; None for exceptions that are not network failures.

    ``response_started``: the status line had arrived (the body or stream
    broke later), so the server certainly processed the request.
    """
    if not isinstance(error, (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)):
        return None
    # nothing left the machine: cannot have been billed
    unsent = isinstance(error, (httpx2.ConnectTimeout, httpx2.ConnectError, httpx2.PoolTimeout))
    timeout = isinstance(error, httpx2.TimeoutException)
    return Verdict(
        "timeout" if timeout else "connection",
        retryable=True,
        breaker="failure",
        maybe_billed=response_started or not unsent,
    )
