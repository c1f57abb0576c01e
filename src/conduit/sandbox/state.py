"""Everything the running sandbox remembers: faults, scripts, the request log.

One :class:`SandboxState` is shared by the server thread and the test thread
(``Sandbox.inject`` / ``script`` / ``requests``), and by the HTTP control API,
so every mutation goes through a lock.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any

from conduit.sandbox.faults import FaultBook
from conduit.sandbox.prompt_cache import PromptCache
from conduit.sandbox.script import ScriptQueue

_REDACTED_HEADERS = ("authorization", "api-key", "openai-api-key", "x-api-key")


@dataclass
class RecordedRequest:
    """One request as the sandbox received it (secrets redacted, file bytes dropped).

    ``json`` is the parsed JSON body (None for multipart or non-JSON);
    ``form`` holds multipart fields, with each file replaced by
    ``{"filename", "size", "content_type"}``. ``status`` is the status the
    sandbox answered with (None if the connection was dropped) and ``fault``
    the injected fault kind that hit it, if any.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, Any] | None = None
    body_size: int = 0
    model: str | None = None
    status: int | None = None
    fault: str | None = None
    time: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def body(self) -> Any:
        """The JSON body, or the multipart fields: whichever the request had."""
        return self.json if self.json is not None else self.form


def redact_headers(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Header dict with credentials masked (only the key's first 8 chars kept, for debugging)."""
    result: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        if lower in _REDACTED_HEADERS:
            scheme, _, token = value.partition(" ")
            token = token or scheme
            value = (f"{scheme} " if scheme != token else "") + (token[:8] + "…[redacted]" if token else "")
        result[lower] = value
    return result


class SandboxState:
    """Shared mutable state of one sandbox instance."""

    def __init__(self, *, api_key: str, as_of: _dt.date | None = None, seed: int = 0) -> None:
        self.api_key = api_key
        self.as_of = as_of
        self.seed = seed
        self.faults = FaultBook()
        self.scripts = ScriptQueue()
        self.prompt_cache = PromptCache()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._files: "OrderedDict[str, tuple[bytes, str]]" = OrderedDict()
        self._responses: "OrderedDict[str, tuple[dict[str, Any], list[dict[str, Any]]]]" = OrderedDict()

    def store_response(self, payload: dict[str, Any], conversation: list[dict[str, Any]], limit: int = 2000) -> None:
        """Keep a Responses API result (and its conversation) for ``previous_response_id``."""
        with self._lock:
            self._responses[payload["id"]] = (payload, conversation)
            while len(self._responses) > limit:
                self._responses.popitem(last=False)

    def store_file(self, name: str, data: bytes, content_type: str, limit: int = 64) -> None:
        """Keep a generated file (image URLs point at ``/_sandbox/files/NAME``); oldest dropped first."""
        with self._lock:
            self._files[name] = (data, content_type)
            while len(self._files) > limit:
                self._files.popitem(last=False)

    def file(self, name: str) -> tuple[bytes, str] | None:
        with self._lock:
            return self._files.get(name)

    def stored_response(self, response_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        with self._lock:
            return self._responses.get(response_id)

    def next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        self.faults.clear()
        self.scripts.clear()
        self.prompt_cache.clear()
        with self._lock:
            self._requests.clear()
            self._responses.clear()
            self._files.clear()
