"""GovernedTransport: the pipeline as an httpx2 transport.

Installed into the official ``openai`` client (with its own retries off), it
sees every request on the wire, so code written for the SDK -- and libraries
that take an OpenAI client -- is governed unchanged.

One request is one *exchange*: ``begin`` (validate, screen, estimate,
reserve) runs once, the resilience layer makes as many attempts as it needs
(each one a ledger row), and the exchange is settled exactly once from the
last attempt. What the caller gets back is what the SDK expects: the final
response (a 429 or 5xx after retries are exhausted, so the SDK raises its
usual exception), or the final network error re-raised.
"""

from __future__ import annotations

import time
from typing import Any

import httpx2

from conduit.meter.base import StreamMeter
from conduit.pipeline.cache import CacheHit
from conduit.pipeline.core import Pipeline
from conduit.pipeline.exchange import Exchange
from conduit.pipeline.resilience import Resilience, default_resilience
from conduit.pipeline.resilience.run import Attempt, ExchangeRun, answered, failed, streamed
from conduit.pipeline.streaming import AsyncMeteredStream, MeteredStream, passthrough_headers

EXCHANGE_HEADER = "x-conduit-exchange-id"
COST_HEADER = "x-conduit-cost-usd"
ATTEMPTS_HEADER = "x-conduit-attempts"
FALLBACK_HEADER = "x-conduit-fallback-from"


def _outgoing(request: httpx2.Request, exchange: Exchange, run: ExchangeRun) -> httpx2.Request:
    """The request for one attempt: the endpoint's timeouts, rebuilt only if a stage changed the body."""
    timeout = run.timeout(request.extensions.get("timeout"))
    if not exchange.payload.modified:
        request.extensions = {**request.extensions, "timeout": timeout}
        return request
    headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "content-length"]
    return httpx2.Request(
        request.method,
        request.url,
        headers=headers,
        content=exchange.payload.raw,
        extensions={**request.extensions, "timeout": timeout},
    )


def _is_sse(response: httpx2.Response) -> bool:
    return response.headers.get("content-type", "").startswith("text/event-stream")


def _result_headers(exchange: Exchange, run: ExchangeRun, record_cost: Any = None) -> dict[str, str]:
    headers = {EXCHANGE_HEADER: exchange.id}
    if record_cost is not None:
        headers[COST_HEADER] = str(record_cost)
    if run.attempts > 1:
        headers[ATTEMPTS_HEADER] = str(run.attempts)
    if run.fallback_from is not None:
        headers[FALLBACK_HEADER] = run.fallback_from
    return headers


CACHE_HEADER = "x-conduit-cache"


def _cached_response(exchange: Exchange, hit: CacheHit) -> httpx2.Response:
    """The stored answer, as the SDK expects it, marked as served from the cache."""
    return httpx2.Response(
        200,
        headers={"content-type": hit.content_type, EXCHANGE_HEADER: exchange.id, COST_HEADER: "0", CACHE_HEADER: "hit"},
        content=hit.body,
    )


def _actual_tokens(usage: Any) -> int:
    return int(usage.input_tokens + usage.output_tokens)


class _Delivery:
    """What both transports do with the last attempt: settle once, answer the caller."""

    pipeline: Pipeline

    def _settle_failure(self, run: ExchangeRun, exchange: Exchange, attempt: Attempt) -> BaseException:
        if attempt.error is not None:
            self.pipeline.fail(exchange, attempt.error, maybe_billed=attempt.verdict.maybe_billed, **run.trail(attempt))
            return attempt.error
        error = run.circuit_error()
        self.pipeline.fail(exchange, error, **run.trail(attempt))
        return error

    def _answer(self, run: ExchangeRun, exchange: Exchange, attempt: Attempt) -> httpx2.Response:
        response = attempt.response
        assert response is not None and attempt.content is not None
        record = self.pipeline.complete(exchange, response.status_code, response.headers, attempt.content, **run.trail(attempt))
        run.settled(attempt, _actual_tokens(record.usage))
        self.pipeline.remember(exchange, record, response.status_code, response.headers, attempt.content)
        return httpx2.Response(
            response.status_code,
            headers=passthrough_headers(response.headers, _result_headers(exchange, run, record.cost_usd)),
            content=attempt.content,
            extensions=response.extensions,
        )

    def _stream_parts(self, run: ExchangeRun, exchange: Exchange, attempt: Attempt) -> tuple[StreamMeter, Any, list[tuple[str, str]]]:
        response = attempt.response
        assert response is not None
        meter = exchange.meter.stream_meter(exchange.payload, exchange.estimate)
        trail = run.trail(attempt)

        def finish(m: StreamMeter, complete: bool, error: BaseException | None) -> None:
            if error is not None and not complete:
                record = self.pipeline.fail(exchange, error, usage=m.usage(False), **trail)
            else:
                record = self.pipeline.complete_stream(
                    exchange, response.status_code, response.headers, m.usage(complete), m.model, complete, **trail
                )
            run.settled(attempt, _actual_tokens(record.usage))

        return meter, finish, passthrough_headers(response.headers, _result_headers(exchange, run))


