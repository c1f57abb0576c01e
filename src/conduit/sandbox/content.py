"""Deterministic simulated output: answers, JSON that fits a schema, ids, vectors.

Everything is derived from the request (hashes, not randomness), so the same
request always gets the same answer and tests can assert on it, and every
default answer says plainly that it is a simulation.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

SIMULATION_NOTE = "conduit sandbox simulation: no real model was called."


def digest(*parts: Any) -> str:
    data = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(data).hexdigest()


def make_id(prefix: str, *parts: Any, length: int = 24) -> str:
    return f"{prefix}{digest(*parts)[:length]}"


def text_of(content: Any) -> str:
    """The plain text of a message's ``content`` (string or list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, dict):
                value = part.get("text")
                if isinstance(value, str):
                    texts.append(value)
                elif part.get("type") in ("image_url", "input_image"):
                    texts.append("[image]")
                elif part.get("type") in ("input_audio",):
                    texts.append("[audio]")
                elif part.get("type") in ("file", "input_file"):
                    texts.append("[file]")
        return " ".join(texts)
    return ""


def snippet(text: str, limit: int = 80) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def default_answer(model: str, prompt: str, index: int = 0) -> str:
    """The unscripted reply: names the model, quotes the prompt, says it is simulated."""
    prefix = f"(choice {index + 1}) " if index else ""
    quoted = snippet(prompt) or "(empty prompt)"
    return (
        f"{prefix}This is a simulated reply from {model} in the conduit sandbox; no real model was called. "
        f"You said: \"{quoted}\". Reference {digest(model, prompt, index)[:8]}."
    )


def json_object_answer(model: str, prompt: str, index: int = 0) -> str:
    return json.dumps(
        {"simulation": True, "model": model, "answer": default_answer(model, prompt, index)}, ensure_ascii=False
    )


def instance_for_schema(schema: Any, root: Any | None = None, depth: int = 0, budget: list[int] | None = None) -> Any:
    """A small JSON value that validates against ``schema`` (the subset structured outputs allow).

    Schemas come from requests, so the work is bounded (depth, array sizes and
    a total node budget) -- a hostile schema cannot stall the server.
    """
    root = schema if root is None else root
    budget = [2000] if budget is None else budget
    budget[0] -= 1
    if not isinstance(schema, dict) or depth > 12 or budget[0] <= 0:
        return None
    if isinstance(schema.get("$ref"), str):
        target: Any = root
        for piece in schema["$ref"].lstrip("#/").split("/"):
            target = target.get(piece, {}) if isinstance(target, dict) else {}
        return instance_for_schema(target, root, depth + 1, budget)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            options = schema[key]
            non_null = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
            return instance_for_schema((non_null or options)[0], root, depth + 1, budget)
    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [k for k in kind if k != "null"]
        kind = non_null[0] if non_null else "null"
    if kind == "object" or (kind is None and "properties" in schema):
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        required = schema.get("required", list(properties))
        if not isinstance(required, list):
            required = list(properties)
        return {
            str(name): instance_for_schema(properties.get(name, {}), root, depth + 1, budget)
            for name in required[:64]
            if isinstance(name, str)
        }
    if kind == "array":
        count = min(_int(schema.get("minItems", 1)), 8)  # schemas are untrusted input: bound the work
        return [instance_for_schema(schema.get("items", {}), root, depth + 1, budget) for _ in range(count)]
    if kind == "string":
        value = "simulated"
        if schema.get("format") == "date-time":
            value = "2025-01-01T00:00:00Z"
        elif schema.get("format") == "date":
            value = "2025-01-01"
        elif schema.get("format") == "email":
            value = "sandbox@example.com"
        value = value.ljust(min(_int(schema.get("minLength", 0)), 4096), "x")
        if "maxLength" in schema:
            value = value[: _int(schema["maxLength"])]
        return value
    if kind in ("integer", "number"):
        value = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            value = 0
        if "exclusiveMinimum" in schema and "minimum" not in schema:
            value = value + 1
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return "simulated"


def words(text: str) -> list[str]:
    """Streaming pieces: each word with its leading whitespace (concatenation == text)."""
    pieces = re.findall(r"\s*\S+", text)
    tail = text[len("".join(pieces)) :]
    if tail:
        pieces.append(tail)
    return pieces or ([text] if text else [])


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
