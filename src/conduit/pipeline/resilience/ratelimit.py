"""Client-side rate limiting: token buckets per (base URL, model), shared by the process.

Each model with a configured rule gets two buckets -- requests per minute
and tokens per minute -- refilled continuously. A call takes one request and
its estimated tokens (input + worst-case output, as OpenAI counts them)
*immediately*, even into debt, and is told how long to wait until the debt
would be paid off. Taking first and waiting after keeps the lock held for
microseconds, serves callers in arrival order, and works the same for
threads (``clock.sleep``) and tasks (``await clock.asleep``). When the call
finishes, the charge is corrected with the actual tokens; a call that got an
error response (never processed) is refunded its tokens.

A rule with ``shared = true`` keeps its buckets in the ledger database
(:class:`SharedRateLimiter`), so every process using that database -- workers
of one service, cron jobs, the CLI -- draws from one limit. Each take or
correction is one short write transaction (SQLite ``BEGIN IMMEDIATE``,
PostgreSQL ``SELECT ... FOR UPDATE``), on wall-clock time.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from conduit.errors import LedgerError
from conduit.pipeline.resilience.clock import Clock
from conduit.pipeline.resilience.config import RateLimitRule

if TYPE_CHECKING:  # pragma: no cover
    from conduit.ledger import Ledger


class TokenBucket:
    """``per_minute`` units, refilled continuously; may go into debt (see module doc)."""

    __slots__ = ("capacity", "rate", "level", "stamp")

    def __init__(self, per_minute: float, now: float) -> None:
        self.capacity = float(per_minute)
        self.rate = self.capacity / 60.0
        self.level = self.capacity
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
            self.stamp = now

    def take(self, amount: float, now: float) -> float:
        """Take ``amount`` (capped at the capacity); return seconds until the level is >= 0."""
        self._refill(now)
        self.level -= min(float(amount), self.capacity)
        return 0.0 if self.level >= 0 else -self.level / self.rate

    def give(self, amount: float, now: float) -> None:
        self._refill(now)
        self.level = min(self.capacity, self.level + float(amount))


class Limiter(Protocol):
    rule: RateLimitRule

    def take(self, tokens: int) -> "Ticket": ...

    def correct(self, ticket: "Ticket", actual_tokens: int) -> None: ...

    def cancel(self, ticket: "Ticket", *, request_sent: bool) -> None: ...


@dataclass(slots=True)
class Ticket:
    """What one call took from a limiter, so it can be corrected later."""

    limiter: Limiter
    tokens: int
    wait: float
    settled: bool = False


class RateLimiter:
    """The rpm and tpm buckets of one (base URL, model)."""

    def __init__(self, rule: RateLimitRule, clock: Clock) -> None:
        self.rule = rule
        self.clock = clock
        now = clock.now()
        self._requests = TokenBucket(rule.rpm, now) if rule.rpm else None
        self._tokens = TokenBucket(rule.tpm, now) if rule.tpm else None
        self._lock = threading.Lock()

    def take(self, tokens: int) -> Ticket:
        with self._lock:
            now = self.clock.now()
            wait = 0.0
            if self._requests is not None:
                wait = self._requests.take(1, now)
            if self._tokens is not None:
                wait = max(wait, self._tokens.take(tokens, now))
        return Ticket(self, tokens, wait)

    def correct(self, ticket: Ticket, actual_tokens: int) -> None:
        """Replace the estimate with the actual count (refund or extra charge)."""
        if ticket.settled:
            return
        ticket.settled = True
        if self._tokens is None:
            return
        with self._lock:
            now = self.clock.now()
            difference = ticket.tokens - actual_tokens
            if difference > 0:
                self._tokens.give(difference, now)
            elif difference < 0:
                self._tokens.take(-difference, now)

    def cancel(self, ticket: Ticket, *, request_sent: bool) -> None:
        """Give back the tokens (and the request, if it was never sent)."""
        if ticket.settled:
            return
        ticket.settled = True
        with self._lock:
            now = self.clock.now()
            if self._tokens is not None:
                self._tokens.give(ticket.tokens, now)
            if not request_sent and self._requests is not None:
                self._requests.give(1, now)


class SharedRateLimiter:
    """The rpm and tpm buckets of one (base URL, model), kept in the ledger database."""

    def __init__(self, rule: RateLimitRule, clock: Clock, ledger: "Ledger", key: str) -> None:
        self.rule = rule
        self.clock = clock
        self.key = key
        self._ledger = ledger
        self._postgres = str(getattr(ledger, "url", "")).startswith(("postgres://", "postgresql://"))
        self._lock = threading.Lock()
        self._conn: Any = None
        self._pid = 0

    def take(self, tokens: int) -> Ticket:
        return Ticket(self, tokens, self._apply(-1.0, -float(tokens)))

    def correct(self, ticket: Ticket, actual_tokens: int) -> None:
        if ticket.settled:
            return
        ticket.settled = True
        if self.rule.tpm and ticket.tokens != actual_tokens:
            self._apply(0.0, float(ticket.tokens - actual_tokens))

    def cancel(self, ticket: Ticket, *, request_sent: bool) -> None:
        if ticket.settled:
            return
        ticket.settled = True
        self._apply(0.0 if request_sent else 1.0, float(ticket.tokens))

    def _apply(self, requests: float, tokens: float) -> float:
        """Add to (or, negative, take from) both buckets in one transaction; the wait until out of debt."""
        rpm, tpm = self.rule.rpm, self.rule.tpm
        with self._lock:
            conn = self._connection()
            now = self.clock.wall()
            try:
                conn.execute("BEGIN" if self._postgres else "BEGIN IMMEDIATE")
                try:
                    conn.execute(
                        "INSERT INTO rate_limit_buckets (key, requests, tokens, stamp) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (key) DO NOTHING",
                        (self.key, rpm, tpm, now),
                    )
                    row = conn.execute(
                        "SELECT requests, tokens, stamp FROM rate_limit_buckets WHERE key = ?"
                        + (" FOR UPDATE" if self._postgres else ""),
                        (self.key,),
                    ).fetchone()
                    elapsed = max(0.0, now - float(row[2]))
                    level_r, wait_r = _move(row[0], rpm, elapsed, requests)
                    level_t, wait_t = _move(row[1], tpm, elapsed, tokens)
                    conn.execute(
                        "UPDATE rate_limit_buckets SET requests = ?, tokens = ?, stamp = ? WHERE key = ?",
                        (level_r, level_t, max(now, float(row[2])), self.key),
                    )
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            except LedgerError:
                raise
            except Exception as exc:
                self._conn = None
                raise LedgerError(
                    f"The shared rate limit for {self.key} could not be read from the ledger database: {exc}",
                    "Check the database (CONDUIT_DB), or drop `shared = true` from [resilience.rate_limits] "
                    "to limit per process.",
                ) from exc
        return max(wait_r, wait_t)

    def _connection(self) -> Any:
        pid = os.getpid()
        if self._conn is None or self._pid != pid:  # a forked child must not share the parent's connection
            self._conn = self._ledger.connect()
            self._pid = pid
        return self._conn


def _move(level: Any, per_minute: float | None, elapsed: float, delta: float) -> tuple[float | None, float]:
    """One bucket: refill for ``elapsed`` s, add ``delta`` (capped); the new level and the wait."""
    if not per_minute:
        return None, 0.0
    rate = per_minute / 60.0
    current = per_minute if level is None else min(per_minute, float(level) + elapsed * rate)
    current = min(per_minute, current + max(delta, -per_minute))
    return current, (0.0 if current >= 0 else -current / rate)


class RateLimits:
    """The process's limiters, created on first use per (origin, model)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._limiters: dict[tuple[Any, ...], Limiter] = {}
        self._lock = threading.Lock()

    def limiter(self, origin: str, model: str, rule: RateLimitRule, ledger: "Ledger | None" = None) -> Limiter:
        shared = rule.shared and ledger is not None
        key = (origin, model, rule, getattr(ledger, "url", None) if shared else None)
        limiter = self._limiters.get(key)
        if limiter is None:
            with self._lock:
                limiter = self._limiters.get(key)
                if limiter is None:
                    if shared:
                        assert ledger is not None
                        limiter = SharedRateLimiter(rule, self.clock, ledger, f"{origin} {model}")
                    else:
                        limiter = RateLimiter(rule, self.clock)
                    self._limiters[key] = limiter
        return limiter
