"""Model routing by need: the cheapest catalog model that can do the job.

A request *needs* tool calling (when tools are offered), image input (when
the conversation carries images) and a context window large enough for the
conversation plus the answer. Among active chat models that meet every need,
the cheapest by list price wins (input + output per million tokens, output
weighted 1:1 since agent turns are short on both sides). A model the user
fixes is used as is: routing never overrides an explicit choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from conduit.errors import ValidationError


@dataclass(frozen=True, slots=True)
class Needs:
    """What a chat request requires of the model."""

    tools: bool = False
    vision: bool = False
    context_tokens: int = 0


def _cost_key(name: str) -> Decimal | None:
    from conduit.catalog import unit_prices

    prices = unit_prices(name)
    if not prices or "input_mtok" not in prices or "output_mtok" not in prices:
        return None
    return prices["input_mtok"] + prices["output_mtok"]


def candidates(needs: Needs) -> list[tuple[Decimal, str]]:
    """(price key, name) of every active chat model that meets ``needs``, cheapest first."""
    from conduit.catalog import list_models

    found: list[tuple[Decimal, str]] = []
    for spec in list_models("chat"):
        if spec.status() != "active" or "text" not in spec.output_modalities:
            continue
        if needs.tools and not spec.features.tools:
            continue
        if needs.vision and "image" not in spec.input_modalities:
            continue
        if needs.context_tokens and (spec.context_window or 0) < needs.context_tokens:
            continue
        key = _cost_key(spec.name)
        if key is not None:
            found.append((key, spec.name))
    return sorted(found)


def choose_model(needs: Needs, fixed: str | None = None) -> str:
    """``fixed`` if given, else the cheapest model meeting ``needs``."""
    if fixed:
        return fixed
    ranked = candidates(needs)
    if not ranked:
        wanted = ", ".join(
            part
            for part, on in (("tool calling", needs.tools), ("image input", needs.vision), (f"{needs.context_tokens:,} tokens of context", needs.context_tokens > 0))
            if on
        )
        raise ValidationError(
            f"No active model in the catalog offers {wanted or 'chat'}.",
            "Pass --model to choose one yourself, or shorten the conversation.",
        )
    return ranked[0][1]
