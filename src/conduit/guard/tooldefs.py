"""Scan MCP tool definitions for poisoning, and fingerprint them for pinning.

A tool definition is text the model reads as trusted guidance, written by
whoever runs the server. Attacks hide there (Invariant Labs' tool poisoning,
CyberArk's "full-schema poisoning", rug pulls, shadowing): instructions in
the description, in parameter descriptions, in parameter *names*, enum
values, defaults, ``required`` entries or non-standard schema keys. So the
scanner walks **every string** of the definition, keys included, and runs
the injection screen (as untrusted tool text) plus checks specific to tool
definitions: references to other tools, exfiltration URLs, secret-file
paths, invisible characters and schema anomalies.

``tool_fingerprint`` is the pin: sha256 over a canonical JSON of name,
description, inputSchema and annotations, so a change to any of them (a rug
pull, including schema-only changes) yields a different pin.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from conduit.guard import injection as _injection
from conduit.guard import unicode as _unicode

__all__ = ["Finding", "scan_tool", "scan_tools", "tool_fingerprint", "diff_tools", "SEVERITY_ORDER"]

Severity = Literal["low", "medium", "high", "critical"]
SEVERITY_ORDER: dict[str, int] = {"low": 1, "medium": 2, "high": 3, "critical": 4}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in one tool definition. ``path`` says where (JSON-pointer-like)."""

    server: str
    tool: str
    severity: Severity
    code: str
    message: str
    path: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "server": self.server, "tool": self.tool, "severity": self.severity,
            "code": self.code, "message": self.message, "path": self.path,
        }  # fmt: skip


