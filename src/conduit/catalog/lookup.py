"""Resolve any spelling of a model id to its catalog entry.

``gpt-4o-2024-08-06``, ``openai/gpt-4o`` and ``ft:gpt-4o-2024-08-06:acme::x1``
all resolve to the ``gpt-4o`` family's limits and features; a snapshot with
its own shutdown date (``gpt-4o-2024-05-13``) keeps that date.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from conduit.catalog.models import ALIASES, LIFECYCLES, MODELS
from conduit.catalog.names import fine_tune_base, strip_snapshot
from conduit.catalog.spec import ModelSpec

__all__ = ["lookup_model", "list_models", "resolve_family", "worst_case_output_tokens"]


def resolve_family(model: str) -> str | None:
    """The catalog family of ``model`` (``gpt-4o-2024-08-06`` -> ``gpt-4o``), or None if unknown."""
    name = fine_tune_base(model)
    if name in MODELS:
        return name
    if name in ALIASES:
        return ALIASES[name]
    base = strip_snapshot(name)
    if base in MODELS:
        return base
    if base in ALIASES:
        return ALIASES[base]
    # "-latest" style aliases and codex/search variants are listed explicitly; nothing else to try.
    return None


@lru_cache(maxsize=2048)
def lookup_model(name: str) -> ModelSpec | None:
    """The :class:`ModelSpec` for ``name`` (any snapshot/fine-tune spelling), or None if unknown.

    The returned spec's ``name`` is the id asked for (minus ``openai/`` and the
    ``ft:`` wrapper) and ``family`` the catalog family it resolved to.
    """
    if not name or not name.strip():
        return None
    requested = fine_tune_base(name)
    family = resolve_family(name)
    if family is None:
        return None
    spec = MODELS[family]
    lifecycle = LIFECYCLES.get(requested, spec.lifecycle)
    if requested == family and lifecycle is spec.lifecycle:
        return spec
    return replace(spec, name=requested, family=family, lifecycle=lifecycle)


def list_models(kind: str | None = None) -> list[ModelSpec]:
    """Every catalog family (optionally of one ``kind``), sorted by kind then name."""
    specs = [spec for spec in MODELS.values() if kind is None or spec.kind == kind]
    return sorted(specs, key=lambda spec: (spec.kind, spec.name))


def worst_case_output_tokens(model: str, requested: int | None) -> int:
    """Output tokens to reserve for: ``requested`` if given, else the model's max output.

    A model without a published max output falls back to its context window
    (from genai-prices for models the catalog lacks, e.g. ``gpt-realtime``: output
    cannot exceed the window), else 128,000 tokens -- never 0.
    """
    if requested is not None:
        if requested < 0:
            raise ValueError(f"requested output tokens must be >= 0, got {requested}")
        spec = lookup_model(model)
        if spec is not None and spec.max_output_tokens is not None:
            return min(requested, spec.max_output_tokens)
        return requested
    spec = lookup_model(model)
    if spec is not None and spec.max_output_tokens is not None:
        return spec.max_output_tokens
    window = spec.context_window if spec is not None else None
    if window is None:
        from conduit.catalog.prices import genai_context_window

        window = genai_context_window(model)
    return window if window is not None else 128_000
