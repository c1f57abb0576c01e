"""The pipeline: the one place where the order of stages is written down.

    validate → screen → estimate → reserve → [lookup] → send → read → settle → record

``begin`` runs the stages before the request leaves (any refusal raises a
ConduitError before money is spent); ``complete``/``fail`` run the stages
after it. The transport (``conduit.pipeline.transport``) does the sending and
reading, because those differ for plain, streaming and async calls.
Budgets, the guard and retries plug in as the seams below.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any, Callable, Protocol

from conduit.ledger import ExchangeRecord, Ledger, new_id
from conduit.meter import Payload, meter_for
from conduit.meter.pricing import cost_of
from conduit.observability.tracing import exchange_span
from conduit.pipeline.cache import CacheHit, ResponseCache, cache_key
from conduit.pipeline.context import Scope, current_scope
from conduit.pipeline.exchange import Exchange
from conduit.usage import Usage

log = logging.getLogger("conduit.pipeline")

STAGES: tuple[str, ...] = ("validate", "screen", "estimate", "reserve", "lookup", "send", "read", "settle", "record")


class BudgetGate(Protocol):
    """The reserve/settle seam (filled by ``conduit.budget``)."""

    def reserve(self, exchange: Exchange) -> Any: ...

    def settle(self, reservation: Any, usd: Decimal | None) -> None: ...

    def release(self, reservation: Any) -> None: ...


Screen = Callable[[str, Payload], None]
Validator = Callable[[Exchange], None]


class Pipeline:
    """Governs exchanges for one client: meters, prices, budgets and records them."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        defaults: Scope = Scope(),
        upstream: str | None = None,
        validators: list[Validator] | None = None,
        screen: Screen | None = None,
        budget: BudgetGate | None = None,
        cache: ResponseCache | None = None,
    ) -> None:
        self.ledger = ledger
        self.defaults = defaults
        self.upstream = upstream
        self.validators = list(validators or [])
        self.screen = screen
        self.budget = budget
        self.cache = cache

    # -- lookup (opt-in cache) ----------------------------------------------
    def lookup(self, exchange: Exchange) -> CacheHit | None:
        """After reserve: an identical earlier answer, settled here at $0 (``cached``)."""
        cache = self.cache
        if cache is None or not cache.applies(exchange.endpoint, exchange.payload.json):
            return None
        exchange.cache_key = cache_key(exchange.endpoint, self.upstream, exchange.payload.raw)
        hit = cache.lookup(exchange.cache_key)
        if hit is not None:
            saved = "" if hit.saved_usd is None else f", saved ${hit.saved_usd}"
            exchange.note = f"cache hit of {hit.exchange_id}{saved}"
            self._finish(exchange, Usage(), None, 200, None, status_override="cached", free=True)
        return hit

    def remember(self, exchange: Exchange, record: ExchangeRecord, status: int, headers: Any, content: bytes) -> None:
        """Store a successful, complete answer for later identical requests (cache enabled only)."""
        if self.cache is None or exchange.cache_key is None or status != 200 or record.status != "ok":
            return
        content_type = headers.get("content-type", "application/json") if headers is not None else "application/json"
        if "json" not in content_type:
            return
        self.cache.store(
            exchange.cache_key, exchange.endpoint, record.model, content, content_type, record.id, record.cost_usd
        )

    # -- before sending -----------------------------------------------------
    def begin(self, method: str, path: str, raw: bytes, content_type: str) -> Exchange:
        meter = meter_for(method, path)
        payload = Payload.parse(raw, content_type)
        exchange = Exchange(
            method=method, path=path, meter=meter, payload=payload, scope=self.defaults.merged(current_scope())
        )
        exchange.requested_model = exchange.model = meter.model_of(payload)
        exchange.stream = bool((payload.json or {}).get("stream"))
        try:
            # validate
            meter.validate(payload)
            for validator in self.validators:
                validator(exchange)
            # screen
            if self.screen is not None:
                self.screen(meter.endpoint, payload)
            meter.prepare(payload)
            # estimate
            exchange.estimate = meter.estimate(payload, exchange.model)
            # reserve
            if self.budget is not None:
                exchange.reservation = self.budget.reserve(exchange)
        except Exception as error:
            self._record_refusal(exchange, error)
            raise
        return exchange

    # -- after sending ------------------------------------------------------
    def complete(
        self, exchange: Exchange, status: int, headers: Any, content: bytes, **trail: Any
    ) -> ExchangeRecord:
        """read → settle → record, for a response whose body is fully read.

        ``trail`` (``wait_ms``, ``fallback_from``) comes from the resilience layer.
        """
        if status >= 400:
            error_class, message = _error_of(content)
            return self._finish(
                exchange, Usage(), None, status, headers, error_class=error_class, error_message=message, **trail
            )
        usage, model = exchange.meter.read(exchange.payload, status, headers, content)
        return self._finish(exchange, usage, model, status, headers, **trail)

    def complete_stream(
        self,
        exchange: Exchange,
        status: int,
        headers: Any,
        usage: Usage,
        model: str | None,
        complete: bool,
        **trail: Any,
    ) -> ExchangeRecord:
        exchange.stream = True  # also for multipart requests, whose stream flag is not in JSON
        return self._finish(
            exchange,
            usage,
            model,
            status,
            headers,
            status_override=None if complete else "cancelled",
            **trail,
        )

    def fail(
        self, exchange: Exchange, error: BaseException, usage: Usage | None = None, **trail: Any
    ) -> ExchangeRecord:
        """The request failed without a response (connection, timeout, cancellation).

        A ConduitError here (open circuit, full rate-limit queue, budget refusing a retry) means
        conduit itself stopped the call before it was sent: recorded as ``refused``."""
        from conduit.errors import ConduitError

        refused = isinstance(error, ConduitError) and not trail.get("maybe_billed")
        message = error.message if isinstance(error, ConduitError) else (str(error) or type(error).__name__)
        return self._finish(
            exchange,
            usage or Usage(),
            None,
            None,
            None,
            error_class=type(error).__name__,
            error_message=message,
            status_override="refused" if refused else None,
            **trail,
        )

    def record_attempt(
        self,
        exchange: Exchange,
        *,
        http_status: int | None,
        headers: Any,
        error_class: str | None,
        error_message: str | None,
        latency_ms: float | None,
        wait_ms: float | None,
        maybe_billed: bool,
        note: str | None = None,
    ) -> ExchangeRecord:
        """Record one failed attempt that will be retried, WITHOUT settling the exchange.

        Every attempt is in the ledger, but the reservation is settled exactly
        once (by ``complete``/``fail`` for the last attempt). An attempt that
        got an error response was not billed (cost 0); one that failed after
        the request may have been processed (read timeout, dropped mid-body)
        has an unknown cost: ``cost_usd`` is left empty and the estimate kept.
        """
        estimate = exchange.estimate
        record = ExchangeRecord(
            id=new_id(),
            exchange_id=exchange.id,
            endpoint=exchange.endpoint,
            model=exchange.model,
            requested_model=exchange.requested_model,
            status="retried",
            http_status=http_status,
            attempt=exchange.attempt,
            stream=exchange.stream,
            latency_ms=None if latency_ms is None else round(latency_ms, 3),
            estimated_input_tokens=estimate.usage.input_tokens if estimate else None,
            estimate_usd=estimate.usd if estimate else None,
            cost_usd=None if maybe_billed else Decimal(0),
            price_source="unknown:maybe-billed" if maybe_billed else "no-charge",
            project=exchange.scope.project,
            user=exchange.scope.user,
            session=exchange.scope.session,
            request_id=headers.get("x-request-id") if headers is not None else None,
            upstream=self.upstream,
            error_class=error_class,
            error_message=error_message,
            note=note,
            wait_ms=wait_ms,
        )
        self.ledger.record(record)
        exchange_span(record)
        return record

    def _finish(
        self,
        exchange: Exchange,
        usage: Usage,
        model: str | None,
        status: int | None,
        headers: Any,
        *,
        error_class: str | None = None,
        error_message: str | None = None,
        status_override: str | None = None,
        wait_ms: float | None = None,
        fallback_from: str | None = None,
        maybe_billed: bool = False,
        free: bool = False,
    ) -> ExchangeRecord:
        if exchange.finished:
            raise RuntimeError(f"exchange {exchange.id} settled twice")
        exchange.finished = True
        exchange.model = model or exchange.model
        ok = error_class is None and status is not None and status < 400
        if free:  # answered without reaching the API (cache)
            usd, source, version = Decimal(0), "no-charge", None
        elif ok or usage.total_tokens or usage.images or usage.characters or usage.audio_seconds:
            usd, source, version = cost_of(exchange.model, usage)
        elif maybe_billed:  # sent, then timed out / dropped: it may have been processed; the budget keeps the estimate
            usd, source, version = None, "unknown:maybe-billed", None
        else:  # OpenAI does not bill failed requests
            usd, source, version = Decimal(0), "no-charge", None
        # settle
        if self.budget is not None and exchange.reservation is not None:
            self.budget.settle(exchange.reservation, usd)
        # record
        estimate = exchange.estimate
        record = ExchangeRecord(
            id=exchange.id,
            created_at=exchange.created_at,
            endpoint=exchange.endpoint,
            model=exchange.model,
            requested_model=exchange.requested_model,
            status=status_override or ("ok" if ok else "error"),
            http_status=status,
            attempt=exchange.attempt,
            stream=exchange.stream,
            latency_ms=round(exchange.elapsed_ms(), 3),
            usage=usage,
            estimated_input_tokens=estimate.usage.input_tokens if estimate else None,
            estimate_usd=estimate.usd if estimate else None,
            cost_usd=usd,
            price_source=source,
            price_version=version,
            project=exchange.scope.project,
            user=exchange.scope.user,
            session=exchange.scope.session,
            request_id=headers.get("x-request-id") if headers is not None else None,
            upstream=self.upstream,
            error_class=error_class,
            error_message=error_message,
            note=exchange.note,
            exchange_id=exchange.id,
            wait_ms=wait_ms,
            fallback_from=fallback_from,
        )
        self.ledger.record(record)
        exchange_span(record)
        log.info(
            "exchange %s %s %s",
            record.endpoint,
            record.model,
            record.status,
            extra={
                "exchange_id": record.id,
                "session": record.session,
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
                "cost_usd": None if usd is None else str(usd),
                "latency_ms": record.latency_ms,
            },
        )
        return record

    def _record_refusal(self, exchange: Exchange, error: Exception) -> None:
        """Refusals are recorded too (nothing sent, nothing charged)."""
        from conduit.errors import ConduitError

        if not isinstance(error, ConduitError):
            return
        exchange.finished = True
        if self.budget is not None and exchange.reservation is not None:
            self.budget.release(exchange.reservation)
        record = ExchangeRecord(
                id=exchange.id,
                created_at=exchange.created_at,
                endpoint=exchange.endpoint,
                model=exchange.model,
                requested_model=exchange.requested_model,
                status="refused",
                stream=exchange.stream,
                latency_ms=round(exchange.elapsed_ms(), 3),
                estimate_usd=exchange.estimate.usd if exchange.estimate else None,
                cost_usd=Decimal(0),
                price_source="no-charge",
                project=exchange.scope.project,
                user=exchange.scope.user,
                session=exchange.scope.session,
                upstream=self.upstream,
                error_class=type(error).__name__,
                error_message=error.message,
            )
        self.ledger.record(record)
        exchange_span(record)


def _error_of(content: bytes) -> tuple[str, str]:
    """(code or type, message) from an OpenAI-shaped error body."""
    try:
        data = json.loads(content)
        error = data.get("error") or {}
        return str(error.get("code") or error.get("type") or "http_error"), str(error.get("message") or "")[:500]
    except (ValueError, AttributeError):
        return "http_error", content[:200].decode("utf-8", "replace")
