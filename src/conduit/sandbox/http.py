"""The per-request machinery every simulated endpoint shares.

:class:`Endpoint` wraps an endpoint handler into an ASGI app that, in order:
reads and records the request (secrets redacted, file bytes dropped), checks
the API key like OpenAI, applies any injected fault, runs the handler, and
adds the headers OpenAI sends (``x-request-id``, ``openai-processing-ms``,
``x-ratelimit-*``) plus ``x-conduit-sandbox: simulation`` on every answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from conduit.sandbox import models as _models
from conduit.sandbox.errors import APIError, invalid, model_not_found, unauthorized
from conduit.sandbox.faults import Fault
from conduit.sandbox.state import RecordedRequest, SandboxState, redact_headers

_log = logging.getLogger("conduit.sandbox")
SIMULATION_HEADER = ("x-conduit-sandbox", "simulation")
RAW_SEND_KEY = "conduit.raw_send"
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
_MAX_MULTIPART_BODY = 64 * 1024 * 1024

RATE_LIMIT_REQUESTS = 10_000
RATE_LIMIT_TOKENS = 30_000_000


@dataclass
class Upload:
    """A multipart file part, read into memory (the API caps uploads at 25 MB)."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Call:
    """What a handler sees: the parsed body, the shared state, helpers."""

    state: SandboxState
    request: Request
    path: str
    body: dict[str, Any]
    files: dict[str, Upload] = field(default_factory=dict)  # first file per field name
    uploads: list[tuple[str, Upload]] = field(default_factory=list)  # every file part, in order
    request_id: str = ""
    fault: Fault | None = None
    record: RecordedRequest | None = None

    @property
    def model(self) -> str | None:
        value = self.body.get("model")
        return value if isinstance(value, str) else None

    def today(self) -> Any:
        return _models.today(self.state.as_of)

    def resolve_model(self, kinds: tuple[str, ...], *, endpoint: str) -> _models.ModelInfo:
        """The requested model, or the error OpenAI gives for a missing/unknown/retired/wrong one."""
        model = self.body.get("model")
        if model is None or model == "":
            raise invalid("you must provide a model parameter")
        if not isinstance(model, str):
            raise invalid(
                f"Invalid type for 'model': expected a string, but got {_type_word(model)} instead.",
                "model",
                "invalid_type",
            )
        info = _models.resolve(model)
        if info is None or info.is_shut_down(self.today()):
            raise model_not_found(model)
        if info.kind not in kinds:
            if info.kind == _models.RESPONSES_ONLY and endpoint == "v1/chat/completions":
                raise APIError(
                    404,
                    "This model is only supported in v1/responses and not in v1/chat/completions.",
                    param="model",
                )
            raise APIError(
                404 if endpoint in ("v1/chat/completions", "v1/responses") else 400,
                f"The model `{model}` is not supported by the {endpoint} endpoint.",
                param="model",
                code=None if endpoint in ("v1/chat/completions", "v1/responses") else "invalid_value",
            )
        return info


Handler = Callable[[Call], Awaitable[Response]]


def _type_word(value: Any) -> str:
    from conduit.sandbox.validate import type_word

    return type_word(value)


def error_response(error: APIError, request_id: str) -> JSONResponse:
    headers = {"x-request-id": request_id, **error.headers}
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


def sse_response(events: AsyncIterator[bytes], headers: dict[str, str] | None = None) -> StreamingResponse:
    return StreamingResponse(
        events,
        media_type="text/event-stream; charset=utf-8",
        headers={"cache-control": "no-cache", **(headers or {})},
    )


def sse_data(payload: Any) -> bytes:
    return b"data: " + json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"


def sse_event(event: str, payload: Any) -> bytes:
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return b"event: " + event.encode() + b"\ndata: " + data + b"\n\n"


def duration_header(seconds: float) -> str:
    """OpenAI's reset-duration format: ``1s``, ``6m0s``, ``120ms``, ``1.5s``."""
    if seconds < 1:
        return f"{max(0, int(round(seconds * 1000)))}ms"
    minutes, rest = divmod(seconds, 60)
    rest_text = f"{rest:.3f}".rstrip("0").rstrip(".")
    return f"{int(minutes)}m{rest_text}s" if minutes else f"{rest_text}s"


