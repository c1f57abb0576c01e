"""The model catalog: specs, lifecycle and prices for every OpenAI model conduit knows.

``import conduit.catalog`` is cheap: the spec table is plain data, and
genai-prices' snapshot (~0.2 s) loads on the first :func:`price` call.
"""

from __future__ import annotations

from conduit.catalog.estimates import UsageEstimate, image_usage, speech_usage, transcription_usage
from conduit.catalog.lifecycle import ModelDecision, RetiredModelWarning, check_model, current_successor
from conduit.catalog.lookup import list_models, lookup_model, resolve_family, worst_case_output_tokens
from conduit.catalog.prices import (
    Price,
    PriceWarning,
    estimate_image_output_tokens,
    genai_prices_version,
    price,
    price_usd,
    unit_prices,
)
from conduit.catalog.spec import Features, Lifecycle, ModelSpec, ParameterRules
from conduit.catalog.validation import RuleViolation, check_request, request_violations

__all__ = [
    "Features",
    "Lifecycle",
    "ModelDecision",
    "ModelSpec",
    "ParameterRules",
    "Price",
    "PriceWarning",
    "RetiredModelWarning",
    "RuleViolation",
    "UsageEstimate",
    "check_request",
    "check_model",
    "current_successor",
    "estimate_image_output_tokens",
    "genai_prices_version",
    "image_usage",
    "list_models",
    "lookup_model",
    "price",
    "price_usd",
    "request_violations",
    "resolve_family",
    "speech_usage",
    "transcription_usage",
    "unit_prices",
    "worst_case_output_tokens",
]
