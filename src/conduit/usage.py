"""The units an exchange consumes, shared by meters, catalog, budgets and ledger.

One flat record for every modality keeps pricing and storage uniform: a chat
call fills the token fields, an image call ``images``, a transcription
``audio_seconds`` or audio tokens, a speech call ``characters``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class Usage:
    """Consumed (or, in an estimate, worst-case) units of one exchange.

    ``input_tokens`` includes ``cached_input_tokens`` and
    ``audio_input_tokens``; ``output_tokens`` includes ``reasoning_tokens``
    and ``audio_output_tokens`` -- the same convention as OpenAI's ``usage``.
    """

    input_tokens: int = 0
    cached_input_tokens: int = 0
    audio_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    audio_output_tokens: int = 0
    image_input_tokens: int = 0
    image_output_tokens: int = 0
    images: int = 0
    image_size: str | None = None
    image_quality: str | None = None
    audio_seconds: float = 0.0
    characters: int = 0

    def to_dict(self) -> dict[str, object]:
        # not dataclasses.asdict: it deep-copies and sits on every call's hot path
        return {name: getattr(self, name) for name in _FIELD_NAMES}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> "Usage":
        return cls(**{k: v for k, v in data.items() if k in _FIELD_NAMES})  # type: ignore[arg-type]

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Usage))
