"""What conduit knows about one OpenAI model: its shape, limits, features, rules and lifecycle.

Specs are frozen data: validators, meters, the router and ``conduit models``
read them; nothing mutates them at run time. Prices live apart
(:mod:`conduit.catalog.prices`) because they change on a different schedule
and come from several sources.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Features", "Lifecycle", "ParameterRules", "ModelSpec", "ModelKind"]

ModelKind = Literal["chat", "image", "transcription", "speech", "embedding", "moderation"]


@dataclass(frozen=True, slots=True)
class Features:
    """What a model accepts beyond plain text."""

    tools: bool = False
    structured_outputs: bool = False
    vision: bool = False
    reasoning: bool = False
    streaming: bool = False


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """Deprecation and shutdown dates (UTC) with OpenAI's recommended successor."""

    deprecated_on: _dt.date | None = None
    shutdown_on: _dt.date | None = None
    successor: str | None = None
    source: str | None = None

    def status(self, today: _dt.date | None = None) -> str:
        """``"active"``, ``"deprecated"`` (shutdown announced, still callable) or ``"retired"``."""
        today = today or _dt.datetime.now(_dt.timezone.utc).date()
        if self.shutdown_on is not None and today >= self.shutdown_on:
            return "retired"
        if self.shutdown_on is not None or (self.deprecated_on is not None and today >= self.deprecated_on):
            return "deprecated"
        return "active"


@dataclass(frozen=True, slots=True)
class ParameterRules:
    """Request-parameter rules a validator checks before anything is sent.

    Empty tuples mean "no restriction known"; ``None`` limits mean "no limit".
    """

    # chat / responses
    token_limit_param: str = "max_tokens"  # o-series & gpt-5+: "max_completion_tokens"
    supports_temperature: bool = True
    reasoning_efforts: tuple[str, ...] = ()
    # images
    image_sizes: tuple[str, ...] = ()
    image_custom_sizes: bool = False  # WIDTHxHEIGHT, multiples of 16, ratio 1:3..3:1, <= 3840x2160
    image_qualities: tuple[str, ...] = ()
    image_styles: tuple[str, ...] = ()
    image_max_n: int | None = None
    image_output_formats: tuple[str, ...] = ()
    # speech
    voices: tuple[str, ...] = ()
    supports_instructions: bool = False
    max_input_chars: int | None = None
    speech_formats: tuple[str, ...] = ()
    # transcription
    max_file_bytes: int | None = None
    audio_formats: tuple[str, ...] = ()
    transcription_response_formats: tuple[str, ...] = ()
    # embeddings
    max_input_tokens: int | None = None
    dimensions_max: int | None = None


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One model family (or snapshot) as the catalog describes it."""

    name: str
    kind: ModelKind
    context_window: int | None = None
    max_output_tokens: int | None = None
    input_modalities: tuple[str, ...] = ("text",)
    output_modalities: tuple[str, ...] = ("text",)
    features: Features = field(default_factory=Features)
    encoding: str = "o200k_base"
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    rules: ParameterRules = field(default_factory=ParameterRules)
    family: str | None = None
    description: str = ""

    @property
    def deprecated_on(self) -> _dt.date | None:
        return self.lifecycle.deprecated_on

    @property
    def shutdown_on(self) -> _dt.date | None:
        return self.lifecycle.shutdown_on

    @property
    def successor(self) -> str | None:
        return self.lifecycle.successor

    def status(self, today: _dt.date | None = None) -> str:
        """``active``, ``deprecated`` or ``retired`` on ``today`` (UTC)."""
        return self.lifecycle.status(today)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready view (dates as ISO strings) for ``conduit models --json``."""
        lifecycle = self.lifecycle
        rules = {k: (list(v) if isinstance(v, tuple) else v) for k, v in _fields(self.rules).items()}
        return {
            "name": self.name,
            "family": self.family or self.name,
            "kind": self.kind,
            "context_window": self.context_window,
            "max_output_tokens": self.max_output_tokens,
            "input_modalities": list(self.input_modalities),
            "output_modalities": list(self.output_modalities),
            "features": _fields(self.features),
            "encoding": self.encoding,
            "status": self.status(),
            "deprecated_on": lifecycle.deprecated_on.isoformat() if lifecycle.deprecated_on else None,
            "shutdown_on": lifecycle.shutdown_on.isoformat() if lifecycle.shutdown_on else None,
            "successor": lifecycle.successor,
            "lifecycle_source": lifecycle.source,
            "rules": rules,
            "description": self.description,
        }


def _fields(obj: object) -> dict[str, object]:
    return {name: getattr(obj, name) for name in obj.__slots__}  # type: ignore[attr-defined]
