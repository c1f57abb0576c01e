"""Resilience settings: the ``[resilience]`` section of ``conduit.toml``.

    [resilience]
    max_attempts = 6          # per model, first try included
    base_delay = 0.5          # s; full-jitter exponential backoff: uniform(0, min(max_delay, base * 2**n))
    max_delay = 20            # s; cap on one computed backoff (a server's Retry-After may ask for more)
    max_total_wait = 60       # s; all waits of one exchange together (backoff + queueing)
    max_usd = 0.50            # per exchange: the worst case of every attempt that may be billed
    hint_jitter = 0.1         # spread added on top of Retry-After (fraction of it)

    [resilience.timeouts]     # s; a read timeout is the longest silence between bytes
    connect = 5
    default = 300
    "images.generations" = 600

    [resilience.rate_limits."gpt-4o"]   # client-side, per model, shared by the whole process
    rpm = 500
    tpm = 30000
    max_queue = 60            # s; refuse rather than queue longer than this
    shared = true             # optional: one limit for every process using the same ledger database

    [resilience.circuit_breaker]        # per (base URL, model)
    window = 20
    min_calls = 10
    failure_ratio = 0.8
    open_seconds = 30

    [resilience.fallbacks]
    "gpt-4o" = ["gpt-4o-mini"]

Rate-limit and fallback keys may be glob patterns (``"gpt-4o*"``, ``"*"``);
an exact name wins over a pattern.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from conduit.errors import ConfigurationError

DEFAULT_READ_TIMEOUTS: dict[str, float] = {
    "chat.completions": 300.0,
    "responses": 300.0,
    "completions": 300.0,
    "embeddings": 60.0,
    "moderations": 60.0,
    "images.generations": 600.0,
    "images.edits": 600.0,
    "images.variations": 600.0,
    "audio.transcriptions": 600.0,
    "audio.translations": 600.0,
    "audio.speech": 600.0,
}
# what the openai SDK and conduit's factories send when the caller did not choose a timeout
_UNCHOSEN_READ_TIMEOUTS = (600.0, None)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_total_wait: float = 60.0
    max_usd: Decimal | None = None
    hint_jitter: float = 0.1


@dataclass(frozen=True, slots=True)
class Timeouts:
    connect: float = 5.0
    default: float = 300.0
    read: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_READ_TIMEOUTS))

    def for_endpoint(self, endpoint: str) -> dict[str, float]:
        read = self.read.get(endpoint, self.default)
        return {"connect": self.connect, "read": read, "write": read, "pool": read}

    def apply(self, endpoint: str, chosen: Mapping[str, Any] | None) -> dict[str, float | None]:
        """The timeout for one attempt: the caller's if they chose one, else the endpoint's."""
        if chosen and chosen.get("read") not in _UNCHOSEN_READ_TIMEOUTS:
            return dict(chosen)
        return dict(self.for_endpoint(endpoint))


@dataclass(frozen=True, slots=True)
class RateLimitRule:
    rpm: float | None = None
    tpm: float | None = None
    max_queue: float = 60.0
    shared: bool = False  # kept in the ledger database: one limit for every process using it


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    enabled: bool = True
    window: int = 20
    min_calls: int = 10
    failure_ratio: float = 0.8
    open_seconds: float = 30.0
    half_open_probes: int = 1


@dataclass(frozen=True, slots=True)
class ResilienceConfig:
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeouts: Timeouts = field(default_factory=Timeouts)
    rate_limits: Mapping[str, RateLimitRule] = field(default_factory=dict)
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
    fallbacks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def rate_limit_for(self, model: str | None) -> RateLimitRule | None:
        return _match(self.rate_limits, model)

    def fallbacks_for(self, model: str | None) -> tuple[str, ...]:
        return _match(self.fallbacks, model) or ()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> "ResilienceConfig":
        """Build from the parsed ``[resilience]`` table; bad values raise ConfigurationError."""
        data = dict(data or {})
        retry = RetryPolicy(
            max_attempts=_int(data, "max_attempts", 6, minimum=1),
            base_delay=_num(data, "base_delay", 0.5),
            max_delay=_num(data, "max_delay", 20.0),
            max_total_wait=_num(data, "max_total_wait", 60.0),
            max_usd=_usd(data.get("max_usd")),
            hint_jitter=_num(data, "hint_jitter", 0.1),
        )
        t = _table(data, "timeouts")
        reads = dict(DEFAULT_READ_TIMEOUTS)
        reads.update({k: _num(t, k, 0.0, minimum=0.001) for k in t if k not in ("connect", "default")})
        timeouts = Timeouts(
            connect=_num(t, "connect", 5.0, minimum=0.001), default=_num(t, "default", 300.0, minimum=0.001), read=reads
        )
        limits: dict[str, RateLimitRule] = {}
        for model, rule in _table(data, "rate_limits").items():
            if not isinstance(rule, dict):
                raise _bad(f"rate_limits.{model}", "a table like { rpm = 500, tpm = 30000 }")
            unknown = set(rule) - {"rpm", "tpm", "max_queue", "shared"}
            if unknown:
                raise _bad(
                    f"rate_limits.{model}", f"only rpm, tpm, max_queue and shared (not {', '.join(sorted(unknown))})"
                )
            if not isinstance(rule.get("shared", False), bool):
                raise _bad(f"rate_limits.{model}.shared", "true or false")
            limits[model] = RateLimitRule(
                rpm=_num(rule, "rpm", 0.0, minimum=0.001) if "rpm" in rule else None,
                tpm=_num(rule, "tpm", 0.0, minimum=0.001) if "tpm" in rule else None,
                max_queue=_num(rule, "max_queue", 60.0),
                shared=rule.get("shared", False),
            )
        b = _table(data, "circuit_breaker")
        breaker = BreakerPolicy(
            enabled=bool(b.get("enabled", True)),
            window=_int(b, "window", 20, minimum=1),
            min_calls=_int(b, "min_calls", 10, minimum=1),
            failure_ratio=_num(b, "failure_ratio", 0.8, minimum=0.01),
            open_seconds=_num(b, "open_seconds", 30.0),
            half_open_probes=_int(b, "half_open_probes", 1, minimum=1),
        )
        fallbacks: dict[str, tuple[str, ...]] = {}
        for model, chain in _table(data, "fallbacks").items():
            if isinstance(chain, str):
                chain = [chain]
            if not isinstance(chain, list) or not all(isinstance(m, str) and m for m in chain):
                raise _bad(f"fallbacks.{model}", 'a list of model names, e.g. ["gpt-4o-mini"]')
            fallbacks[model] = tuple(m for m in chain if m != model)
        return cls(retry=retry, timeouts=timeouts, rate_limits=limits, breaker=breaker, fallbacks=fallbacks)


def _match(table: Mapping[str, Any], model: str | None) -> Any:
    if not table or model is None:
        return None
    if model in table:
        return table[model]
    best: tuple[int, Any] | None = None
    for pattern, value in table.items():
        if any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(model, pattern):
            specificity = len(pattern.replace("*", ""))
            if best is None or specificity > best[0]:
                best = (specificity, value)
    return best[1] if best else None


def _bad(key: str, expected: str) -> ConfigurationError:
    return ConfigurationError(
        f"conduit.toml: [resilience] {key} is not valid.", f"Expected {expected}; see `[resilience]` in the README."
    )


def _table(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise _bad(key, "a table")
    return value


def _num(data: Mapping[str, Any], key: str, default: float, minimum: float = 0.0) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise _bad(key, f"a number >= {minimum:g}")
    return float(value)


def _int(data: Mapping[str, Any], key: str, default: int, minimum: int = 0) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _bad(key, f"a whole number >= {minimum}")
    return value


def _usd(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        usd = Decimal(str(value))
    except InvalidOperation:
        raise _bad("max_usd", "an amount in USD such as 0.50") from None
    if usd <= 0:
        raise _bad("max_usd", "an amount in USD greater than 0")
    return usd
