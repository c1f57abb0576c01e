"""Turning usage into money through the catalog, shared by every meter."""

from __future__ import annotations

from decimal import Decimal

from conduit.meter.base import Estimate
from conduit.usage import Usage


def estimate_from_usage(model: str, usage: Usage) -> Estimate:
    from conduit.catalog import price

    quote = price(model, usage)
    return Estimate(usage=usage, usd=quote.usd, price_source=quote.source, price_version=quote.version)


def cost_of(model: str | None, usage: Usage) -> tuple[Decimal | None, str | None, str | None]:
    """(usd, source, version); usd is None when the model's price is unknown -- never 0."""
    from conduit.catalog import price

    if not model:
        return None, None, None
    quote = price(model, usage)
    return quote.usd, quote.source, quote.version
