"""Context windows and output caps by model family (public figures, by name prefix).

Used to refuse over-long prompts (``context_length_exceeded``) and over-large
``max_tokens`` the way the real API does. Longest prefix wins.
"""

from __future__ import annotations

# prefix → (context window, max output tokens)
_LIMITS: dict[str, tuple[int, int]] = {
    "gpt-3.5-turbo": (16_385, 4_096),
    "gpt-4-32k": (32_768, 4_096),
    "gpt-4": (8_192, 8_192),
    "gpt-4-turbo": (128_000, 4_096),
    "gpt-4-1106": (128_000, 4_096),
    "gpt-4-0125": (128_000, 4_096),
    "gpt-4-vision": (128_000, 4_096),
    "gpt-4o": (128_000, 16_384),
    "chatgpt-4o": (128_000, 16_384),
    "gpt-4.1": (1_047_576, 32_768),
    "gpt-audio": (128_000, 16_384),
    "o1": (200_000, 100_000),
    "o1-mini": (128_000, 65_536),
    "o1-preview": (128_000, 32_768),
    "o3": (200_000, 100_000),
    "o4": (200_000, 100_000),
    "codex": (200_000, 100_000),
    "gpt-5": (400_000, 128_000),
    "gpt-5-chat": (128_000, 16_384),
    "gpt-5.1-chat": (128_000, 16_384),
    "gpt-5.2-chat": (128_000, 16_384),
    "gpt-5.3-chat": (128_000, 16_384),
    "gpt-5.4": (1_050_000, 128_000),
    "gpt-5.5": (1_050_000, 128_000),
    "gpt-5.6": (1_050_000, 128_000),
    "gpt-6": (1_050_000, 128_000),
}
_DEFAULT = (128_000, 16_384)


def limits(model: str) -> tuple[int, int]:
    """(context window, max output tokens) for a model id (fine-tunes use their base)."""
    name = model.split(":")[1] if model.startswith("ft:") and ":" in model[3:] else model
    best = ""
    for prefix in _LIMITS:
        if name.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return _LIMITS.get(best, _DEFAULT)
