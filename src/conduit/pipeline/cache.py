"""The opt-in response cache: an identical request answered from the ledger database.

Off by default -- a cached answer to a sampled request is a choice the user
makes (``[cache] enabled = true``). The key is a hash of the endpoint, the
upstream and the request body as sent (model and every parameter), so any
change misses. Only complete, successful, non-streamed JSON answers are
stored, after redaction, with a TTL. A hit is still an exchange: it passes
validation, the guard and the budget like any call, then is recorded with
status ``cached``, cost $0 and a note naming the exchange that paid for it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from conduit.errors import ConfigurationError
from conduit.observability.redact import redact

DEFAULT_ENDPOINTS = ("chat.completions", "responses", "embeddings")
DEFAULT_TTL = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class CacheHit:
    body: bytes
    content_type: str
    exchange_id: str
    saved_usd: Decimal | None


@dataclass(frozen=True, slots=True)
class CacheConfig:
    enabled: bool = False
    ttl: float = DEFAULT_TTL
    endpoints: tuple[str, ...] = DEFAULT_ENDPOINTS

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> "CacheConfig":
        unknown = set(section) - {"enabled", "ttl", "endpoints"}
        if unknown:
            raise ConfigurationError(
                f"[cache] has unknown keys: {', '.join(sorted(unknown))}.", "Use enabled, ttl (seconds) and endpoints."
            )
        ttl = section.get("ttl", DEFAULT_TTL)
        if not isinstance(ttl, (int, float)) or ttl <= 0:
            raise ConfigurationError(f"[cache] ttl must be a positive number of seconds, got {ttl!r}.", "e.g. ttl = 86400")
        endpoints = section.get("endpoints", DEFAULT_ENDPOINTS)
        if not isinstance(endpoints, (list, tuple)) or not all(isinstance(e, str) for e in endpoints):
            raise ConfigurationError("[cache] endpoints must be a list of endpoint names.", 'e.g. endpoints = ["chat.completions"]')
        return cls(enabled=bool(section.get("enabled", False)), ttl=float(ttl), endpoints=tuple(endpoints))


def cache_key(endpoint: str, upstream: str | None, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([endpoint.encode(), (upstream or "").encode(), body])).hexdigest()


class ResponseCache:
    """Reads and writes ``response_cache`` in the ledger database (SQLite or PostgreSQL)."""

    def __init__(self, ledger: Any, config: CacheConfig) -> None:
        self.ledger = ledger
        self.config = config
        self._local = threading.local()

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self.ledger.connect()
        return conn

    def applies(self, endpoint: str, body: dict[str, Any] | None) -> bool:
        """Cacheable: a configured JSON endpoint, not streamed."""
        return body is not None and endpoint in self.config.endpoints and not body.get("stream")

    def lookup(self, key: str, now: float | None = None) -> CacheHit | None:
        now = time.time() if now is None else now
        conn = self._conn()
        row = conn.execute(
            "SELECT body, content_type, exchange_id, cost_usd FROM response_cache WHERE key = ? AND expires_at > ?",
            (key, now),
        ).fetchone()
        if row is None:
            return None
        conn.execute("UPDATE response_cache SET hits = hits + 1 WHERE key = ?", (key,))
        return CacheHit(row[0].encode(), row[1], row[2], None if row[3] is None else Decimal(row[3]))

    def store(
        self, key: str, endpoint: str, model: str | None, body: bytes, content_type: str, exchange_id: str,
        cost_usd: Decimal | None, now: float | None = None,
    ) -> None:
        now = time.time() if now is None else now
        text = redact(body.decode("utf-8", "replace")) or ""
        conn = self._conn()
        conn.execute("DELETE FROM response_cache WHERE key = ? OR expires_at <= ?", (key, now))
        conn.execute(
            "INSERT INTO response_cache (key, endpoint, model, created_at, expires_at, content_type, body, exchange_id, cost_usd) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (key, endpoint, model, now, now + self.config.ttl, content_type, text, exchange_id,
             None if cost_usd is None else str(cost_usd)),
        )

    def stats(self) -> dict[str, Any]:
        row = self._conn().execute(
            "SELECT COUNT(*), COALESCE(SUM(hits), 0) FROM response_cache WHERE expires_at > ?", (time.time(),)
        ).fetchone()
        return {"entries": int(row[0]), "hits": int(row[1])}

    def clear(self) -> int:
        conn = self._conn()
        count = int(conn.execute("SELECT COUNT(*) FROM response_cache").fetchone()[0])
        conn.execute("DELETE FROM response_cache")
        return count


def configured_cache(ledger: Any, settings: Any) -> ResponseCache | None:
    config = CacheConfig.from_section(settings.section("cache"))
    return ResponseCache(ledger, config) if config.enabled else None
