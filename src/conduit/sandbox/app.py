"""The sandbox's ASGI application: /v1 endpoints plus the /_sandbox control API.

The control API lets another process (``conduit sandbox`` users, bench
scripts) drive the same faults, scripts and request log that
:class:`conduit.sandbox.Sandbox` exposes in Python. It needs no API key and is
never faulted or recorded.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from conduit.sandbox.faults import Fault
from conduit.sandbox.http import RAW_SEND_KEY, SIMULATION_HEADER, Endpoint, error_response
from conduit.sandbox.errors import APIError
from conduit.sandbox.script import ScriptedReply
from conduit.sandbox.state import SandboxState


def build_app(state: SandboxState) -> Any:
    """The ASGI app serving ``state`` (wrap it in uvicorn, or call it in-process)."""
    from conduit.sandbox import (
        audio_speech,
        audio_transcribe,
        chat,
        embeddings,
        images,
        model_list,
        moderations,
        responses,
    )

    def endpoint(handler: Any, *, multipart: bool = False) -> Endpoint:
        return Endpoint(state, handler, multipart=multipart)

    routes = [
        Route("/v1/chat/completions", endpoint(chat.create), methods=["POST"]),
        Route("/v1/responses", endpoint(responses.create), methods=["POST"]),
        Route("/v1/responses/{response_id}", endpoint(responses.retrieve), methods=["GET"]),
        Route("/v1/embeddings", endpoint(embeddings.create), methods=["POST"]),
        Route("/v1/moderations", endpoint(moderations.create), methods=["POST"]),
        Route("/v1/models", endpoint(model_list.list_models), methods=["GET"]),
        Route("/v1/models/{model_id:path}", endpoint(model_list.retrieve), methods=["GET"]),
        Route("/v1/images/generations", endpoint(images.generate), methods=["POST"]),
        Route("/v1/images/edits", endpoint(images.edit, multipart=True), methods=["POST"]),
        Route("/v1/audio/transcriptions", endpoint(audio_transcribe.transcribe, multipart=True), methods=["POST"]),
        Route("/v1/audio/translations", endpoint(audio_transcribe.translate, multipart=True), methods=["POST"]),
        Route("/v1/audio/speech", endpoint(audio_speech.create), methods=["POST"]),
        Route("/_sandbox/faults", _control(state, _add_faults), methods=["POST"]),
        Route("/_sandbox/faults", _control(state, _list_faults), methods=["GET"]),
        Route("/_sandbox/script", _control(state, _add_script), methods=["POST"]),
        Route("/_sandbox/requests", _control(state, _list_requests), methods=["GET"]),
        Route("/_sandbox/reset", _control(state, _reset), methods=["POST"]),
        Route("/_sandbox/files/{name}", _control(state, _file), methods=["GET"]),
        Route("/_sandbox/health", _control(state, _health), methods=["GET"]),
    ]
    app = Starlette(routes=routes)

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        message = (
            f"Invalid URL ({request.method} {request.url.path})"
            if status == 404
            else f"Method {request.method} is not allowed for {request.url.path}"
        )
        response = error_response(APIError(status, message, param=None, code=None), "req_sandbox")
        response.headers[SIMULATION_HEADER[0]] = SIMULATION_HEADER[1]
        return response

    app.add_exception_handler(404, not_found)
    app.add_exception_handler(405, not_found)

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope[RAW_SEND_KEY] = send  # the server's own send: lets faults cut the connection
        await app(scope, receive, send)

    return asgi


def _control(state: SandboxState, handler: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            payload = await handler(state, request)
        except (ValueError, TypeError) as exc:
            payload = JSONResponse({"error": {"message": str(exc), "type": "invalid_request_error", "param": None, "code": None}}, status_code=400)
        response = payload if isinstance(payload, Response) else JSONResponse(payload)
        response.headers[SIMULATION_HEADER[0]] = SIMULATION_HEADER[1]
        return response

    return endpoint


async def _json_items(request: Request, key: str) -> list[dict[str, Any]]:
    data = await request.json()
    if isinstance(data, dict) and key in data:
        data = data[key]
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(item, dict) for item in items):
        raise ValueError("expected a JSON object or a list of objects")
    return items


async def _add_faults(state: SandboxState, request: Request) -> Any:
    faults = [Fault.from_dict(item) for item in await _json_items(request, "faults")]
    for fault in faults:
        state.faults.add(fault)
    return {"added": len(faults), "faults": state.faults.snapshot()}


async def _list_faults(state: SandboxState, request: Request) -> Any:
    return {"faults": state.faults.snapshot()}


async def _add_script(state: SandboxState, request: Request) -> Any:
    replies = [ScriptedReply.from_dict(item) for item in await _json_items(request, "replies")]
    for reply in replies:
        state.scripts.add(reply)
    return {"added": len(replies), "pending": state.scripts.pending()}


async def _list_requests(state: SandboxState, request: Request) -> Any:
    return {"requests": [r.to_dict() for r in state.requests()]}


async def _reset(state: SandboxState, request: Request) -> Any:
    state.reset()
    return {"reset": True}


async def _health(state: SandboxState, request: Request) -> Any:
    return {"status": "ok", "simulation": True}


async def _file(state: SandboxState, request: Request) -> Any:
    found = state.file(request.path_params["name"])
    if found is None:
        return JSONResponse({"error": {"message": "File not found (generated files expire).", "type": "invalid_request_error", "param": None, "code": None}}, status_code=404)
    return Response(found[0], media_type=found[1])
