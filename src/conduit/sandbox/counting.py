"""Token arithmetic for simulated usage, on conduit's offline tiktoken encodings.

Prompt counts come from ``conduit.tokens`` (OpenAI's chat formula, memoised
per message), so the sandbox reports what OpenAI would. The sandbox also needs
to *cut* text at a token budget (``max_tokens`` → ``finish_reason: length``),
which needs the encoding itself.
"""

from __future__ import annotations

from typing import Any


def _encoding(model: str) -> Any:
    from conduit.tokens.encodings import get_encoding
    from conduit.tokens.models import encoding_name_for_model

    return get_encoding(encoding_name_for_model(model))


def count_text(text: str, model: str) -> int:
    """Tokens in ``text`` for ``model``'s encoding."""
    if not text:
        return 0
    try:
        from conduit.tokens import count_tokens
    except ImportError:  # conduit.tokens' public counter not available: same encoding, directly
        return len(_encoding(model).encode(text, disallowed_special=()))
    return int(count_tokens(text, model))


def count_messages(messages: list[dict[str, Any]], model: str, tools: list[dict[str, Any]] | None = None) -> int:
    """Prompt tokens of a chat request (messages, tools, reply priming), per OpenAI's formula."""
    try:
        from conduit.tokens import count_message_tokens
    except ImportError:
        return _fallback_message_tokens(messages, model, tools)
    return int(count_message_tokens(messages, model, tools=tools))


def _fallback_message_tokens(
    messages: list[dict[str, Any]], model: str, tools: list[dict[str, Any]] | None
) -> int:
    """OpenAI's cookbook formula: 3 tokens per message, 1 per name, 3 to prime the reply."""
    import json

    total = 3
    for message in messages:
        total += 3
        for key, value in message.items():
            if value is None:
                continue
            if isinstance(value, str):
                total += count_text(value, model)
            elif key == "content" and isinstance(value, list):
                for part in value:
                    if isinstance(part, dict) and isinstance(part.get("text"), str):
                        total += count_text(part["text"], model)
            else:
                total += count_text(json.dumps(value, ensure_ascii=False), model)
            if key == "name":
                total += 1
    if tools:
        total += count_text(json.dumps(tools, ensure_ascii=False), model)
    return total


def truncate_to_tokens(text: str, model: str, limit: int) -> str:
    """The longest prefix of ``text`` within ``limit`` tokens (cut on a token boundary)."""
    if limit <= 0:
        return ""
    encoding = _encoding(model)
    tokens = encoding.encode(text, disallowed_special=())
    if len(tokens) <= limit:
        return text
    return encoding.decode(tokens[:limit]).rstrip("\ufffd")
