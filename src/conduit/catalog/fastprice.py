"""A fast path for pricing plain token usage, proven against the slow path per model.

genai-prices resolves units and decomposes usage on every call (~100 µs),
and the pipeline prices every exchange twice (estimate, actual). For the
common shape -- input, cached input, output and reasoning tokens -- a
model's price is usually linear, so once per model (and day) we measure the
marginal price of each field with the slow path, then *check* linearity on
probes that straddle tier thresholds (200K/272K-style long-context tiers)
and odd counts. Only a model that reproduces the slow path exactly on every
probe -- total, breakdown, source, version and notes -- gets the fast path;
any other model, or any other usage shape, keeps the slow path.
"""

from __future__ import annotations

import datetime as _dt
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from conduit.usage import Usage

_M = 1_000_000
_FIELDS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens")
_PROBES = (
    (1, 0, 1, 0),
    (15, 0, 42, 0),
    (1000, 0, 50, 0),
    (123_457, 100_000, 7_777, 5_000),
    (199_999, 0, 100, 0),
    (250_001, 1_024, 1, 0),
    (272_001, 0, 3, 1),
    (400_000, 128, 20_000, 19_000),
    (2_000_000, 1_000_000, 100_000, 0),
)


@dataclass(frozen=True, slots=True)
class _Linear:
    per_token: dict[str, dict[str, Decimal]]  # field -> label -> USD per token
    source: str
    version: str
    notes: tuple[str, ...]


_cache: dict[tuple[str, str | None, bool, _dt.date], _Linear | None] = {}
_lock = threading.Lock()


def plain_tokens(usage: Usage) -> bool:
    """Usage made only of input/cached/output/reasoning tokens (what chat and responses report)."""
    return not (
        usage.audio_input_tokens
        or usage.audio_output_tokens
        or usage.image_input_tokens
        or usage.image_output_tokens
        or usage.images
        or usage.audio_seconds
        or usage.characters
        or usage.image_size
        or usage.image_quality
    )


def _usage(values: tuple[int, int, int, int]) -> Usage:
    return Usage(**dict(zip(_FIELDS, values)))


def _difference(a: dict[str, Decimal], b: dict[str, Decimal]) -> dict[str, Decimal]:
    return {label: a.get(label, Decimal(0)) - b.get(label, Decimal(0)) for label in set(a) | set(b)}


def _combine(linear: _Linear, usage: Usage) -> tuple[Decimal, dict[str, Decimal]]:
    breakdown: dict[str, Decimal] = {}
    for name in _FIELDS:
        count = getattr(usage, name)
        if count:
            for label, per_token in linear.per_token[name].items():
                if per_token:
                    breakdown[label] = breakdown.get(label, Decimal(0)) + per_token * count
    breakdown = {label: amount for label, amount in breakdown.items() if amount}
    return sum(breakdown.values(), Decimal(0)), breakdown


def _learn(slow: Callable[[Usage], object]) -> _Linear | None:
    """Marginal prices from the slow path, kept only if they reproduce it exactly."""
    base_in, base_out = slow(_usage((_M, 0, 0, 0))), slow(_usage((0, 0, _M, 0)))
    with_cached, with_reasoning = slow(_usage((_M, _M, 0, 0))), slow(_usage((0, 0, _M, _M)))
    prices = (base_in, base_out, with_cached, with_reasoning)
    if any(getattr(p, "usd", None) is None for p in prices):
        return None
    per_million = {
        "input_tokens": dict(base_in.breakdown),  # type: ignore[attr-defined]
        "output_tokens": dict(base_out.breakdown),  # type: ignore[attr-defined]
        "cached_input_tokens": _difference(with_cached.breakdown, base_in.breakdown),  # type: ignore[attr-defined]
        "reasoning_tokens": _difference(with_reasoning.breakdown, base_out.breakdown),  # type: ignore[attr-defined]
    }
    linear = _Linear(
        per_token={f: {label: usd / _M for label, usd in table.items()} for f, table in per_million.items()},
        source=base_in.source,  # type: ignore[attr-defined]
        version=base_in.version,  # type: ignore[attr-defined]
        notes=tuple(base_in.notes),  # type: ignore[attr-defined]
    )
    for values in _PROBES:
        expected = slow(_usage(values))
        total, breakdown = _combine(linear, _usage(values))
        if (
            expected.usd != total  # type: ignore[attr-defined]
            or {k: v for k, v in expected.breakdown.items() if v} != breakdown  # type: ignore[attr-defined]
            or (expected.source, expected.version, tuple(expected.notes))  # type: ignore[attr-defined]
            != (linear.source, linear.version, linear.notes)
        ):
            return None
    return linear


def fast_price(
    model: str, usage: Usage, service_tier: str | None, batch: bool, slow: Callable[[Usage], object]
) -> tuple[Decimal, dict[str, Decimal], str, str, tuple[str, ...]] | None:
    """(usd, breakdown, source, version, notes) for plain token usage, or None to take the slow path."""
    if not plain_tokens(usage):
        return None
    key = (model, service_tier, batch, _dt.datetime.now(_dt.timezone.utc).date())
    if key not in _cache:
        linear = _learn(slow)
        with _lock:
            _cache[key] = linear
    linear = _cache[key]
    if linear is None:
        return None
    total, breakdown = _combine(linear, usage)
    return total, breakdown, linear.source, linear.version, linear.notes
