"""GovernedTransport: the pipeline as an httpx2 transport.

Installed into the official ``openai`` client (with its own retries off), it
sees every request on the wire, so code written for the SDK -- and libraries
that take an OpenAI client -- is governed unchanged.
"""

from __future__ import annotations

from typing import Any

import httpx2

from conduit.meter.base import StreamMeter
from conduit.pipeline.core import Pipeline
from conduit.pipeline.exchange import Exchange
from conduit.pipeline.streaming import AsyncMeteredStream, MeteredStream, passthrough_headers

EXCHANGE_HEADER = "x-conduit-exchange-id"
COST_HEADER = "x-conduit-cost-usd"


def _outgoing(request: httpx2.Request, exchange: Exchange) -> httpx2.Request:
    """The request to send: rebuilt only if a stage changed the body."""
    if not exchange.payload.modified:
        return request
    headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "content-length"]
    return httpx2.Request(
        request.method,
        request.url,
        headers=headers,
        content=exchange.payload.raw,
        extensions=request.extensions,
    )


def _is_sse(response: httpx2.Response) -> bool:
    return response.headers.get("content-type", "").startswith("text/event-stream")


def _result_headers(exchange: Exchange, record_cost: Any = None) -> dict[str, str]:
    headers = {EXCHANGE_HEADER: exchange.id}
    if record_cost is not None:
        headers[COST_HEADER] = str(record_cost)
    return headers


class GovernedTransport(httpx2.BaseTransport):
    """Synchronous governed transport around an inner transport (default: HTTP)."""

    def __init__(self, pipeline: Pipeline, inner: httpx2.BaseTransport | None = None) -> None:
        self.pipeline = pipeline
        self.inner = inner or httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        raw = request.read()
        exchange = self.pipeline.begin(
            request.method, request.url.path, raw, request.headers.get("content-type", "")
        )
        outgoing = _outgoing(request, exchange)
        try:
            response = self.inner.handle_request(outgoing)
        except BaseException as error:
            self.pipeline.fail(exchange, error)
            raise
        if _is_sse(response) and response.status_code < 400:
            return self._stream(exchange, response)
        try:
            content = response.read()
        except BaseException as error:
            response.close()
            self.pipeline.fail(exchange, error)
            raise
        response.close()
        record = self.pipeline.complete(exchange, response.status_code, response.headers, content)
        return httpx2.Response(
            response.status_code,
            headers=passthrough_headers(response.headers, _result_headers(exchange, record.cost_usd)),
            content=content,
            extensions=response.extensions,
        )

    def _stream(self, exchange: Exchange, response: httpx2.Response) -> httpx2.Response:
        meter = exchange.meter.stream_meter(exchange.payload, exchange.estimate)

        def finish(m: StreamMeter, complete: bool, error: BaseException | None) -> None:
            if error is not None and not complete:
                self.pipeline.fail(exchange, error, usage=m.usage(False))
            else:
                self.pipeline.complete_stream(
                    exchange, response.status_code, response.headers, m.usage(complete), m.model, complete
                )

        return httpx2.Response(
            response.status_code,
            headers=passthrough_headers(response.headers, _result_headers(exchange)),
            stream=MeteredStream(response, meter, finish),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self.inner.close()


class AsyncGovernedTransport(httpx2.AsyncBaseTransport):
    """Asynchronous twin of GovernedTransport."""

    def __init__(self, pipeline: Pipeline, inner: httpx2.AsyncBaseTransport | None = None) -> None:
        self.pipeline = pipeline
        self.inner = inner or httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        raw = await request.aread()
        exchange = self.pipeline.begin(
            request.method, request.url.path, raw, request.headers.get("content-type", "")
        )
        outgoing = _outgoing(request, exchange)
        try:
            response = await self.inner.handle_async_request(outgoing)
        except BaseException as error:
            self.pipeline.fail(exchange, error)
            raise
        if _is_sse(response) and response.status_code < 400:
            return self._stream(exchange, response)
        try:
            content = await response.aread()
        except BaseException as error:
            await response.aclose()
            self.pipeline.fail(exchange, error)
            raise
        await response.aclose()
        record = self.pipeline.complete(exchange, response.status_code, response.headers, content)
        return httpx2.Response(
            response.status_code,
            headers=passthrough_headers(response.headers, _result_headers(exchange, record.cost_usd)),
            content=content,
            extensions=response.extensions,
        )

    def _stream(self, exchange: Exchange, response: httpx2.Response) -> httpx2.Response:
        meter = exchange.meter.stream_meter(exchange.payload, exchange.estimate)

        def finish(m: StreamMeter, complete: bool, error: BaseException | None) -> None:
            if error is not None and not complete:
                self.pipeline.fail(exchange, error, usage=m.usage(False))
            else:
                self.pipeline.complete_stream(
                    exchange, response.status_code, response.headers, m.usage(complete), m.model, complete
                )

        return httpx2.Response(
            response.status_code,
            headers=passthrough_headers(response.headers, _result_headers(exchange)),
            stream=AsyncMeteredStream(response, meter, finish),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()
