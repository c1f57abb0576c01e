"""Turn a :class:`conduit.usage.Usage` into US dollars, exactly, with where the price came from.

Sources, first match wins per model:

1. **user overrides** -- ``[prices."<model>"]`` in ``conduit.toml`` (Azure,
   negotiated or brand-new prices);
2. **genai-prices** -- its bundled offline snapshot (never its network updater):
   token prices incl. cached, audio and image tokens, tiered and dated prices,
   service tiers and batch; whisper-1 per hour; tts-1 per character;
3. **conduit's bundled table** (:mod:`conduit.catalog.bundled`) for what
   genai-prices lacks: DALL·E per image, GPT-image per-image estimates,
   per-minute estimates for token-billed transcription, audio tokens of the
   gpt-4o audio previews.

A usage dimension no source prices (say audio seconds for a token-billed
model) makes the whole price unknown -- ``usd=None`` and a warning -- rather
than silently counting it as free. Unknown models are never priced at 0.
"""

from __future__ import annotations

import datetime as _dt
import logging
import threading
import warnings
from copy import copy
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Mapping

from conduit.catalog import bundled
from conduit.catalog.lookup import lookup_model, resolve_family
from conduit.catalog.names import fine_tune_base, is_fine_tune, strip_provider, strip_snapshot
from conduit.catalog.fastprice import fast_price
from conduit.usage import Usage

if TYPE_CHECKING:  # pragma: no cover
    from genai_prices.types import ModelPrice

__all__ = [
    "Price",
    "PriceWarning",
    "price",
    "price_usd",
    "unit_prices",
    "genai_prices_version",
    "genai_context_window",
    "estimate_image_output_tokens",
]

logger = logging.getLogger("conduit.catalog")

GENAI_SOURCE = "genai-prices"
BUNDLED_SOURCE = "conduit-bundled"
USER_SOURCE = "conduit.toml"
UNKNOWN_SOURCE = "unknown"


class PriceWarning(UserWarning):
    """A cost could not be determined; the call's cost is recorded as unknown, not zero."""


@dataclass(frozen=True, slots=True)
class Price:
    """The cost of one usage record.

    ``usd`` is None when the cost is unknown (unknown model, unpriced unit).
    ``source``/``version`` say which price list priced it (recorded in the
    ledger); ``breakdown`` maps each priced unit to its USD share; ``notes``
    explain estimates and gaps.
    """

    usd: Decimal | None
    source: str
    version: str
    breakdown: dict[str, Decimal] = field(default_factory=dict)
    model: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return self.usd is not None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: money as decimal strings (never floats)."""
        return {
            "cost_usd": None if self.usd is None else str(self.usd),
            "source": self.source,
            "version": self.version,
            "model": self.model,
            "breakdown": {k: str(v) for k, v in self.breakdown.items()},
            "notes": list(self.notes),
        }


# --- genai-prices access (lazy, offline) ----------------------------------------------------------

_genai_lock = threading.Lock()
_genai_state: dict[str, Any] = {}


def _genai() -> dict[str, Any]:
    """Load genai-prices' bundled snapshot once: provider 'openai', registry helpers, version.

    Uses ``data_snapshot._bundled_snapshot`` -- the data shipped in the wheel --
    and never ``UpdatePrices`` (which would fetch from GitHub in a thread).
    """
    state = _genai_state
    if state:
        return state
    with _genai_lock:
        if state:
            return state
        from importlib.metadata import version

        from genai_prices import data_snapshot, types
        from genai_prices.units import _get_registry

        snapshot = data_snapshot._bundled_snapshot()
        provider = next(p for p in snapshot.providers if p.id == "openai")
        state.update(
            snapshot=snapshot,
            provider=provider,
            types=types,
            registry=_get_registry(),
            version=version("genai_prices"),
        )
    return state


def genai_prices_version() -> str:
    """The installed genai-prices version (recorded with every row it priced)."""
    return str(_genai()["version"])


def _genai_model(model: str) -> Any | None:
    """genai-prices' ModelInfo for ``model``, trying the id, its fine-tune form, then its family."""
    state = _genai()
    snapshot, provider = state["snapshot"], state["provider"]
    candidates = [strip_provider(model)]
    if is_fine_tune(model):
        base = fine_tune_base(model)
        candidates.append(f"ft:{base}")
    else:
        family = resolve_family(model)
        for name in (strip_snapshot(model), family):
            if name and name not in candidates:
                candidates.append(name)
    for ref in candidates:
        try:
            _, info = snapshot.find_provider_model(ref, provider, None, None)
            return info
        except LookupError:
            continue
    return None


