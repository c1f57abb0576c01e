"""Scripted replies: deterministic model output for reproducible agent tests.

Tests queue :class:`ScriptedReply` objects; each chat completion, response or
transcription consumes the first queued reply that fits it (optional ``model``
and ``path`` filters), in order. Parallel tool calls are several entries in one
reply's ``tool_calls``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ScriptedReply:
    """One canned answer.

    ``tool_calls`` items are ``{"name": ..., "arguments": dict | str}`` with an
    optional ``"id"`` (generated deterministically when absent). ``content`` is
    the assistant text (or the transcript, for audio endpoints). ``refusal``
    makes the model refuse. ``finish_reason`` overrides the computed one.
    ``reasoning_tokens`` overrides the simulated reasoning effort.
    """

    content: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    model: str | None = None
    path: str | None = None
    refusal: str | None = None
    finish_reason: str | None = None
    reasoning_tokens: int | None = None

    def __post_init__(self) -> None:
        normalised = []
        for call in self.tool_calls or []:
            if "name" not in call:
                raise ValueError(f"scripted tool call needs a 'name': {call!r}")
            arguments = call.get("arguments", {})
            if not isinstance(arguments, str):
                arguments = json.dumps(arguments, ensure_ascii=False)
            normalised.append({"name": call["name"], "arguments": arguments, "id": call.get("id")})
        self.tool_calls = normalised
        if self.path is not None and not self.path.startswith("/"):
            self.path = "/" + self.path

    def fits(self, path: str, model: str | None) -> bool:
        if self.model is not None and self.model != model:
            return False
        return self.path is None or path in (self.path, "/v1" + self.path)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ScriptedReply":
        allowed = {"content", "tool_calls", "model", "path", "refusal", "finish_reason", "reasoning_tokens"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown scripted reply field(s): {', '.join(sorted(unknown))}")
        return cls(**data)


class ScriptQueue:
    """FIFO of scripted replies, shared between the test thread and the server."""

    def __init__(self) -> None:
        self._replies: list[ScriptedReply] = []
        self._lock = threading.Lock()

    def add(self, reply: ScriptedReply) -> None:
        with self._lock:
            self._replies.append(reply)

    def clear(self) -> None:
        with self._lock:
            self._replies.clear()

    def take(self, path: str, model: str | None) -> ScriptedReply | None:
        with self._lock:
            for index, reply in enumerate(self._replies):
                if reply.fits(path, model):
                    return self._replies.pop(index)
        return None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_dict() for r in self._replies]