def tool_fingerprint(tool: Mapping[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of name, description, inputSchema, annotations.

    Canonical: sorted keys, no insignificant whitespace, UTF-8, absent fields
    as null. Accepts MCP's camelCase ``inputSchema`` or ``input_schema``.
    """
    canonical = {
        "name": tool.get("name"),
        "description": tool.get("description"),
        "inputSchema": tool.get("inputSchema", tool.get("input_schema")),
        "annotations": tool.get("annotations"),
    }
    payload = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def diff_tools(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Which pinned fields changed between two versions (for a rug-pull message)."""
    changed = []
    for key in ("name", "description", "inputSchema", "annotations"):
        if json.dumps(old.get(key), sort_keys=True, default=str) != json.dumps(new.get(key), sort_keys=True, default=str):
            changed.append(key)
    return changed


# ---------------------------------------------------------------- walking

_JSON_SCHEMA_TYPES = {"string", "number", "integer", "boolean", "object", "array", "null"}
# keywords of JSON Schema (2020-12 + draft-07) and common annotations; anything else carrying text is suspect
_SCHEMA_KEYWORDS = {
    "$schema", "$id", "$ref", "$defs", "$comment", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary",
    "definitions", "type", "properties", "required", "additionalProperties", "items", "prefixItems", "enum",
    "const", "default", "description", "title", "examples", "format", "pattern", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems",
    "uniqueItems", "minProperties", "maxProperties", "patternProperties", "propertyNames", "dependentRequired",
    "dependentSchemas", "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "contains", "minContains",
    "maxContains", "unevaluatedItems", "unevaluatedProperties", "contentEncoding", "contentMediaType",
    "contentSchema", "deprecated", "readOnly", "writeOnly", "nullable", "discriminator", "x-order",
}  # fmt: skip


def _walk(value: Any, path: str) -> Iterator[tuple[str, str, str]]:
    """(path, role, text) for every string in a schema; role is key|value."""
    if isinstance(value, str):
        yield path, "value", value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            key_text = str(key)
            yield f"{path}/{key_text}", "key", key_text
            yield from _walk(item, f"{path}/{key_text}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}/{index}")


# ---------------------------------------------------------------- checks

_SECRET_WORDS = re.compile(
    r"(?:ssh|id_rsa|id_ed25519|private_?key|passw(?:or)?d|credential|secret|token|api_?key|env(?:iron(?:ment)?)?|"
    r"bashrc|zshrc|netrc|cookie|session|conversation|history|system_?prompt|cwd|home_?dir)",
    re.IGNORECASE,
)
_HIDDEN_MARKUP = re.compile(
    r"<\s*/?\s*(?i:important|hidden|system|secret|instructions?|note|admin|critical)\s*>|"
    r"\b(?:IMPORTANT|SYSTEM|MAINTAINER|SECURITY|ADMIN|MANDATORY|CRITICAL)\s+(?:NOTE|INSTRUCTION|UPDATE|REQUIREMENT)S?\b|"
    r"^\s*(?:MANDATORY|IMPORTANT|REQUIRED|PREFERRED TOOL)\s*[:(]",
    re.MULTILINE,
)
_SHADOW_PHRASES = re.compile(
    r"\b(?:supersedes?|instead of|rather than|replaces?|overrides?|preferred tool|always (?:call|use) this|"
    r"(?:call|use|invoke) this (?:tool )?(?:first|before|instead)|when (?:using|calling) (?:any|other|the \w+) tools?|"
    r"if both tools are available|before (?:performing|using|calling) any|every time a tool is used|"
    r"after any (?:action|tool)|for any request|en lugar de|reemplaza a)\b",
    re.IGNORECASE,
)
_URL = re.compile(r"\b(?:https?|wss?|ftp)://[^\s\"'<>)]+", re.IGNORECASE)
_FUNCTION_REF = re.compile(r"\b([a-z_][a-z0-9_]{2,})\(\)", re.IGNORECASE)
_TOOL_WORD_REF = re.compile(r"\b(?:the\s+)?`?([a-z_][a-z0-9_]{2,})`?\s+tool\b", re.IGNORECASE)
_LONG_NAME_WORDS = 5
# tool descriptions are imperative by nature ("Get the weather for a city.")
_NORMAL_IN_TOOL_TEXT = frozenset({"imperative_line"})


def _severity_for(score: float) -> Severity | None:
    if score >= 0.85:
        return "critical"
    if score >= 0.6:
        return "high"
    if score >= 0.35:
        return "medium"
    return None


def _tool_names(other_tools: Iterable[Any]) -> dict[str, str]:
    """name -> server for the other tools (dicts with name/server, or (server, tool) pairs)."""
    names: dict[str, str] = {}
    for item in other_tools:
        if isinstance(item, tuple) and len(item) == 2:
            server, tool = item
        elif isinstance(item, Mapping):
            tool = item.get("tool", item)
            server = item.get("server", "")
        else:
            continue
        if isinstance(tool, Mapping) and isinstance(tool.get("name"), str):
            names[tool["name"]] = str(server or "")
    return names


def scan_tool(server: str, tool: Mapping[str, Any], other_tools: Iterable[Any] = ()) -> list[Finding]:
    """Findings for one tool definition, most severe first.

    ``other_tools`` are the other tools visible to the same model (as
    ``{"server": ..., "tool": {...}}`` dicts, ``(server, tool)`` pairs, or bare
    tool dicts); they make shadowing and name collisions detectable.
    """
    name = str(tool.get("name", ""))
    findings: list[Finding] = []

    def add(severity: Severity, code: str, message: str, path: str = "") -> None:
        findings.append(Finding(server, name, severity, code, message, path))

    others = _tool_names(other_tools)
    others.pop(name, None) if others.get(name) == server else None
    schema = tool.get("inputSchema", tool.get("input_schema")) or {}
    texts: list[tuple[str, str, str]] = [("/name", "value", name)]
    if isinstance(tool.get("description"), str):
        texts.append(("/description", "value", tool["description"]))
    texts.extend(_walk(schema, "/inputSchema"))
    if isinstance(tool.get("annotations"), Mapping):
        texts.extend((p, r, t) for p, r, t in _walk(tool["annotations"], "/annotations") if p.endswith("/title"))

    for path, role, text in texts:
        _check_text(path, role, text, name, others, server, add)
    if isinstance(schema, Mapping):
        _check_schema(schema, "/inputSchema", add)
    # same name offered by another server: the model cannot tell them apart
    for other_name, other_server in others.items():
        if other_name == name and other_server != server:
            add("medium", "name_collision", f"tool name {name!r} is also offered by server {other_server!r}; namespace both", "/name")
    return _dedupe(findings)


def _check_text(path: str, role: str, text: str, name: str, others: dict[str, str], server: str, add: Any) -> None:
    if not text:
        return
    _, invisible = _unicode.sanitize(text)
    for finding in invisible:
        severity: Severity = "critical" if finding.kind in ("tag", "bidi") else "high"
        add(severity, "invisible_characters", _unicode.describe(finding), path)
    prose = text.replace("_", " ") if role == "key" or path.endswith("/name") or "/enum/" in path or "/required/" in path else text
    verdict = _injection.screen(prose, "tool", ignore=_NORMAL_IN_TOOL_TEXT)
    severity = _severity_for(verdict.score)
    if severity:
        top = "; ".join(f"{r.code}: {r.detail}" for r in verdict.reasons[:3])
        add(severity, "hidden_instructions", f"injection score {verdict.score:.2f} ({top})", path)
    for match in _HIDDEN_MARKUP.finditer(text):
        add("high", "hidden_markup", f"instruction markup {match.group(0).strip()!r} in a tool definition", path)
    for match in _URL.finditer(text):
        add("high", "exfiltration_url", f"URL {match.group(0)[:80]!r} in a tool definition (a destination the model may be told to send data to)", path)
    for match in _SHADOW_PHRASES.finditer(text):
        add("high", "shadowing", f"claims precedence over or conditions other tools: {match.group(0)!r}", path)
    referenced = {m.group(1) for m in _FUNCTION_REF.finditer(text)} | {m.group(1) for m in _TOOL_WORD_REF.finditer(text)}
    for ref in sorted(referenced):
        if ref == name:
            continue
        if ref in others:
            where = f" on server {others[ref]!r}" if others[ref] and others[ref] != server else ""
            add("high", "cross_tool_reference", f"refers to another tool {ref!r}{where}", path)
        elif _FUNCTION_REF.search(text) and ref in {m.group(1) for m in _FUNCTION_REF.finditer(text)}:
            add("medium", "cross_tool_reference", f"refers to a function {ref + '()'!r} that is not this tool", path)
    if role == "key" and path.count("/properties/") and path.rsplit("/", 2)[-2] == "properties":
        words = [w for w in re.split(r"[_\-\s]+|(?<=[a-z])(?=[A-Z])", text) if w]
        if len(words) >= _LONG_NAME_WORDS or (len(words) >= 3 and _SECRET_WORDS.search(text)):
            add("high", "suspicious_parameter_name", f"parameter name {text!r} reads like an instruction", path)
        elif _SECRET_WORDS.search(text) and text.lower() not in {"token", "session_id", "api_key"}:
            add("medium", "sensitive_parameter", f"parameter {text!r} asks for secrets or private context", path)
    if "/enum/" in path and _SECRET_WORDS.search(text) and len(text.split("_")) >= 3:
        add("high", "suspicious_enum", f"enum value {text!r} asks for secrets", path)
    if path.endswith("/description") and "/properties/" in path and _SECRET_WORDS.search(text) and re.search(
        r"\b(?:environment|env dict|host|credentials|private|history|system prompt|conversation)\b", text, re.IGNORECASE
    ):
        add("medium", "sensitive_parameter", f"parameter description asks for private context: {text[:80]!r}", path)


def _check_schema(schema: Mapping[str, Any], path: str, add: Any) -> None:
    props = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
    required = schema.get("required")
    if isinstance(required, list):
        for index, item in enumerate(required):
            if isinstance(item, str) and props is not None and item not in props:
                severity: Severity = "high" if (" " in item or len(item) > 40) else "medium"
                add(severity, "schema_anomaly", f"'required' lists {item[:80]!r}, which is not a parameter", f"{path}/required/{index}")
    for key, sub in (props or {}).items():
        sub_path = f"{path}/properties/{key}"
        if not isinstance(sub, Mapping):
            continue
        kind = sub.get("type")
        kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
        for item in kinds:
            if isinstance(item, str) and item not in _JSON_SCHEMA_TYPES:
                add("high", "schema_anomaly", f"parameter {key!r} has invalid type {item[:80]!r}", f"{sub_path}/type")
        for extra, value in sub.items():
            if extra not in _SCHEMA_KEYWORDS and not str(extra).startswith("x-") and isinstance(value, str) and value.strip():
                add("high", "schema_anomaly", f"non-standard key {extra!r} carries text: {value[:80]!r}", f"{sub_path}/{extra}")
        if isinstance(sub.get("properties"), Mapping):
            _check_schema(sub, sub_path, add)
        if isinstance(sub.get("items"), Mapping):
            _check_schema(sub["items"], f"{sub_path}/items", add)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, str]] = set()
    unique: list[Finding] = []
    for finding in sorted(findings, key=lambda f: -SEVERITY_ORDER[f.severity]):
        key = (finding.code, finding.path, finding.message)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique


def scan_tools(tools_by_server: Mapping[str, Iterable[Mapping[str, Any]]]) -> list[Finding]:
    """Scan every tool of every server against all the others (shadowing, collisions)."""
    everything = [{"server": server, "tool": tool} for server, tools in tools_by_server.items() for tool in tools]
    findings: list[Finding] = []
    for entry in everything:
        others = [e for e in everything if e is not entry]
        findings.extend(scan_tool(entry["server"], entry["tool"], others))
    return findings