def genai_context_window(model: str) -> int | None:
    """genai-prices' context window for ``model`` (for models the catalog table lacks)."""
    info = _genai_model(model)
    window = getattr(info, "context_window", None) if info is not None else None
    return int(window) if window else None


# --- units -----------------------------------------------------------------------------------------

# genai usage key -> the name used in Price.breakdown
_LABELS = {
    "input_tokens": "input_tokens",
    "cache_read_tokens": "cached_input_tokens",
    "input_audio_tokens": "audio_input_tokens",
    "cache_audio_read_tokens": "cached_audio_input_tokens",
    "input_image_tokens": "image_input_tokens",
    "cache_image_read_tokens": "cached_image_input_tokens",
    "output_tokens": "output_tokens",
    "output_audio_tokens": "audio_output_tokens",
    "output_image_tokens": "image_output_tokens",
    "input_characters": "characters",
    "audio_seconds": "audio_seconds",
    "input_audio_seconds": "audio_seconds",
}

# user-facing price keys (conduit.toml, `unit_prices`) -> genai price keys
_PRICE_KEYS = {
    "input_mtok": "input_mtok",
    "cached_input_mtok": "cache_read_mtok",
    "output_mtok": "output_mtok",
    "audio_input_mtok": "input_audio_mtok",
    "cached_audio_input_mtok": "cache_audio_read_mtok",
    "audio_output_mtok": "output_audio_mtok",
    "image_input_mtok": "input_image_mtok",
    "cached_image_input_mtok": "cache_image_read_mtok",
    "image_output_mtok": "output_image_mtok",
    "per_million_chars": "input_mchars",
}


def _genai_usage(usage: Usage, *, include_seconds: bool, include_chars: bool) -> Any:
    """Our Usage as genai-prices' Usage (same hierarchy: totals include their parts)."""
    from genai_prices.types import Usage as GUsage

    input_tokens = max(
        usage.input_tokens,
        usage.cached_input_tokens,
        usage.audio_input_tokens + usage.image_input_tokens,
    )
    output_tokens = max(usage.output_tokens, usage.audio_output_tokens + usage.image_output_tokens)
    values: dict[str, int | float | Decimal] = {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
    }
    if usage.cached_input_tokens:
        values["cache_read_tokens"] = usage.cached_input_tokens
    if usage.audio_input_tokens:
        values["input_audio_tokens"] = usage.audio_input_tokens
    if usage.image_input_tokens:
        values["input_image_tokens"] = usage.image_input_tokens
    if usage.audio_output_tokens:
        values["output_audio_tokens"] = usage.audio_output_tokens
    if usage.image_output_tokens:
        values["output_image_tokens"] = usage.image_output_tokens
    if include_chars and usage.characters:
        values["input_characters"] = usage.characters
    if include_seconds and usage.audio_seconds:
        seconds = Decimal(repr(float(usage.audio_seconds)))
        values["audio_seconds"] = seconds
        values["input_audio_seconds"] = seconds
    return GUsage(**values)


def _has_key(model_price: Any, key: str) -> bool:
    return getattr(model_price, key, None) is not None


