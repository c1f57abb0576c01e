"""The pricing fast path must agree with genai-prices' slow path to the last digit."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from conduit.catalog import price
from conduit.catalog import fastprice
from conduit.catalog.prices import _price_from_catalogs
from conduit.usage import Usage

MODELS = ["gpt-4o", "gpt-4o-mini", "gpt-5.4-mini", "gpt-5.4", "gpt-4.1", "o3", "text-embedding-3-small", "gpt-4o-2024-08-06"]


@st.composite
def token_usage(draw: st.DrawFn) -> Usage:
    input_tokens = draw(st.integers(0, 3_000_000))
    output_tokens = draw(st.integers(0, 300_000))
    return Usage(
        input_tokens=input_tokens,
        cached_input_tokens=draw(st.integers(0, input_tokens)),
        output_tokens=output_tokens,
        reasoning_tokens=draw(st.integers(0, output_tokens)),
    )


@settings(max_examples=300, deadline=None)
@given(model=st.sampled_from(MODELS), usage=token_usage())
def test_fast_path_equals_slow_path(model: str, usage: Usage) -> None:
    fast = price(model, usage)
    slow = _price_from_catalogs(model, usage, service_tier=None, batch=False, at=None)
    assert fast.usd == slow.usd
    assert {k: v for k, v in fast.breakdown.items() if v} == {k: v for k, v in slow.breakdown.items() if v}
    assert (fast.source, fast.version) == (slow.source, slow.version)


def test_linear_models_take_the_fast_path_and_others_do_not() -> None:
    price("gpt-4o-mini", Usage(input_tokens=10))
    learned = {key[0]: value for key, value in fastprice._cache.items()}
    assert learned["gpt-4o-mini"] is not None
    # media usage never takes the fast path
    assert not fastprice.plain_tokens(Usage(images=1, image_size="1024x1024", image_quality="high"))
