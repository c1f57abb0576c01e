"""Model-name normalisation shared by the catalog and the tokenizer.

OpenAI model ids come in several spellings for one family: dated snapshots
(``gpt-4o-2024-08-06``, ``gpt-4-0613``), fine-tunes
(``ft:gpt-4o-mini-2024-07-18:my-org::abc123``), provider prefixes
(``openai/gpt-4o``) and aliases (``gpt-4-turbo-preview``). Pricing, limits and
tokenizers belong to the family, so everything resolves names here first.
Pure string work, no imports: the tokenizer uses it on the hot path.
"""

from __future__ import annotations

import re

__all__ = ["strip_provider", "fine_tune_base", "strip_snapshot", "is_fine_tune"]

# -2024-08-06, -20240806 (dated snapshots), -0613 / -1106 (MMDD snapshots of older models)
_DATED = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8})$")
_MMDD = re.compile(r"-(?:0[1-9]|1[0-2])\d{2}$")


def strip_provider(model: str) -> str:
    """``openai/gpt-4o`` -> ``gpt-4o``; lower-cases and trims whitespace."""
    name = model.strip().lower()
    if name.startswith("openai/"):
        name = name[len("openai/") :]
    return name


def is_fine_tune(model: str) -> bool:
    """Whether ``model`` names a fine-tuned model (``ft:...``)."""
    return strip_provider(model).startswith("ft:")


def fine_tune_base(model: str) -> str:
    """``ft:gpt-4o-mini-2024-07-18:org::id`` -> ``gpt-4o-mini-2024-07-18``; other names unchanged."""
    name = strip_provider(model)
    if name.startswith("ft:"):
        return name[3:].split(":", 1)[0]
    return name


def strip_snapshot(model: str) -> str:
    """Drop a trailing snapshot date: ``gpt-4o-2024-08-06`` -> ``gpt-4o``, ``gpt-4-0613`` -> ``gpt-4``.

    Also applies :func:`fine_tune_base` and :func:`strip_provider`. A ``-preview``
    after a snapshot (``gpt-4-1106-preview``) keeps ``-preview`` off too, since
    such names are snapshots of a family rather than families of their own.
    """
    name = fine_tune_base(model)
    for suffix in ("-preview",):
        if name.endswith(suffix) and (_MMDD.search(name[: -len(suffix)]) or _DATED.search(name[: -len(suffix)])):
            name = name[: -len(suffix)]
    stripped = _DATED.sub("", name)
    if stripped == name:
        stripped = _MMDD.sub("", name)
    return stripped