def _has_token_price(model_price: Any) -> bool:
    return any(
        _has_key(model_price, key)
        for key in ("input_mtok", "output_mtok", "input_audio_mtok", "output_audio_mtok", "output_image_mtok")
    )


def _calc(model_price: Any, gusage: Any) -> tuple[Decimal, dict[str, Decimal]]:
    """Total and per-unit breakdown of ``gusage`` under ``model_price`` (genai-prices' arithmetic)."""
    state = _genai()
    types, registry = state["types"], state["registry"]
    total_input = gusage.input_tokens
    try:
        resolved = types._collect_resolved_model_prices(model_price, registry)
        counts = types._compute_registry_priced_counts(resolved, gusage)
        breakdown: dict[str, Decimal] = {}
        total = Decimal(0)
        for unit, unit_price in resolved:
            if unit.usage_key == "requests":
                continue
            amount = types.calc_unit_price(unit_price, counts.get(unit.usage_key), total_input, unit.per)
            if amount:
                label = _LABELS.get(unit.usage_key, unit.usage_key)
                breakdown[label] = breakdown.get(label, Decimal(0)) + amount
                total += amount
        return total, breakdown
    except AttributeError:  # genai-prices changed its internals: keep the total, coarser breakdown
        result = model_price.calc_price(gusage)
        return result["total_price"], {"input": result["input_price"], "output": result["output_price"]}


# --- user overrides ------------------------------------------------------------------------------


def _user_prices() -> dict[str, Any]:
    try:
        from conduit.settings import get_settings

        prices = get_settings().config.get("prices", {})
    except Exception as exc:  # a broken config must not make pricing crash mid-call
        logger.warning("could not read [prices] from conduit.toml: %s", exc)
        return {}
    return prices if isinstance(prices, dict) else {}


