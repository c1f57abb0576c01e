"""Simulated OpenAI prompt caching.

OpenAI caches prompt prefixes of 1024 tokens or more and reports the reused
part as ``cached_tokens`` in 128-token increments. The sandbox mirrors this at
message granularity: it remembers, per model, a chained hash of every message
prefix (tools first, then messages in order) with the prefix's token count;
a later prompt whose prefix hash is known gets that prefix's tokens (rounded
down to a multiple of 128, at least 1024) as cached. Entries expire after the
retention window (5 minutes in memory, 24 h with ``prompt_cache_retention``).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from typing import Any, Callable

MIN_CACHED = 1024
INCREMENT = 128
IN_MEMORY_TTL = 300.0
EXTENDED_TTL = 24 * 3600.0


def cached_amount(matched_prefix_tokens: int, prompt_tokens: int) -> int:
    """Cached tokens reported for a matched prefix: 0 below 1024, else floor to 128."""
    tokens = min(matched_prefix_tokens, prompt_tokens)
    if tokens < MIN_CACHED:
        return 0
    return tokens - tokens % INCREMENT


class PromptCache:
    """Per-model store of prefix hashes → prefix token counts, with expiry."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: dict[tuple[str, str], tuple[int, float]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def lookup_and_store(
        self,
        model: str,
        prefix_parts: list[Any],
        prefix_tokens: list[int],
        *,
        cache_key: str | None = None,
        ttl: float = IN_MEMORY_TTL,
    ) -> int:
        """Longest known prefix's token count; then remember all of this prompt's prefixes.

        ``prefix_parts[i]`` is the i-th unit of the prompt (tools, then each
        message) and ``prefix_tokens[i]`` the tokens of parts ``0..i``.
        """
        namespace = f"{model}\x00{cache_key or ''}"
        now = self._clock()
        digest = hashlib.sha256(namespace.encode())
        hashes: list[str] = []
        for part in prefix_parts:
            digest.update(json.dumps(part, sort_keys=True, ensure_ascii=False, default=str).encode())
            hashes.append(digest.copy().hexdigest())
        matched = 0
        with self._lock:
            for h, tokens in zip(hashes, prefix_tokens):
                entry = self._entries.get((namespace, h))
                if entry is not None and entry[1] > now:
                    matched = tokens
            for h, tokens in zip(hashes, prefix_tokens):
                if tokens >= MIN_CACHED:
                    self._entries[(namespace, h)] = (tokens, now + ttl)
            if len(self._entries) > 50_000:
                self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
        return matched