class Endpoint:
    """ASGI app for one simulated endpoint (see module docs for the order of stages)."""

    def __init__(self, state: SandboxState, handler: Handler, *, multipart: bool = False) -> None:
        self.state = state
        self.handler = handler
        self.multipart = multipart

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        started = time.perf_counter()
        request = Request(scope, receive)
        raw_send = scope.get(RAW_SEND_KEY, send)
        request_id = "req_" + uuid.uuid4().hex
        path = scope["path"]
        record = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query_params),
            headers=redact_headers([(k, v) for k, v in request.headers.items()]),
        )
        self.state.record(record)
        call = Call(self.state, request, path, {}, request_id=request_id, record=record)
        fault: Fault | None = None
        try:
            parse_error = await self._read_body(request, call, record)
            _check_auth(request, self.state)
            if parse_error is not None:
                raise parse_error
            fault = self.state.faults.take(path, call.model)
            if fault is not None:
                record.fault = fault.kind
                call.fault = fault
                if fault.kind == "drop":
                    await _drop_connection(raw_send)
                    return
                if fault.kind == "slow":
                    await asyncio.sleep(fault.delay)
                elif fault.kind not in ("stream_drop",):
                    raise _fault_error(fault, call.model)
            response = await self.handler(call)
            _add_success_headers(response, call)
        except APIError as error:
            response = error_response(error, request_id)
        except Exception as exc:  # a sandbox bug: answer like OpenAI's 500, but say what broke
            _log.exception("conduit sandbox failed on %s %s", request.method, path)
            response = error_response(
                APIError(
                    500,
                    f"The conduit sandbox failed while simulating this request ({type(exc).__name__}: {exc}).",
                    type="server_error",
                ),
                request_id,
            )
        response.headers["x-request-id"] = request_id
        response.headers["openai-processing-ms"] = str(int((time.perf_counter() - started) * 1000))
        response.headers["openai-version"] = "2020-10-01"
        response.headers[SIMULATION_HEADER[0]] = SIMULATION_HEADER[1]
        record.status = response.status_code
        if fault is not None and fault.kind == "stream_drop" and response.status_code < 400:
            record.status = None
            await _send_then_drop(response, fault.after_chunks, scope, receive, send, raw_send)
            return
        await response(scope, receive, send)

    async def _read_body(self, request: Request, call: Call, record: RecordedRequest) -> APIError | None:
        """Parse JSON or multipart into ``call``; return (not raise) a parse error so auth goes first."""
        content_type = request.headers.get("content-type", "")
        if request.method == "GET":
            return None
        if self.multipart or content_type.startswith("multipart/form-data"):
            if not content_type.startswith("multipart/form-data"):
                return invalid(
                    "Invalid Content-Type header (" + (content_type or "none") + "), expected multipart/form-data."
                )
            length = int(request.headers.get("content-length") or 0)
            if length > _MAX_MULTIPART_BODY:
                record.body_size = length
                return APIError(
                    413,
                    f"Maximum content size limit ({MAX_UPLOAD_BYTES}) exceeded ({length} bytes read)",
                    param=None,
                    code=None,
                )
            try:
                form = await request.form(max_files=64, max_fields=256)
            except Exception as exc:  # malformed multipart body
                return invalid(f"Could not parse multipart form: {exc}")
            fields: dict[str, Any] = {}
            recorded: dict[str, Any] = {}
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    data = await value.read()
                    upload = Upload(value.filename or "file", value.content_type or "", data)
                    call.files.setdefault(key.removesuffix("[]"), upload)
                    call.uploads.append((key.removesuffix("[]"), upload))
                    summary = {"filename": upload.filename, "size": len(data), "content_type": upload.content_type}
                    record.body_size += len(data)
                    _put(recorded, key, summary)
                else:
                    _put(fields, key, value)
                    _put(recorded, key, value)
            call.body = fields
            record.form = recorded
            record.model = call.model
            return None
        raw = await request.body()
        record.body_size = len(raw)
        try:
            body = json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            return invalid(
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
                "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
                "valid JSON. If you have trouble figuring out how to fix this, please contact us through our "
                "help center at help.openai.com.)"
            )
        record.json = body
        if body is None:
            return invalid("you must provide a model parameter")
        if not isinstance(body, dict):
            return invalid(
                f"Invalid type for request body: expected an object, but got {_type_word(body)} instead.",
                None,
                "invalid_type",
            )
        call.body = dict(body)  # handlers may fill defaults; the recorded body stays as sent
        record.model = call.model
        return None


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    """Multipart keys may repeat (``timestamp_granularities[]``): collect repeats into a list."""
    if key.endswith("[]"):
        target.setdefault(key[:-2], []).append(value)
    elif key in target:
        existing = target[key]
        target[key] = existing + [value] if isinstance(existing, list) else [existing, value]
    else:
        target[key] = value


def _check_auth(request: Request, state: SandboxState) -> None:
    header = request.headers.get("authorization")
    if not header:
        raise unauthorized(
            "You didn't provide an API key. You need to provide your API key in an Authorization header using "
            "Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) "
            "if you're accessing the API from your browser and are prompted for a username. You can obtain an "
            "API key from https://platform.openai.com/account/api-keys.",
            None,
        )
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise unauthorized(
            "You didn't provide an API key. You need to provide your API key in an Authorization header using "
            "Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            None,
        )
    if token.startswith("sk-invalid"):
        shown = token[:3] + "*" * 10 + token[-4:] if len(token) > 8 else "****"
        raise unauthorized(
            f"Incorrect API key provided: {shown}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            "invalid_api_key",
        )


