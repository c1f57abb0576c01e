"""One exchange's way through retries, rate limits, the circuit breaker and fallbacks.

The transport begins the exchange (validate, screen, estimate, reserve: one
reservation), then hands :class:`ExchangeRun` a ``send`` function that makes
one attempt on the wire. The run drives tenacity's loop around it::

    for model in [requested, *fallbacks]:
        repeat (tenacity):
            circuit breaker closed?      else → next model (fail fast)
            rate limiter: take rpm/tpm   (wait in the queue if needed)
            send → verdict               ok / fatal → done
            stop?  attempts, total wait, USD cap, budget extension
            record the failed attempt (ledger row, not settled), publish the wait, sleep
        retries exhausted or circuit open → next model

and returns the last attempt; the transport settles the exchange exactly
once from it. Waiting always goes through the injected :class:`Clock`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Awaitable, Callable

import httpx2
from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_result

from conduit.errors import ConduitError
from conduit.meter.base import Estimate, Payload
from conduit.pipeline.resilience.backoff import BackoffWait
from conduit.pipeline.resilience.breaker import CircuitBreaker
from conduit.pipeline.resilience.classify import (
    CIRCUIT_OPEN,
    Verdict,
    classify_error,
    classify_response,
    error_summary,
)
from conduit.pipeline.resilience.errors import CircuitOpenError, RateLimitQueueFull
from conduit.pipeline.resilience.events import ResilienceEvent, publish
from conduit.pipeline.resilience.ratelimit import Limiter, Ticket

if TYPE_CHECKING:  # pragma: no cover
    from conduit.pipeline.core import Pipeline
    from conduit.pipeline.exchange import Exchange
    from conduit.pipeline.resilience import Resilience


@dataclass(slots=True)
class Attempt:
    """The outcome of one attempt on the wire."""

    verdict: Verdict
    response: httpx2.Response | None = None
    content: bytes | None = None
    error: BaseException | None = None
    stream_first: bytes | None = None  # SSE: the first chunk, already read (the retry cut-off)
    stream_rest: Any = None  # SSE: the rest of the chunks (iterator or async iterator)
    latency_ms: float = 0.0
    number: int = 0
    model: str | None = None
    wait_ms: float = 0.0
    ticket: Ticket | None = None
    held: bool = False  # its possible cost is already counted against the budget / USD cap

    @property
    def streaming(self) -> bool:
        return self.stream_first is not None


def answered(response: httpx2.Response, content: bytes, started: float) -> Attempt:
    """An attempt that got a complete (non-SSE) answer."""
    return Attempt(
        classify_response(response.status_code, response.headers, content),
        response=response,
        content=content,
        latency_ms=(time.perf_counter() - started) * 1000.0,
    )


def streamed(response: httpx2.Response, first: bytes, rest: Any, started: float) -> Attempt:
    """An SSE answer whose first chunk arrived: from here on it is the caller's, never retried."""
    return Attempt(
        classify_response(response.status_code, response.headers, None),
        response=response,
        stream_first=first,
        stream_rest=rest,
        latency_ms=(time.perf_counter() - started) * 1000.0,
    )


def failed(error: Exception, started: float, *, response_started: bool = False) -> Attempt:
    """An attempt that raised; non-network errors are not ours to judge and are re-raised."""
    verdict = classify_error(error, response_started=response_started)
    if verdict is None:
        raise error
    return Attempt(verdict, error=error, latency_ms=(time.perf_counter() - started) * 1000.0)


