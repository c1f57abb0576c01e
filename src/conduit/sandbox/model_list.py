"""GET /v1/models and /v1/models/{id}: the sandbox catalog, minus shut-down models."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from conduit.sandbox import models as _models
from conduit.sandbox.errors import model_not_found
from conduit.sandbox.http import Call

_OWNERS = {_models.TRANSCRIBE: "openai-internal", _models.TTS: "openai-internal"}


def _entry(info: _models.ModelInfo) -> dict[str, Any]:
    return {"id": info.id, "object": "model", "created": info.created, "owned_by": _OWNERS.get(info.kind, "system")}


async def list_models(call: Call) -> Response:
    today = call.today()
    data = [_entry(info) for info in _models.catalog().values() if not info.is_shut_down(today)]
    return JSONResponse({"object": "list", "data": data})


async def retrieve(call: Call) -> Response:
    model_id = call.request.path_params["model_id"]
    info = _models.resolve(model_id)
    if info is None or info.is_shut_down(call.today()):
        raise model_not_found(model_id)
    entry = _entry(info)
    if model_id.startswith("ft:"):
        entry["owned_by"] = model_id.split(":")[2] if model_id.count(":") >= 2 and model_id.split(":")[2] else "user"
    return JSONResponse(entry)