class GovernedTransport(_Delivery, httpx2.BaseTransport):
    """Synchronous governed transport around an inner transport (default: HTTP)."""

    def __init__(
        self, pipeline: Pipeline, inner: httpx2.BaseTransport | None = None, *, resilience: Resilience | None = None
    ) -> None:
        self.pipeline = pipeline
        self.inner = inner or httpx2.HTTPTransport()
        self.resilience = resilience or default_resilience()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        raw = request.read()
        exchange = self.pipeline.begin(
            request.method, request.url.path, raw, request.headers.get("content-type", "")
        )
        hit = self.pipeline.lookup(exchange)
        if hit is not None:
            return _cached_response(exchange, hit)
        run = self.resilience.start(self.pipeline, exchange, request.url)
        try:
            attempt = run.run_sync(lambda: self._send(request, exchange, run))
        except BaseException as error:  # cancelled while waiting, refused by the limiter, a bug
            if not exchange.finished:
                self.pipeline.fail(exchange, error, **run.trail(None))
            raise
        if attempt.response is None:
            raise self._settle_failure(run, exchange, attempt)
        if attempt.streaming:
            return self._stream(run, exchange, attempt)
        return self._answer(run, exchange, attempt)

    def _send(self, request: httpx2.Request, exchange: Exchange, run: ExchangeRun) -> Attempt:
        outgoing = _outgoing(request, exchange, run)
        started = time.perf_counter()
        try:
            response = self.inner.handle_request(outgoing)
        except Exception as error:
            return failed(error, started)
        if _is_sse(response) and response.status_code < 400:
            chunks = response.iter_bytes()
            try:  # until the first chunk arrives, a stream can still be retried
                first = next(chunks, b"")
            except Exception as error:
                response.close()
                return failed(error, started, response_started=True)
            return streamed(response, first, chunks, started)
        try:
            content = response.read()
        except Exception as error:
            return failed(error, started, response_started=True)
        finally:
            response.close()
        return answered(response, content, started)

    def _stream(self, run: ExchangeRun, exchange: Exchange, attempt: Attempt) -> httpx2.Response:
        response = attempt.response
        assert response is not None
        meter, finish, headers = self._stream_parts(run, exchange, attempt)
        return httpx2.Response(
            response.status_code,
            headers=headers,
            stream=MeteredStream(response, meter, finish, attempt.stream_first, attempt.stream_rest),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self.inner.close()


class AsyncGovernedTransport(_Delivery, httpx2.AsyncBaseTransport):
    """Asynchronous twin of GovernedTransport."""

    def __init__(
        self,
        pipeline: Pipeline,
        inner: httpx2.AsyncBaseTransport | None = None,
        *,
        resilience: Resilience | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.inner = inner or httpx2.AsyncHTTPTransport()
        self.resilience = resilience or default_resilience()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        raw = await request.aread()
        exchange = self.pipeline.begin(
            request.method, request.url.path, raw, request.headers.get("content-type", "")
        )
        hit = self.pipeline.lookup(exchange)
        if hit is not None:
            return _cached_response(exchange, hit)
        run = self.resilience.start(self.pipeline, exchange, request.url)
        try:
            attempt = await run.run_async(lambda: self._send(request, exchange, run))
        except BaseException as error:  # cancelled while waiting, refused by the limiter, a bug
            if not exchange.finished:
                self.pipeline.fail(exchange, error, **run.trail(None))
            raise
        if attempt.response is None:
            raise self._settle_failure(run, exchange, attempt)
        if attempt.streaming:
            return self._stream(run, exchange, attempt)
        return self._answer(run, exchange, attempt)

    async def _send(self, request: httpx2.Request, exchange: Exchange, run: ExchangeRun) -> Attempt:
        outgoing = _outgoing(request, exchange, run)
        started = time.perf_counter()
        try:
            response = await self.inner.handle_async_request(outgoing)
        except Exception as error:
            return failed(error, started)
        if _is_sse(response) and response.status_code < 400:
            chunks = response.aiter_bytes()
            try:  # until the first chunk arrives, a stream can still be retried
                first = await chunks.__anext__()
            except StopAsyncIteration:
                first = b""
            except Exception as error:
                await response.aclose()
                return failed(error, started, response_started=True)
            return streamed(response, first, chunks, started)
        try:
            content = await response.aread()
        except Exception as error:
            return failed(error, started, response_started=True)
        finally:
            await response.aclose()
        return answered(response, content, started)

    def _stream(self, run: ExchangeRun, exchange: Exchange, attempt: Attempt) -> httpx2.Response:
        response = attempt.response
        assert response is not None
        meter, finish, headers = self._stream_parts(run, exchange, attempt)
        return httpx2.Response(
            response.status_code,
            headers=headers,
            stream=AsyncMeteredStream(response, meter, finish, attempt.stream_first, attempt.stream_rest),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()
