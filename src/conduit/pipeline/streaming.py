"""Metering SSE streams as they pass through, without holding them back.

The wrapper cuts the byte stream at event boundaries, shows each ``data:``
payload to the endpoint's stream meter (which may hide the usage chunk that
conduit asked for on the caller's behalf), and settles the exchange exactly
once: when the stream ends, fails, or is closed early by the caller.
"""

from __future__ import annotations

import re
from typing import Any, AsyncIterator, Callable, Iterator

import httpx2

from conduit.meter.base import StreamMeter

_BOUNDARY = re.compile(rb"\r\n\r\n|\n\n|\r\r")


class _EventCutter:
    """Splits bytes into complete SSE events and filters them through the meter."""

    def __init__(self, meter: StreamMeter) -> None:
        self.meter = meter
        self.buffer = b""
        self.done = False

    def push(self, chunk: bytes) -> bytes:
        self.buffer += chunk
        out: list[bytes] = []
        while True:
            match = _BOUNDARY.search(self.buffer)
            if match is None:
                break
            event, self.buffer = self.buffer[: match.end()], self.buffer[match.end() :]
            if self._keep(event):
                out.append(event)
        return b"".join(out)

    def rest(self) -> bytes:
        event, self.buffer = self.buffer, b""
        return event if event and self._keep(event) else b""

    def _keep(self, event: bytes) -> bool:
        data = [
            line[5:].lstrip(b" ") if line.startswith(b"data:") else None
            for line in event.splitlines()
        ]
        payload = b"\n".join(d for d in data if d is not None)
        if not payload:
            return True
        text = payload.decode("utf-8", "replace")
        if text.strip() == "[DONE]":
            self.done = True
        return self.meter.feed(text)


Finish = Callable[[StreamMeter, bool, BaseException | None], None]


class MeteredStream(httpx2.SyncByteStream):
    """The caller's view of an SSE body, metered as it passes.

    ``first``/``rest``: the transport may have read the first chunk already
    (a stream is retried only until its first byte reaches the caller), in
    which case it hands over that chunk and the live chunk iterator.
    """

    def __init__(
        self,
        response: httpx2.Response,
        meter: StreamMeter,
        finish: Finish,
        first: bytes | None = None,
        rest: Iterator[bytes] | None = None,
    ) -> None:
        self._response = response
        self._cutter = _EventCutter(meter)
        self._finish = finish
        self._finished = False
        self._iterator: Iterator[bytes] | None = None
        self._first = first
        self._rest = rest

    def __iter__(self) -> Iterator[bytes]:
        # one generator however often we are iterated: the SDK drains ``response.stream``
        # again after [DONE], and a fresh pass would re-read a consumed body
        if self._iterator is None:
            self._iterator = self._events()
        return self._iterator

    def _events(self) -> Iterator[bytes]:
        error: BaseException | None = None
        complete = True
        try:
            if self._first:
                out = self._cutter.push(self._first)
                if out:
                    yield out
            for chunk in self._rest if self._rest is not None else self._response.iter_bytes():
                out = self._cutter.push(chunk)
                if out:
                    yield out
            tail = self._cutter.rest()
            if tail:
                yield tail
        except GeneratorExit:  # the caller stopped reading: complete only if [DONE] had arrived
            complete = self._cutter.done
            raise
        except BaseException as exc:
            error, complete = exc, False
            raise
        finally:
            self._settle(error, complete=complete)

    def close(self) -> None:
        try:
            if self._rest is not None and hasattr(self._rest, "close"):
                self._rest.close()
            self._response.close()
        finally:
            self._settle(None, complete=self._cutter.done)

    def _settle(self, error: BaseException | None, complete: bool) -> None:
        if not self._finished:
            self._finished = True
            self._finish(self._cutter.meter, complete, error)


class AsyncMeteredStream(httpx2.AsyncByteStream):
    """Asynchronous twin of :class:`MeteredStream`."""

    def __init__(
        self,
        response: httpx2.Response,
        meter: StreamMeter,
        finish: Finish,
        first: bytes | None = None,
        rest: AsyncIterator[bytes] | None = None,
    ) -> None:
        self._response = response
        self._cutter = _EventCutter(meter)
        self._finish = finish
        self._finished = False
        self._iterator: AsyncIterator[bytes] | None = None
        self._first = first
        self._rest = rest

    def __aiter__(self) -> AsyncIterator[bytes]:
        if self._iterator is None:
            self._iterator = self._events()
        return self._iterator

    async def _events(self) -> AsyncIterator[bytes]:
        error: BaseException | None = None
        complete = True
        try:
            if self._first:
                out = self._cutter.push(self._first)
                if out:
                    yield out
            async for chunk in self._rest if self._rest is not None else self._response.aiter_bytes():
                out = self._cutter.push(chunk)
                if out:
                    yield out
            tail = self._cutter.rest()
            if tail:
                yield tail
        except GeneratorExit:  # the caller stopped reading: complete only if [DONE] had arrived
            complete = self._cutter.done
            raise
        except BaseException as exc:
            error, complete = exc, False
            raise
        finally:
            self._settle(error, complete=complete)

    async def aclose(self) -> None:
        try:
            if self._rest is not None and hasattr(self._rest, "aclose"):
                await self._rest.aclose()
            await self._response.aclose()
        finally:
            self._settle(None, complete=self._cutter.done)

    def _settle(self, error: BaseException | None, complete: bool) -> None:
        if not self._finished:
            self._finished = True
            self._finish(self._cutter.meter, complete, error)


def passthrough_headers(headers: Any, extra: dict[str, str]) -> list[tuple[str, str]]:
    """Headers for the re-built response: the body is decoded, so drop encoding/length."""
    drop = {"content-encoding", "content-length", "transfer-encoding"}
    result = [(k, v) for k, v in headers.multi_items() if k.lower() not in drop]
    result.extend(extra.items())
    return result
