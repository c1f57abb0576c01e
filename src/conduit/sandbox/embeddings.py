"""POST /v1/embeddings: deterministic unit vectors (hash-seeded), real token usage.

Same text → same vector, so similarity tests are reproducible; vectors are
L2-normalised like OpenAI's, ``dimensions`` shortens them (text-embedding-3
only), and ``encoding_format: base64`` packs little-endian float32 as the SDK
expects (the SDK asks for base64 by default).
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
import struct
from functools import lru_cache
from typing import Any

from starlette.responses import JSONResponse, Response

from conduit.sandbox import models as _models
from conduit.sandbox.counting import count_text
from conduit.sandbox.errors import invalid, missing
from conduit.sandbox.http import Call
from conduit.sandbox.validate import check_enum, check_params, check_range

PARAMS = {"model": "string", "input": "string|array", "encoding_format": "string", "dimensions": "integer", "user": "string"}
NATIVE_DIMENSIONS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
MAX_INPUT_TOKENS = 8192
MAX_INPUTS = 2048
MAX_REQUEST_TOKENS = 300_000


async def create(call: Call) -> Response:
    body = call.body
    info = call.resolve_model((_models.EMBEDDING,), endpoint="v1/embeddings")
    model: str = body["model"]
    check_params(body, PARAMS)
    if body.get("input") is None:
        raise missing("input")
    check_enum(body.get("encoding_format"), "encoding_format", ("float", "base64"))
    native = NATIVE_DIMENSIONS[info.family_id]
    dimensions = body.get("dimensions")
    if dimensions is not None:
        if info.family_id == "text-embedding-ada-002":
            raise invalid("This model does not support specifying dimensions.", "dimensions")
        check_range(dimensions, "dimensions", minimum=1, maximum=native, integer=True)
    inputs = _inputs(body["input"])
    counts = [len(item) if isinstance(item, list) else count_text(item, model) for item in inputs]
    for tokens in counts:
        if tokens > MAX_INPUT_TOKENS:
            raise invalid(
                f"This model's maximum context length is {MAX_INPUT_TOKENS} tokens, however you requested {tokens} "
                f"tokens ({tokens} in your prompt; 0 for the completion). Please reduce your prompt; or completion "
                "length.",
                None,
            )
    if sum(counts) > MAX_REQUEST_TOKENS:
        raise invalid(
            f"Requested {sum(counts)} tokens, max {MAX_REQUEST_TOKENS} tokens per request", "input", "max_tokens_per_request"
        )
    size = dimensions or native
    base64_format = body.get("encoding_format") == "base64"
    data = []
    for index, item in enumerate(inputs):
        vector = vector_for(model if not info.base else info.family_id, repr(item), size)
        encoded: Any = base64.b64encode(struct.pack(f"<{size}f", *vector)).decode() if base64_format else list(vector)
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    total = sum(counts)
    return JSONResponse(
        {"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": total, "total_tokens": total}},
        headers={"x-conduit-estimated-tokens": str(total)},
    )


def _inputs(value: Any) -> list[Any]:
    """Normalise ``input`` (string, strings, token ids, lists of token ids), rejecting empties like OpenAI."""
    bad = invalid(
        "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", None
    )
    if isinstance(value, str):
        if not value:
            raise bad
        return [value]
    if not isinstance(value, list) or not value or len(value) > MAX_INPUTS:
        raise bad
    if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return [value]
    for item in value:
        if isinstance(item, str):
            if not item:
                raise bad
        elif isinstance(item, list):
            if not item or not all(isinstance(v, int) and not isinstance(v, bool) for v in item):
                raise bad
        else:
            raise bad
    return list(value)


@lru_cache(maxsize=4096)
def vector_for(model: str, text: str, size: int) -> tuple[float, ...]:
    """A unit vector seeded by (model, text); shortened vectors are renormalised, as OpenAI's are."""
    seed = int.from_bytes(hashlib.sha256(f"{model}\x00{text}".encode()).digest()[:8], "big")
    rng = random.Random(seed)
    values = [rng.gauss(0.0, 1.0) for _ in range(size)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return tuple(v / norm for v in values)