class ExchangeRun:
    """Retry state of one exchange (created per call; cheap)."""

    def __init__(self, resilience: "Resilience", pipeline: "Pipeline", exchange: "Exchange", origin: str) -> None:
        self.resilience = resilience
        self.config = resilience.config
        self.policy = resilience.config.retry
        self.clock = resilience.clock
        self.pipeline = pipeline
        self.exchange = exchange
        self.origin = origin
        self.requested = exchange.model
        self.reserved_usd = exchange.estimate.usd if exchange.estimate is not None else None
        fallbacks = self.config.fallbacks_for(exchange.model) if exchange.payload.json is not None else ()
        self.chain: tuple[str | None, ...] = (exchange.model, *fallbacks)
        self.fallback_from: str | None = None
        self.attempts = 0  # exchange-wide
        self.model_attempts = 0  # on the current model
        self.backoff_wait = 0.0  # seconds slept in backoff (the max_total_wait budget)
        self.pending_wait = 0.0  # seconds waited since the last attempt (recorded on the next row)
        self.total_wait = 0.0
        self.committed_usd = Decimal(0)  # worst case of attempts that may have been billed
        self.stop_detail: str | None = None
        self.recorded = 0  # highest attempt number already in the ledger as a retried row
        self._candidate: str | None = None  # the fallback being considered
        self._bind_model()

    # -- per-model state ---------------------------------------------------------------
    def _bind_model(self) -> None:
        model = self.exchange.model
        self.breaker: CircuitBreaker | None = (
            self.resilience.breakers.get(self.origin, model) if self.config.breaker.enabled else None
        )
        rule = self.config.rate_limit_for(model)
        self.limiter: Limiter | None = (
            self.resilience.limits.limiter(self.origin, model, rule, self.pipeline.ledger)
            if rule is not None and model
            else None
        )
        estimate = self.exchange.estimate
        self.tokens = (estimate.usage.input_tokens + estimate.usage.output_tokens) if estimate else 0

    def timeout(self, chosen: Any) -> dict[str, float | None]:
        return self.config.timeouts.apply(self.exchange.endpoint, chosen)

    # -- driving the loop --------------------------------------------------------------
    def run_sync(self, send: Callable[[], Attempt]) -> Attempt:
        # hot path: most calls succeed (or fail for good) at once; tenacity's loop is
        # built only when the first attempt needs a retry, and resumes from it
        first: Attempt | None = self._attempt_sync(send)
        if first is not None and not first.verdict.retryable and first.verdict.reason != "circuit_open":
            return first
        while True:
            pending = [first] if first is not None else []
            first = None

            def attempt_once() -> Attempt:
                return pending.pop() if pending else self._attempt_sync(send)

            retrying = Retrying(sleep=self.clock.sleep, **self._tenacity())
            attempt: Attempt = retrying(attempt_once)
            following = self._fallback_after(attempt)
            if following is None:
                return self._final(attempt)
            self._switch(attempt, following)

    async def run_async(self, send: Callable[[], Awaitable[Attempt]]) -> Attempt:
        first: Attempt | None = await self._attempt_async(send)
        if first is not None and not first.verdict.retryable and first.verdict.reason != "circuit_open":
            return first
        while True:
            pending = [first] if first is not None else []
            first = None

            async def attempt_once() -> Attempt:
                return pending.pop() if pending else await self._attempt_async(send)

            retrying = AsyncRetrying(sleep=self.clock.asleep, **self._tenacity())
            attempt: Attempt = await retrying(attempt_once)
            following = self._fallback_after(attempt)
            if following is None:
                return self._final(attempt)
            self._switch(attempt, following)

    def _tenacity(self) -> dict[str, Any]:
        return {
            "stop": self._stop,
            "wait": BackoffWait(self.policy, self.resilience.rng, lambda: self.model_attempts),
            "retry": retry_if_result(lambda attempt: attempt.verdict.retryable),
            "before_sleep": self._before_sleep,
            "retry_error_callback": lambda state: state.outcome.result(),
        }

    def _attempt_sync(self, send: Callable[[], Attempt]) -> Attempt:
        blocked = self._before_send()
        if blocked is not None:
            return blocked
        try:
            ticket = self._take_rate()
            if ticket is not None and ticket.wait > 0:
                self.clock.sleep(ticket.wait)
            attempt = send()
        except BaseException:
            self._abandon()
            raise
        return self._after_send(attempt, ticket)

    async def _attempt_async(self, send: Callable[[], Awaitable[Attempt]]) -> Attempt:
        blocked = self._before_send()
        if blocked is not None:
            return blocked
        try:
            ticket = self._take_rate()
            if ticket is not None and ticket.wait > 0:
                await self.clock.asleep(ticket.wait)
            attempt = await send()
        except BaseException:
            self._abandon()
            raise
        return self._after_send(attempt, ticket)

    # -- one attempt -------------------------------------------------------------------
    def _before_send(self) -> Attempt | None:
        if self.breaker is not None and not self.breaker.allow():
            # refused by the breaker: numbered like an attempt, but nothing is sent (or recorded as sent)
            self.exchange.attempt = self.attempts + 1
            refused = self._stamp(Attempt(CIRCUIT_OPEN), None)
            refused.number = self.attempts + 1
            return refused
        self.attempts += 1
        self.model_attempts += 1
        self.exchange.attempt = self.attempts
        return None

    def _abandon(self) -> None:
        """An attempt ended by an exception that is not a network failure (cancelled, refused, a bug)."""
        if self.breaker is not None:
            self.breaker.record("neutral")  # says nothing about the endpoint; frees a half-open probe slot

    def _take_rate(self) -> Ticket | None:
        if self.limiter is None:
            return None
        ticket = self.limiter.take(self.tokens)
        if ticket.wait > 0:
            if ticket.wait > self.limiter.rule.max_queue:
                self.limiter.cancel(ticket, request_sent=False)
                raise RateLimitQueueFull(self.exchange.model, ticket.wait, self.limiter.rule.max_queue)
            self._publish("queued", wait_s=ticket.wait)
            self._waited(ticket.wait)
        return ticket

    def _after_send(self, attempt: Attempt, ticket: Ticket | None) -> Attempt:
        attempt = self._stamp(attempt, ticket)
        if self.breaker is not None:
            self.breaker.record(attempt.verdict.breaker)
        if ticket is not None and not attempt.verdict.ok and not attempt.verdict.maybe_billed:
            ticket.limiter.cancel(ticket, request_sent=True)  # an error answer consumed no tokens
        return attempt

    def _stamp(self, attempt: Attempt, ticket: Ticket | None) -> Attempt:
        attempt.number = self.attempts
        attempt.model = self.exchange.model
        attempt.ticket = ticket
        attempt.wait_ms = round(self.pending_wait * 1000.0, 3)
        self.pending_wait = 0.0
        return attempt

    def _waited(self, seconds: float) -> None:
        self.pending_wait += seconds
        self.total_wait += seconds

    # -- tenacity callbacks ------------------------------------------------------------
    def _stop(self, state: RetryCallState) -> bool:
        attempt: Attempt = state.outcome.result()  # type: ignore[union-attr]
        if self.model_attempts >= self.policy.max_attempts:
            self.stop_detail = f"{self.policy.max_attempts} attempts made"
            return True
        if self.backoff_wait + state.upcoming_sleep > self.policy.max_total_wait:
            self.stop_detail = (
                f"waiting {state.upcoming_sleep:.1f} s more would pass max_total_wait "
                f"({self.policy.max_total_wait:g} s)"
            )
            return True
        return not self._afford_retry(attempt)

    def _afford_retry(self, attempt: Attempt, next_worst: Decimal | None = None) -> bool:
        """USD cap and budget: an attempt that may have been billed stays counted.

        Its worst case is added to the exchange's reservation (``extend``: charged
        at settlement whatever happens) before anything else is sent.
        """
        worst = self._worst_usd()
        billed = worst if attempt.verdict.maybe_billed and not attempt.held else Decimal(0)
        upcoming = worst if next_worst is None else next_worst
        cap = self.policy.max_usd
        if cap is not None and self.committed_usd + billed + upcoming > cap:
            self.stop_detail = f"another attempt could bring this call past max_usd (${cap})"
            return False
        if billed:
            gate = self.pipeline.budget
            extend = getattr(gate, "extend", None)
            if extend is not None and self.exchange.reservation is not None:
                try:
                    extend(self.exchange.reservation, billed)
                except ConduitError as error:
                    self.stop_detail = f"the budget cannot cover another attempt ({error.message})"
                    return False
            self.committed_usd += billed
            attempt.held = True
        return True

    def _before_sleep(self, state: RetryCallState) -> None:
        attempt: Attempt = state.outcome.result()  # type: ignore[union-attr]
        wait = float(state.upcoming_sleep)
        self._retire(attempt, note=None)
        self.backoff_wait += wait
        self._waited(wait)
        self._publish(
            "retry",
            reason=attempt.verdict.reason,
            attempt=self.model_attempts + 1,
            wait_s=wait,
            http_status=attempt.verdict.http_status,
        )

    # -- fallbacks ---------------------------------------------------------------------
    def _fallback_after(self, attempt: Attempt) -> tuple[str, Estimate] | None:
        """The next fallback model whose worst case the exchange's reservation covers."""
        if not (attempt.verdict.retryable or attempt.verdict.reason == "circuit_open"):
            return None
        if self.stop_detail is not None and ("max_usd" in self.stop_detail or "budget" in self.stop_detail):
            return None  # money, not availability: another model would not help
        try:
            position = self.chain.index(self.exchange.model)
        except ValueError:
            return None
        if position + 1 >= len(self.chain):
            return None
        if not self._afford_retry(attempt, next_worst=Decimal(0)):  # hold a maybe-billed last attempt first
            return None
        payload = self.exchange.payload
        assert payload.json is not None
        for model in self.chain[position + 1 :]:
            if model is None:
                continue
            usable = self._current_model(model)
            if usable is None:
                continue
            model = usable
            estimate = self.exchange.meter.estimate(
                Payload(raw=b"", content_type=payload.content_type, json={**payload.json, "model": model}), model
            )
            self._candidate = model
            cap = self.policy.max_usd
            if cap is not None and self.committed_usd + (estimate.usd or Decimal(0)) > cap:
                self.exchange.note = _append(self.exchange.note, f"fallback {model} skipped: it could pass max_usd")
                continue
            if self._reservation_covers(estimate):
                return model, estimate
        return None

    def _current_model(self, model: str) -> str | None:
        """The catalog's lifecycle rule for a fallback, as for the requested model: retired → skipped."""
        from conduit.catalog import check_model
        from conduit.errors import RetiredModelError

        try:
            return check_model(model).model  # (the successor, under retired_policy = "substitute")
        except RetiredModelError as error:
            self.exchange.note = _append(self.exchange.note, f"fallback {model} skipped: {error.message}")
            return None

    def _reservation_covers(self, estimate: Estimate) -> bool:
        """Does the exchange's budget reservation hold this fallback's worst case (growing it if needed)?

        The reservation was made for the first model. A cheaper fallback fits;
        a dearer one needs the gate's ``grow`` (hold more, charge only the
        actual cost) -- not ``extend``, which charges the amount whatever happens.
        """
        gate = self.pipeline.budget
        if gate is None or self.exchange.reservation is None:
            return True
        if estimate.usd is None or self.reserved_usd is None:
            reason = "its worst case is unknown (no price), so the budget cannot hold it"
        elif estimate.usd <= self.reserved_usd:
            return True
        elif getattr(gate, "grow", None) is None:
            reason = "its worst case is more than the budget reserved"
        else:
            try:
                gate.grow(self.exchange.reservation, estimate.usd - self.reserved_usd)  # type: ignore[attr-defined]
            except ConduitError as error:
                reason = f"its worst case does not fit the budget ({error.message})"
            else:
                self.reserved_usd = estimate.usd
                return True
        self.exchange.note = _append(self.exchange.note, f"fallback {self._candidate} skipped: {reason}")
        return False

    def _switch(self, attempt: Attempt, following: tuple[str, Estimate]) -> None:
        """Send the rest of this exchange to the next fallback model."""
        model, estimate = following
        previous = self.exchange.model
        self._publish("fallback", reason=attempt.verdict.reason, fallback_to=model, http_status=attempt.verdict.http_status)
        self._retire(attempt, note=f"falling back to {model}")
        payload = self.exchange.payload
        assert payload.json is not None
        payload.set_json({**payload.json, "model": model})
        self.exchange.model = model
        self.exchange.estimate = estimate
        self.fallback_from = self.fallback_from or self.requested
        note = f"fallback: {previous} → {model} ({attempt.verdict.reason} after {self.model_attempts} attempt(s))"
        self.exchange.note = _append(self.exchange.note, note)
        self.model_attempts = 0
        self.stop_detail = None
        self._bind_model()

    # -- endings -----------------------------------------------------------------------
    def _retire(self, attempt: Attempt, note: str | None) -> None:
        """Record an attempt that will not be the exchange's last (and free its response)."""
        if attempt.verdict.reason == "circuit_open":
            return  # nothing was sent
        error_class, message = self._error_text(attempt)
        self.recorded = max(self.recorded, attempt.number)
        self.pipeline.record_attempt(
            self.exchange,
            http_status=attempt.verdict.http_status,
            headers=attempt.response.headers if attempt.response is not None else None,
            error_class=error_class,
            error_message=message,
            latency_ms=attempt.latency_ms,
            wait_ms=attempt.wait_ms,
            maybe_billed=attempt.verdict.maybe_billed,
            note=note,
        )
        if attempt.response is not None and not attempt.response.is_closed:
            attempt.response.close()  # (only sync responses can still be open here)

    def _final(self, attempt: Attempt) -> Attempt:
        if attempt.verdict.retryable:
            self._publish("give_up", reason=attempt.verdict.reason, http_status=attempt.verdict.http_status, detail=self.stop_detail)
        return attempt

    def circuit_error(self) -> CircuitOpenError:
        retry_in = self.breaker.retry_in() if self.breaker is not None else 0.0
        return CircuitOpenError(self.exchange.model, self.origin, retry_in)

    def trail(self, attempt: Attempt | None) -> dict[str, Any]:
        """Extra columns for the settled row (``attempt`` None: the call ended by an exception)."""
        if attempt is None and self.exchange.attempt <= self.recorded:
            self.exchange.attempt = self.recorded + 1  # ended while waiting for the next attempt
        return {
            "wait_ms": attempt.wait_ms if attempt is not None else round(self.pending_wait * 1000.0, 3),
            "fallback_from": self.fallback_from,
        }

    def settled(self, attempt: Attempt, actual_tokens: int) -> None:
        """Correct the rate limiter with what the call really used."""
        if attempt.ticket is not None:
            attempt.ticket.limiter.correct(attempt.ticket, actual_tokens)

    @staticmethod
    def _error_text(attempt: Attempt) -> tuple[str, str]:
        if attempt.error is not None:
            return type(attempt.error).__name__, (str(attempt.error) or type(attempt.error).__name__)[:500]
        return error_summary(attempt.content, attempt.verdict.http_status)

    def _publish(self, kind: str, **fields: Any) -> None:
        fields.setdefault("attempt", self.model_attempts)
        publish(
            ResilienceEvent(
                kind=kind,
                exchange_id=self.exchange.id,
                model=self.exchange.model,
                max_attempts=self.policy.max_attempts,
                **fields,
            )
        )

    def _worst_usd(self) -> Decimal:
        estimate = self.exchange.estimate
        return estimate.usd if estimate is not None and estimate.usd is not None else Decimal(0)


def _append(note: str | None, text: str) -> str:
    return f"{note}; {text}" if note else text