def _fault_error(fault: Fault, model: str | None) -> APIError:
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        headers["retry-after"] = str(max(0, math.ceil(fault.retry_after)))
        headers["retry-after-ms"] = str(int(round(fault.retry_after * 1000)))
    if fault.kind == "rate_limit":
        wait = 1.0 if fault.retry_after is None else fault.retry_after
        headers.update(
            {
                "retry-after": str(max(0, math.ceil(wait))),
                "retry-after-ms": str(int(round(wait * 1000))),
                "x-ratelimit-limit-requests": str(RATE_LIMIT_REQUESTS),
                "x-ratelimit-remaining-requests": "0",
                "x-ratelimit-reset-requests": duration_header(wait),
                "x-ratelimit-limit-tokens": str(RATE_LIMIT_TOKENS),
                "x-ratelimit-remaining-tokens": str(RATE_LIMIT_TOKENS),
                "x-ratelimit-reset-tokens": "0s",
            }
        )
        name = model or "this model"
        return APIError(
            429,
            fault.message
            or f"Rate limit reached for {name} in organization org-sandbox on requests per min (RPM): "
            f"Limit {RATE_LIMIT_REQUESTS}, Used {RATE_LIMIT_REQUESTS}, Requested 1. Please try again in "
            f"{duration_header(wait)}. Visit https://platform.openai.com/account/rate-limits to learn more. "
            "(conduit sandbox simulation)",
            type="requests",
            code="rate_limit_exceeded",
            headers=headers,
        )
    if fault.kind == "insufficient_quota":
        return APIError(
            429,
            fault.message
            or "You exceeded your current quota, please check your plan and billing details. For more "
            "information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors. "
            "(conduit sandbox simulation)",
            type="insufficient_quota",
            code="insufficient_quota",
        )
    status, text = {
        "request_timeout": (408, "Request timed out."),
        "conflict": (409, "The request conflicted with another request being processed."),
        "server_error": (500, "The server had an error while processing your request. Sorry about that!"),
        "bad_gateway": (502, "Bad gateway."),
        "unavailable": (503, "The engine is currently overloaded, please try again later."),
        "timeout": (504, "Gateway timeout."),
    }[fault.kind]
    return APIError(
        status,
        (fault.message or text) + " (conduit sandbox simulation)",
        type="server_error" if status >= 500 else "invalid_request_error",
        code=None,
        headers=headers,
    )


def _add_success_headers(response: Response, call: Call) -> None:
    if response.status_code >= 400:
        return
    response.headers["x-ratelimit-limit-requests"] = str(RATE_LIMIT_REQUESTS)
    response.headers["x-ratelimit-remaining-requests"] = str(RATE_LIMIT_REQUESTS - 1)
    response.headers["x-ratelimit-reset-requests"] = "6ms"
    response.headers["x-ratelimit-limit-tokens"] = str(RATE_LIMIT_TOKENS)
    used = int(response.headers.get("x-conduit-estimated-tokens", "0") or 0)
    response.headers["x-ratelimit-remaining-tokens"] = str(max(0, RATE_LIMIT_TOKENS - used))
    response.headers["x-ratelimit-reset-tokens"] = duration_header(used / RATE_LIMIT_TOKENS * 60.0)
    if "x-conduit-estimated-tokens" in response.headers:
        del response.headers["x-conduit-estimated-tokens"]


async def _drop_connection(raw_send: Any) -> None:
    """Close the TCP connection with nothing sent (uvicorn: through the cycle's transport)."""
    cycle = getattr(raw_send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("drop faults need the sandbox's uvicorn server (no transport found)")
    cycle.disconnected = True
    cycle.keep_alive = False
    transport.close()
    await asyncio.sleep(0)


async def _send_then_drop(
    response: Response, after_chunks: int, scope: Any, receive: Any, send: Any, raw_send: Any
) -> None:
    """Send the headers and ``after_chunks`` body pieces, then cut the connection."""
    await send(
        {"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers}
    )
    if isinstance(response, StreamingResponse):
        sent = 0
        async for chunk in response.body_iterator:
            if sent >= after_chunks:
                break
            await send({"type": "http.response.body", "body": chunk if isinstance(chunk, bytes) else chunk.encode(), "more_body": True})
            sent += 1
    else:
        body = response.body
        await send({"type": "http.response.body", "body": body[: max(1, len(body) // 2)], "more_body": True})
    await _drop_connection(raw_send)
