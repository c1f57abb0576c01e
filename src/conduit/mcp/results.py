"""MCP tool results as what a chat model can read.

Chat Completions tool messages carry text only, so a result becomes one text
(text parts joined; embedded text resources inlined with their URI; binary
parts and links described) plus a list of images that the agent loop attaches
in a follow-up message. The text is capped at the server's
``max_output_bytes``: one runaway tool must not fill the context window and
the bill.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["ok", "error", "timeout", "refused"]


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image a tool returned (base64 data as sent by the server)."""

    mime_type: str
    data: str

    @property
    def data_url(self) -> str:
        return f"data:{self.mime_type};base64,{self.data}"


@dataclass(frozen=True, slots=True)
class ToolResult:
    """The outcome of one tool call, ready for a tool message.

    ``status`` is ``ok``, ``error`` (the tool or server failed: the model is
    told so and may recover), ``timeout`` or ``refused`` (policy or filters
    stopped it before it ran). ``output_bytes`` counts the full output before
    the cap, which is what the ledger records.
    """

    server: str
    tool: str
    status: Status
    text: str
    images: tuple[ImagePart, ...] = ()
    structured: Any = None
    duration_ms: float = 0.0
    output_bytes: int = 0
    truncated: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (CLI ``--json``): images as data lengths, not data."""
        return {
            "server": self.server,
            "tool": self.tool,
            "status": self.status,
            "text": self.text,
            "images": [{"mime_type": image.mime_type, "base64_chars": len(image.data)} for image in self.images],
            "structured": self.structured,
            "duration_ms": round(self.duration_ms, 3),
            "output_bytes": self.output_bytes,
            "truncated": self.truncated,
            "error": self.error,
        }


def _b64_size(data: str) -> int:
    try:
        return len(base64.b64decode(data, validate=False))
    except (binascii.Error, ValueError):
        return len(data)


def _describe_resource(resource: Any) -> str:
    uri = str(getattr(resource, "uri", ""))
    mime = getattr(resource, "mime_type", None) or "application/octet-stream"
    text = getattr(resource, "text", None)
    if text is not None:
        return f"[resource {uri} ({mime})]\n{text}"
    blob = getattr(resource, "blob", None) or ""
    return f"[binary resource {uri} ({mime}, {_b64_size(blob)} bytes) not shown]"


def render_content(content: list[Any]) -> tuple[list[str], list[ImagePart]]:
    """Texts and images from MCP content blocks, each kind handled as the model can use it."""
    texts: list[str] = []
    images: list[ImagePart] = []
    for block in content:
        kind = getattr(block, "type", None)
        if kind == "text":
            texts.append(block.text)
        elif kind == "image":
            images.append(ImagePart(mime_type=block.mime_type or "image/png", data=block.data))
            texts.append(f"[image {len(images)}: {block.mime_type}, {_b64_size(block.data)} bytes, attached separately]")
        elif kind == "audio":
            texts.append(f"[audio: {block.mime_type}, {_b64_size(block.data)} bytes, not shown]")
        elif kind == "resource":
            texts.append(_describe_resource(block.resource))
        elif kind == "resource_link":
            label = getattr(block, "title", None) or getattr(block, "name", "")
            texts.append(f"[resource link: {block.uri}" + (f" ({label})" if label else "") + "]")
        else:  # a content type newer than this client: keep its JSON rather than drop it
            dump = block.model_dump(mode="json", exclude_none=True) if hasattr(block, "model_dump") else block
            texts.append(json.dumps(dump, ensure_ascii=False))
    return texts, images


def cap_text(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut to ``limit`` UTF-8 bytes (on a character boundary), with a note saying so."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text, False
    kept = raw[:limit].decode("utf-8", errors="ignore")
    return f"{kept}\n[output truncated: {limit} of {len(raw)} bytes shown]", True


def from_call_result(server: str, tool: str, result: Any, *, duration_ms: float, max_output_bytes: int) -> ToolResult:
    """Convert an ``mcp.types.CallToolResult``."""
    texts, images = render_content(list(result.content or []))
    structured = getattr(result, "structured_content", None)
    if not texts and structured is not None:
        texts.append(json.dumps(structured, ensure_ascii=False))
    full = "\n".join(texts)
    output_bytes = len(full.encode("utf-8")) + sum(_b64_size(image.data) for image in images)
    is_error = bool(getattr(result, "is_error", False))
    body = full if full else ("(no output)" if not is_error else "(the tool reported an error without details)")
    if is_error:
        body = f"Tool error: {body}"
    capped, truncated = cap_text(body, max_output_bytes)
    return ToolResult(
        server=server,
        tool=tool,
        status="error" if is_error else "ok",
        text=capped,
        images=tuple(images),
        structured=structured,
        duration_ms=duration_ms,
        output_bytes=output_bytes,
        truncated=truncated,
        error=full[:500] if is_error else None,
    )


def failure(server: str, tool: str, status: Status, message: str, *, duration_ms: float = 0.0) -> ToolResult:
    """A result for a call that produced no tool output (timeout, crash, refusal, bad arguments)."""
    return ToolResult(
        server=server, tool=tool, status=status, text=message, duration_ms=duration_ms, output_bytes=0, error=message
    )
