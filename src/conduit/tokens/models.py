"""Which tokenizer a model uses.

tiktoken's own table (``tiktoken.model``) stops at the models it knew when it
was released and raises for newer ones; OpenAI's rule since gpt-4o is simple:
every new model uses ``o200k_base``, and only the gpt-4 / gpt-3.5 generation
and the text-embedding models use ``cl100k_base``. An unknown name therefore
resolves to ``o200k_base`` -- the encoding of every model released since 2024.
"""

from __future__ import annotations

from functools import lru_cache

from conduit.catalog.names import strip_snapshot

__all__ = ["encoding_name_for_model"]

_CL100K_EXACT = frozenset(
    {
        "gpt-4",
        "gpt-4-32k",
        "gpt-4-turbo",
        "gpt-4-turbo-preview",
        "gpt-4-vision-preview",
        "gpt-3.5-turbo",
        "gpt-3.5-turbo-16k",
        "gpt-3.5-turbo-instruct",
        "gpt-35-turbo",
        "text-embedding-ada-002",
        "text-embedding-3-small",
        "text-embedding-3-large",
        "davinci-002",
        "babbage-002",
    }
)
_CL100K_PREFIXES = ("gpt-3.5-", "gpt-35-", "text-embedding-3-", "gpt-4-32k", "gpt-4-turbo")


@lru_cache(maxsize=1024)
def encoding_name_for_model(model: str) -> str:
    """The tiktoken encoding name for ``model`` (``o200k_base`` or ``cl100k_base``).

    Dated snapshots (``gpt-4-0613``), fine-tunes (``ft:gpt-3.5-turbo-0125:org::id``)
    and ``openai/`` prefixes resolve to their family first.
    """
    base = strip_snapshot(model)
    if base in _CL100K_EXACT or base.startswith(_CL100K_PREFIXES):
        return "cl100k_base"
    # gpt-4-0125-preview / gpt-4-1106-vision-preview style names of the gpt-4 generation
    if base.startswith("gpt-4-"):
        return "cl100k_base"
    return "o200k_base"
