"""MCP tools as OpenAI function tools: names, filters, schemas.

The model sees ``server__tool`` so two servers may both offer ``search``;
OpenAI accepts function names matching ``^[a-zA-Z0-9_-]{1,64}$``, so other
characters become ``_`` and long names are shortened with a hash suffix that
keeps them unique and stable across runs. Input schemas are cleaned of what
the API rejects (non-object roots, arrays without ``items``, ``$schema``).
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from conduit.mcp.config import ServerConfig

_MAX_NAME = 64
_INVALID = re.compile(r"[^a-zA-Z0-9_-]+")
NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
SEPARATOR = "__"


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One MCP tool as conduit offers it: where it lives and what the model sees."""

    server: str
    name: str  # the tool's own name on its server
    openai_name: str  # namespaced, sanitised, unique
    description: str
    input_schema: dict[str, Any]
    sensitive: bool = False
    annotations: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)  # the definition as the server sent it

    def to_openai(self) -> dict[str, Any]:
        """The Chat Completions ``tools`` entry."""
        function: dict[str, Any] = {"name": self.openai_name, "parameters": clean_schema(self.input_schema)}
        if self.description:
            function["description"] = self.description
        return {"type": "function", "function": function}


def matches_any(name: str, patterns: tuple[str, ...]) -> bool:
    """Case-sensitive glob match (tool names are case-sensitive on the wire)."""
    return any(fnmatchcase(name, pattern) for pattern in patterns)


def is_allowed(config: ServerConfig, tool_name: str) -> bool:
    """Whether the model may ever see (and call) this tool: allow-list, then block-list."""
    if config.allow and not matches_any(tool_name, config.allow):
        return False
    return not matches_any(tool_name, config.block)


def is_sensitive(config: ServerConfig, tool_name: str) -> bool:
    return matches_any(tool_name, config.sensitive)


def _short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def _sanitise(text: str) -> str:
    cleaned = _INVALID.sub("_", text).strip("_")
    return cleaned or "tool"


def openai_tool_name(server: str, tool: str) -> str:
    """``server__tool``, within the API's name rules.

    Names that need no change keep their exact form; changed or overlong
    names get a hash of the original pair so distinct tools never collide.
    """
    plain = f"{server}{SEPARATOR}{tool}"
    if NAME_RE.match(plain):
        return plain
    base = f"{_sanitise(server)}{SEPARATOR}{_sanitise(tool)}"
    suffix = "_" + _short_hash(plain)
    return base[: _MAX_NAME - len(suffix)] + suffix


def build_specs(config: ServerConfig, tools: list[Any]) -> list[ToolSpec]:
    """ToolSpecs for the allowed tools of one server (``tools``: ``mcp.types.Tool`` objects)."""
    specs: list[ToolSpec] = []
    seen: set[str] = set()
    for tool in tools:
        if not is_allowed(config, tool.name):
            continue
        openai_name = openai_tool_name(config.name, tool.name)
        if openai_name in seen:  # two raw names sanitised alike and both valid-length: disambiguate
            openai_name = openai_name[: _MAX_NAME - 9] + "_" + _short_hash(tool.name)
        seen.add(openai_name)
        annotations = tool.annotations.model_dump(by_alias=True, exclude_none=True) if getattr(tool, "annotations", None) else {}
        specs.append(
            ToolSpec(
                server=config.name,
                name=tool.name,
                openai_name=openai_name,
                description=(tool.description or getattr(tool, "title", None) or "").strip(),
                input_schema=dict(tool.input_schema or {}),
                sensitive=is_sensitive(config, tool.name),
                annotations=annotations,
                raw=tool.model_dump(mode="json", by_alias=True, exclude_none=True),
            )
        )
    return specs


_DROP_KEYS = ("$schema", "$id")


def clean_schema(schema: dict[str, Any] | None) -> dict[str, Any]:
    """A JSON Schema the Chat Completions API accepts for function parameters.

    The root must be an object schema; ``$schema``/``$id`` are dropped; arrays
    get ``items`` when missing (the API rejects item-less arrays); a
    ``required`` list naming absent properties is trimmed. Everything else is
    kept: non-strict function calling accepts the rest of JSON Schema.
    """
    if not isinstance(schema, dict) or not schema:
        return {"type": "object", "properties": {}}
    cleaned = copy.deepcopy(schema)
    for key in _DROP_KEYS:
        cleaned.pop(key, None)
    root_type = cleaned.get("type")
    if root_type != "object":
        if any(k in cleaned for k in ("anyOf", "oneOf", "allOf", "enum", "not")) or root_type not in (None, "object"):
            # a non-object root cannot be sent: wrap it as the single argument "input"
            return {"type": "object", "properties": {"input": cleaned}, "required": ["input"]}
        cleaned["type"] = "object"
    cleaned.setdefault("properties", {})
    _fix_node(cleaned)
    required = cleaned.get("required")
    if isinstance(required, list):
        props = cleaned.get("properties") or {}
        kept = [name for name in required if name in props]
        if kept:
            cleaned["required"] = kept
        else:
            cleaned.pop("required")
    return cleaned


def _fix_node(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _fix_node(item)
        return
    if not isinstance(node, dict):
        return
    node_type = node.get("type")
    if (node_type == "array" or (isinstance(node_type, list) and "array" in node_type)) and "items" not in node:
        node["items"] = {}
    for key, value in node.items():
        if key in ("properties", "$defs", "definitions", "patternProperties") and isinstance(value, dict):
            for child in value.values():
                _fix_node(child)
        elif key in ("items", "additionalProperties", "not", "contains") and isinstance(value, dict):
            _fix_node(value)
        elif key in ("anyOf", "oneOf", "allOf", "prefixItems") and isinstance(value, list):
            _fix_node(value)
