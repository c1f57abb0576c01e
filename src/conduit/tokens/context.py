"""Does a request fit the model's context window, and what to drop when it does not.

OpenAI rejects a prompt whose tokens plus the requested output exceed the
context window -- after the request was sent. Checking here turns that into
a clear error before any money is reserved, and lets an agent trim its
oldest turns instead (keeping system/developer messages, never separating an
assistant's tool calls from their results, never dropping the last turn).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from conduit.errors import ValidationError
from conduit.tokens.counting import REPLY_PRIMING_TOKENS, count_message_tokens, count_tool_tokens

__all__ = ["context_window", "check_context", "trim_to_fit"]


def context_window(model: str) -> int | None:
    """The model's context window in tokens (None when the catalog does not know it)."""
    from conduit.catalog import lookup_model

    spec = lookup_model(model)
    return spec.context_window if spec is not None else None


def check_context(model: str, prompt_tokens: int, output_tokens: int) -> None:
    """Raise :class:`ValidationError` when prompt + requested output exceed ``model``'s window."""
    window = context_window(model)
    if window is None or prompt_tokens + output_tokens <= window:
        return
    raise ValidationError(
        f"The request needs {prompt_tokens:,} prompt + {output_tokens:,} output tokens, "
        f"more than {model}'s context window of {window:,}.",
        "Shorten the conversation (conduit.tokens.trim_to_fit drops the oldest turns), lower max output "
        "tokens, or use a model with a larger window (`conduit models`).",
    )


def _units(messages: Sequence[Mapping[str, Any]]) -> list[list[int]]:
    """Indices grouped so an assistant's tool calls stay with the tool results that answer them."""
    units: list[list[int]] = []
    for index, message in enumerate(messages):
        if message.get("role") == "tool" and units:
            units[-1].append(index)
        else:
            units.append([index])
    return units


def trim_to_fit(
    messages: Sequence[Mapping[str, Any]],
    model: str,
    max_output_tokens: int,
    tools: Sequence[Mapping[str, Any]] | None = None,
) -> list[Mapping[str, Any]]:
    """The newest suffix of ``messages`` (system/developer messages kept) that fits with the output.

    Raises :class:`ValidationError` if even the pinned messages plus the last turn do not fit.
    """
    window = context_window(model)
    messages = list(messages)
    if window is None:
        return messages
    budget = window - max_output_tokens - REPLY_PRIMING_TOKENS - (count_tool_tokens(tools, model) if tools else 0)
    costs = [count_message_tokens([message], model) - REPLY_PRIMING_TOKENS for message in messages]
    pinned = {i for i, m in enumerate(messages) if m.get("role") in ("system", "developer")}
    units = [unit for unit in _units(messages) if not set(unit) & pinned]
    used = sum(costs[i] for i in pinned) + sum(costs[i] for unit in units for i in unit)
    dropped: set[int] = set()
    for unit in units[:-1]:  # never drop the newest turn
        if used <= budget:
            break
        dropped.update(unit)
        used -= sum(costs[i] for i in unit)
    if used > budget:
        raise ValidationError(
            f"Even the system messages and the latest turn need {used:,} tokens, more than the {budget:,} "
            f"left in {model}'s {window:,}-token window after {max_output_tokens:,} output tokens.",
            "Shorten the latest message or the system prompt, lower max output tokens, or use a larger model.",
        )
    return [message for index, message in enumerate(messages) if index not in dropped]