def _decimal(value: Any, where: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        from conduit.errors import ConfigurationError

        raise ConfigurationError(
            f"Price {where} = {value!r} in conduit.toml is not a number.",
            'Write prices as numbers or quoted decimals, e.g. input_mtok = "2.50".',
        ) from exc
    if not result.is_finite() or result < 0:
        from conduit.errors import ConfigurationError

        raise ConfigurationError(
            f"Price {where} = {value!r} in conduit.toml must be a finite, non-negative number.",
            'Write prices as numbers or quoted decimals, e.g. input_mtok = "2.50".',
        )
    return result


def _override_for(model: str, overrides: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    if not overrides:
        return None
    candidates = [model, strip_provider(model), fine_tune_base(model), strip_snapshot(model)]
    family = resolve_family(model)
    if family:
        candidates.append(family)
    for name in candidates:
        entry = overrides.get(name)
        if isinstance(entry, Mapping):
            return name, entry
    return None


# --- the public API -------------------------------------------------------------------------------


_warn_enabled = threading.local()


def _unknown(model: str, reason: str, notes: list[str] | None = None) -> Price:
    message = f"cost of {model!r} is unknown: {reason}"
    if getattr(_warn_enabled, "value", True):
        warnings.warn(message, PriceWarning, stacklevel=4)
        logger.warning(message)
    return Price(None, UNKNOWN_SOURCE, "", {}, model, tuple((notes or []) + [reason]))


def _parse_size(size: str | None) -> tuple[int, int] | None:
    if not size or "x" not in size:
        return None
    try:
        width, height = (int(part) for part in size.lower().split("x", 1))
    except ValueError:
        return None
    return (width, height) if width > 0 and height > 0 else None


def estimate_image_output_tokens(model: str, size: str | None, quality: str | None) -> tuple[int, bool]:
    """(output image tokens per image, exact) for a GPT image model's ``size`` and ``quality``.

    Published table for gpt-image-1/-1-mini/-1.5; later models scale it (an
    estimate). ``auto`` size/quality count as the largest/highest (upper bound);
    custom sizes scale by area from the nearest standard size.
    """
    family = resolve_family(model) or strip_snapshot(model)
    table, exact = bundled.image_output_tokens_table(family)
    quality = (quality or "auto").lower()
    factor = bundled.extra_quality_factor(quality)
    if quality in ("auto", "xhigh", "max", "hd"):
        exact = exact and quality == "hd"
        quality = "high"
    elif quality == "standard":
        quality = "medium"
    exact = exact and factor == 1
    size = (size or "auto").lower()
    if size == "auto":
        return max(v for (s, q), v in table.items() if q == quality) * factor, False
    if (size, quality) in table:
        return table[(size, quality)] * factor, exact
    dims = _parse_size(size)
    if dims is None or quality not in {q for _, q in table}:
        return max(table.values()) * factor, False
    area = dims[0] * dims[1]
    per_pixel = max(v / (int(s.split("x")[0]) * int(s.split("x")[1])) for (s, q), v in table.items() if q == quality)
    return int(Decimal(area * per_pixel).to_integral_value(rounding="ROUND_CEILING")) * factor, False


def _per_image_price(model: str, family: str | None, usage: Usage) -> tuple[Decimal, str, bool] | None:
    """(usd per image, source, exact) for DALL·E from the bundled table."""
    table = bundled.PER_IMAGE.get(family or "")
    if not table:
        return None
    size = (usage.image_size or "1024x1024").lower()
    quality = (usage.image_quality or "standard").lower()
    if quality in ("auto",):
        quality = "hd" if any(q == "hd" for _, q in table) else "standard"
    entry = table.get((size, quality))
    if entry is not None:
        return entry.usd, entry.source, True
    # unknown size/quality: the most expensive entry keeps an estimate an upper bound
    worst = max(table.values(), key=lambda item: item.usd)
    return worst.usd, worst.source, False


def price(
    model: str,
    usage: Usage,
    *,
    service_tier: str | None = None,
    batch: bool = False,
    at: _dt.datetime | None = None,
    overrides: Mapping[str, Any] | None = None,
    warn: bool = True,
) -> Price:
    """Price ``usage`` of ``model`` in USD (``Decimal``), or ``usd=None`` (with a warning) if unknown.

    ``service_tier`` (``flex``, ``priority``, ...) and ``batch`` select
    genai-prices' price variants; ``at`` prices as of a past moment (dated
    price changes); ``overrides`` replaces ``[prices]`` from ``conduit.toml``;
    ``warn=False`` leaves reporting an unknown cost to the caller (the CLI).
    """
    if overrides is None:
        overrides = _user_prices()
    previous = getattr(_warn_enabled, "value", True)
    _warn_enabled.value = warn
    try:
        override = _override_for(model, overrides)
        if override is not None:
            return _canonical(_price_from_override(model, usage, override[0], override[1]))
        if at is None:
            fast = fast_price(
                model,
                usage,
                service_tier,
                batch,
                lambda probe: _quietly(_price_from_catalogs, model, probe, service_tier=service_tier, batch=batch, at=None),
            )
            if fast is not None:
                usd, breakdown, source, version, notes = fast
                return _canonical(Price(usd, source, version, breakdown, model, notes))
        return _canonical(_price_from_catalogs(model, usage, service_tier=service_tier, batch=batch, at=at))
    finally:
        _warn_enabled.value = previous


def _money(value: Decimal) -> Decimal:
    """One spelling per amount: no exponent, no trailing zeros (``0.000015``, never ``1.5E-5``)."""
    return Decimal(format(value.normalize(), "f"))


def _canonical(quote: Price) -> Price:
    """The same amount always prints the same, whichever path priced it (ledger, JSON, CLI)."""
    if quote.usd is None:
        return quote
    return replace(quote, usd=_money(quote.usd), breakdown={k: _money(v) for k, v in quote.breakdown.items()})


def _quietly(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a pricing function without PriceWarnings (probing must not warn the user)."""
    previous = getattr(_warn_enabled, "value", True)
    _warn_enabled.value = False
    try:
        return function(*args, **kwargs)
    finally:
        _warn_enabled.value = previous


def price_usd(model: str, usage: Usage, **kwargs: Any) -> Decimal | None:
    """Just the dollars of :func:`price` (None when unknown)."""
    return price(model, usage, **kwargs).usd


def _price_from_catalogs(
    model: str, usage: Usage, *, service_tier: str | None, batch: bool, at: _dt.datetime | None
) -> Price:
    spec = lookup_model(model)
    family = spec.family if spec is not None else resolve_family(model)
    info = _genai_model(model)
    if info is None and (family not in bundled.PER_IMAGE and family not in bundled.PER_MINUTE
                         and family not in bundled.PER_MILLION_CHARS):
        return _unknown(model, "no price in genai-prices or conduit's bundled table",
                        ["add it under [prices] in conduit.toml"])
    if spec is not None and spec.kind == "moderation":
        return Price(Decimal(0), GENAI_SOURCE, genai_prices_version(), {}, model, ("moderation is free",))

    when = at or _dt.datetime.now(_dt.timezone.utc)
    context: dict[str, str] = {}
    if service_tier:
        context["service_tier"] = service_tier
    if batch:
        context["processing"] = "batch"
    model_price = info.get_prices(when, context or None) if info is not None else None
    if model_price is not None:
        model_price = copy(model_price)

    notes: list[str] = []
    sources: set[str] = set()
    breakdown: dict[str, Decimal] = {}
    total = Decimal(0)
    effective = usage

    # audio tokens genai-prices prices only as text: add the bundled audio-token prices
    if family in bundled.AUDIO_TOKEN_PRICES and model_price is not None and (
        usage.audio_input_tokens or usage.audio_output_tokens
    ):
        audio_in, audio_out, _src, _read = bundled.AUDIO_TOKEN_PRICES[family]
        if not _has_key(model_price, "input_audio_mtok"):
            object.__setattr__(model_price, "input_audio_mtok", audio_in)
            sources.add(BUNDLED_SOURCE)
        if not _has_key(model_price, "output_audio_mtok"):
            object.__setattr__(model_price, "output_audio_mtok", audio_out)
            sources.add(BUNDLED_SOURCE)

    has_tokens = bool(usage.input_tokens or usage.output_tokens or usage.audio_input_tokens
                      or usage.audio_output_tokens or usage.image_output_tokens or usage.image_input_tokens)

    # images without token usage: per-image (DALL·E) or token estimate (GPT image)
    if usage.images and not (usage.image_output_tokens or usage.output_tokens):
        per_image = _per_image_price(model, family, usage)
        if per_image is not None:
            usd, _source, exact = per_image
            amount = usd * usage.images
            breakdown["images"] = amount
            total += amount
            sources.add(BUNDLED_SOURCE)
            if not exact:
                notes.append("image size/quality not in the price table: priced at the most expensive entry")
        elif model_price is not None and (_has_key(model_price, "output_image_mtok")
                                          or _has_key(model_price, "output_mtok")):
            tokens, exact = estimate_image_output_tokens(model, usage.image_size, usage.image_quality)
            per = tokens * usage.images
            key = "image_output_tokens" if _has_key(model_price, "output_image_mtok") else "output_tokens"
            effective = Usage(**{**usage.to_dict(), key: per, "output_tokens": usage.output_tokens + per})
            has_tokens = True
            notes.append(
                f"{usage.images} image(s) estimated at {tokens} output tokens each"
                + ("" if exact else " (scaled from the gpt-image-1 table: an estimate)")
            )
        else:
            return _unknown(model, "no per-image price for this model")

    # duration-billed audio (whisper-1, gpt-transcribe; estimates for token-billed transcription)
    include_seconds = False
    if usage.audio_seconds and not has_tokens:
        if model_price is not None and (_has_key(model_price, "audio_hours")
                                        or _has_key(model_price, "input_audio_hours")):
            include_seconds = True
        elif family in bundled.PER_MINUTE:
            per_minute, _src, _read = bundled.PER_MINUTE[family]
            amount = per_minute * Decimal(repr(float(usage.audio_seconds))) / 60
            breakdown["audio_seconds"] = amount
            total += amount
            sources.add(BUNDLED_SOURCE)
            if family != "whisper-1":
                notes.append("per-minute estimate for a token-billed model (OpenAI's published estimate)")
        else:
            return _unknown(model, "audio duration is not priced for this model")

    # characters (tts-1, tts-1-hd)
    include_chars = False
    if usage.characters and not has_tokens:
        if model_price is not None and _has_key(model_price, "input_mchars"):
            include_chars = True
        elif family in bundled.PER_MILLION_CHARS:
            per_million, _src, _read = bundled.PER_MILLION_CHARS[family]
            amount = per_million * usage.characters / 1_000_000
            breakdown["characters"] = amount
            total += amount
            sources.add(BUNDLED_SOURCE)
        else:
            return _unknown(model, "characters are not priced for this model (count tokens instead)")

    if has_tokens or include_seconds or include_chars:
        if model_price is None:
            return _unknown(model, "token usage but no token price")
        if has_tokens and not _has_token_price(model_price):
            return _unknown(model, "token usage but genai-prices has no token price for this model")
        try:
            amount, parts = _calc(model_price, _genai_usage(effective, include_seconds=include_seconds,
                                                            include_chars=include_chars))
        except ValueError as exc:  # inconsistent usage (a part larger than its total)
            return _unknown(model, f"usage is inconsistent: {exc}")
        total += amount
        for label, value in parts.items():
            breakdown[label] = breakdown.get(label, Decimal(0)) + value
        sources.add(GENAI_SOURCE)
        if (usage.audio_input_tokens or usage.audio_output_tokens) and not (
            _has_key(model_price, "input_audio_mtok") or _has_key(model_price, "output_audio_mtok")
        ) and spec is not None and spec.kind == "chat":
            notes.append("audio tokens priced at the text rate: no audio price published for this model")

    if not sources:
        sources.add(GENAI_SOURCE if info is not None else BUNDLED_SOURCE)
    return Price(total, _source_label(sources), _version_label(sources), breakdown, model, tuple(notes))


def _source_label(sources: set[str]) -> str:
    order = [GENAI_SOURCE, BUNDLED_SOURCE]
    return "+".join(s for s in order if s in sources)


def _version_label(sources: set[str]) -> str:
    parts = []
    if GENAI_SOURCE in sources:
        parts.append(genai_prices_version())
    if BUNDLED_SOURCE in sources:
        parts.append(bundled.BUNDLED_VERSION)
    return "+".join(parts)


def _price_from_override(model: str, usage: Usage, name: str, entry: Mapping[str, Any]) -> Price:
    from genai_prices.types import ModelPrice

    label = str(entry.get("source") or USER_SOURCE)
    version = str(entry.get("version") or entry.get("updated") or "user")
    genai_keys: dict[str, Decimal] = {}
    for key, value in entry.items():
        if key in _PRICE_KEYS:
            genai_keys[_PRICE_KEYS[key]] = _decimal(value, f'prices."{name}".{key}')
    per_image = entry.get("per_image")
    per_minute = entry.get("per_minute")
    breakdown: dict[str, Decimal] = {}
    total = Decimal(0)
    has_tokens = bool(usage.input_tokens or usage.output_tokens)
    if usage.images and not (usage.image_output_tokens or usage.output_tokens):
        if per_image is None:
            return _unknown(model, f'[prices."{name}"] in conduit.toml has no per_image price')
        if isinstance(per_image, Mapping):
            key = f"{usage.image_size or '1024x1024'}/{usage.image_quality or 'standard'}"
            value = per_image.get(key, per_image.get(usage.image_size or "", None))
            if value is None:
                return _unknown(model, f'[prices."{name}".per_image] has no entry for {key}')
        else:
            value = per_image
        amount = _decimal(value, f'prices."{name}".per_image') * usage.images
        breakdown["images"] = amount
        total += amount
    if usage.audio_seconds and not has_tokens:
        if per_minute is None:
            return _unknown(model, f'[prices."{name}"] in conduit.toml has no per_minute price')
        amount = _decimal(per_minute, f'prices."{name}".per_minute') * Decimal(repr(float(usage.audio_seconds))) / 60
        breakdown["audio_seconds"] = amount
        total += amount
    include_chars = bool(usage.characters and not has_tokens)
    if include_chars and "input_mchars" not in genai_keys:
        return _unknown(model, f'[prices."{name}"] in conduit.toml has no per_million_chars price')
    if has_tokens or include_chars:
        if has_tokens and not any(k.endswith("mtok") for k in genai_keys):
            return _unknown(model, f'[prices."{name}"] in conduit.toml has no token prices')
        model_price = ModelPrice(**genai_keys)
        try:
            amount, parts = _calc(model_price, _genai_usage(usage, include_seconds=False, include_chars=include_chars))
        except ValueError as exc:
            return _unknown(model, f"usage is inconsistent: {exc}")
        total += amount
        breakdown.update(parts)
    return Price(total, label, version, breakdown, model, (f'priced by [prices."{name}"] in conduit.toml',))


def unit_prices(model: str, *, at: _dt.datetime | None = None) -> dict[str, Decimal] | None:
    """Per-unit prices of ``model`` for display (``conduit models``), or None if unknown.

    Keys: ``input_mtok``, ``cached_input_mtok``, ``output_mtok``, audio/image
    variants, ``per_million_chars``, ``per_minute``, and ``per_image[size/quality]``.
    Tiered prices show their base tier, with ``tier_above_input_tokens`` saying
    where the higher long-context tier starts.
    """
    overrides = _user_prices()
    override = _override_for(model, overrides)
    result: dict[str, Decimal] = {}
    if override is not None:
        for key, value in override[1].items():
            if key in _PRICE_KEYS or key == "per_minute":
                result[key] = _decimal(value, f'prices."{override[0]}".{key}')
        return result or None
    family = resolve_family(model)
    info = _genai_model(model)
    if info is not None:
        model_price = info.get_prices(at or _dt.datetime.now(_dt.timezone.utc))
        reverse = {v: k for k, v in _PRICE_KEYS.items()}
        for genai_key, ours in reverse.items():
            value = getattr(model_price, genai_key, None)
            if value is None:
                continue
            if isinstance(value, Decimal):
                result[ours] = value
            else:  # tiered: show the base price and where the long-context tier starts
                result[ours] = value.base
                if value.tiers:
                    result["tier_above_input_tokens"] = Decimal(value.tiers[0].start)
        hours = getattr(model_price, "audio_hours", None) or getattr(model_price, "input_audio_hours", None)
        if hours is not None:
            result["per_minute"] = (hours if isinstance(hours, Decimal) else hours.base) / 60
    if family in bundled.AUDIO_TOKEN_PRICES:
        audio_in, audio_out, _s, _r = bundled.AUDIO_TOKEN_PRICES[family]
        result.setdefault("audio_input_mtok", audio_in)
        result.setdefault("audio_output_mtok", audio_out)
    if family in bundled.PER_MINUTE:
        result.setdefault("per_minute", bundled.PER_MINUTE[family][0])
    if family in bundled.PER_MILLION_CHARS:
        result.setdefault("per_million_chars", bundled.PER_MILLION_CHARS[family][0])
    for (size, quality), entry in bundled.PER_IMAGE.get(family or "", {}).items():
        result[f"per_image[{size}/{quality}]"] = entry.usd
    return result or None
