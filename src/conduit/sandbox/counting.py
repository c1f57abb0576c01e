"""Token arithmetic for simulated usage, on conduit's offline tiktoken encodings.

Prompt counts come from ``conduit.tokens`` (OpenAI's chat formula, memoised
per message), so the sandbox reports what OpenAI would and the meters' own
counts agree with it. The sandbox also needs to *cut* text at a token budget
(``max_tokens`` → ``finish_reason: length``), which needs the encoding itself.
"""

from __future__ import annotations

from typing import Any


def count_text(text: str, model: str) -> int:
    """Tokens in ``text`` for ``model``'s encoding."""
    if not text:
        return 0
    from conduit.tokens import count_tokens

    return int(count_tokens(text, model))


def count_messages(messages: list[dict[str, Any]], model: str, tools: list[dict[str, Any]] | None = None) -> int:
    """Prompt tokens of a chat request (messages, tools, reply priming), per OpenAI's formula."""
    from conduit.tokens import count_message_tokens

    return int(count_message_tokens(messages, model, tools=tools))


def truncate_to_tokens(text: str, model: str, limit: int) -> str:
    """The longest prefix of ``text`` within ``limit`` tokens (cut on a token boundary)."""
    if limit <= 0:
        return ""
    from conduit.tokens.encodings import get_encoding
    from conduit.tokens.models import encoding_name_for_model

    encoding = get_encoding(encoding_name_for_model(model))
    tokens = encoding.encode(text, disallowed_special=())
    if len(tokens) <= limit:
        return text
    return encoding.decode(tokens[:limit]).rstrip("\ufffd")
