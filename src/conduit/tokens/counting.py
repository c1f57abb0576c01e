"""Counting tokens of text, chat messages, tools and structured-output schemas.

Messages use OpenAI's formula from the Cookbook notebook "How to count tokens
with tiktoken" (cookbook.openai.com/examples/how_to_count_tokens_with_tiktoken):
every message costs 3 tokens of framing (4 on ``gpt-3.5-turbo-0301``) plus the
tokens of each of its values, a ``name`` adds 1 (−1 on 0301), and every reply
is primed with 3 more tokens (``<|start|>assistant<|message|>``). Tools use
the same notebook's ``num_tokens_for_tools`` method.

A growing conversation is re-counted on every turn, so each message's count
is memoised by its content: re-counting costs a dictionary lookup per old
message and real tokenisation only for new ones. Keys hold the message's own
strings (whose hashes Python caches), so a hit does not re-hash the text.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping, Sequence

from conduit.catalog.names import strip_snapshot
from conduit.tokens.encodings import get_encoding
from conduit.tokens.images import (
    ImageTokenRule,
    image_dimensions_from_data_url,
    image_input_tokens,
    image_rule_for_model,
    max_image_input_tokens,
)
from conduit.tokens.models import encoding_name_for_model

__all__ = [
    "TokenCount",
    "count_tokens",
    "count_message_tokens",
    "count_messages",
    "count_tool_tokens",
    "count_response_format_tokens",
    "count_response_input",
    "count_response_input_tokens",
    "encoding_for_model",
    "clear_count_cache",
]

REPLY_PRIMING_TOKENS = 3


@dataclass(frozen=True, slots=True)
class TokenCount:
    """A prompt's token count, with how sure we are of it.

    ``exact`` is False when part of the count is an upper bound (a remote image
    of unknown size counted at the model's maximum) or an estimate (tool calls,
    files, schemas, whose framing OpenAI does not publish). ``notes`` says which.
    """

    tokens: int
    encoding: str
    image_tokens: int = 0
    exact: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)


def encoding_for_model(model: str) -> Any:
    """The real ``tiktoken.Encoding`` for ``model``, loaded offline and verified (cached)."""
    return get_encoding(encoding_name_for_model(model))


def count_tokens(text: str, model: str) -> int:
    """Tokens in ``text`` as ``model`` tokenises it (special tokens counted as plain text)."""
    if not text:
        return 0
    return len(encoding_for_model(model).encode(text, disallowed_special=()))


# --- per-model counting profile ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Profile:
    ident: int
    encoding: str
    per_message: int
    per_name: int
    image_rule: ImageTokenRule
    model: str


_profiles: dict[tuple[str, int, int, ImageTokenRule], _Profile] = {}
_profiles_lock = threading.Lock()


@lru_cache(maxsize=1024)
def _profile(model: str) -> _Profile:
    encoding = encoding_name_for_model(model)
    # gpt-3.5-turbo-0301 framed messages differently (Cookbook: 4 per message, name -1).
    legacy = model.strip().lower().removeprefix("openai/").startswith("gpt-3.5-turbo-0301")
    per_message, per_name = (4, -1) if legacy else (3, 1)
    rule = image_rule_for_model(model)
    key = (encoding, per_message, per_name, rule)
    with _profiles_lock:
        profile = _profiles.get(key)
        if profile is None:
            profile = _Profile(len(_profiles), encoding, per_message, per_name, rule, strip_snapshot(model))
            _profiles[key] = profile
    return profile


# --- memo of per-message counts -----------------------------------------------------------


class _CountCache:
    """A bounded LRU map (thread-safe) from (profile, message key) to its count."""

    def __init__(self, maxsize: int) -> None:
        self._data: OrderedDict[Any, tuple[int, int, bool, tuple[str, ...]]] = OrderedDict()
        self._maxsize = maxsize
        self._lock = threading.Lock()

    def get(self, key: Any) -> tuple[int, int, bool, tuple[str, ...]] | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: Any, value: tuple[int, int, bool, tuple[str, ...]]) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


_message_cache = _CountCache(maxsize=32768)


def clear_count_cache() -> None:
    """Forget memoised message counts (tests and benchmarks use this to measure cold counts)."""
    _message_cache.clear()


def _freeze(value: Any) -> Any:
    """A hashable twin of a JSON-like value. Strings stay the same objects, so their cached hashes
    make re-keying a message with a large data-URL image O(structure), not O(bytes)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Mapping):
        return (dict, tuple((key, _freeze(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return (list, tuple(_freeze(item) for item in value))
    return (type(value).__name__, repr(value))


def _message_key(message: Mapping[str, Any]) -> Any:
    """A hashable key equal for equal messages; cheap when every value is a string."""
    items = tuple(message.items())
    for _, value in items:
        if value is not None and type(value) is not str:
            return _freeze(message)
    return items


# --- messages --------------------------------------------------------------------------------


def _encode_len(encoding: Any, text: str) -> int:
    return len(encoding.encode(text, disallowed_special=())) if text else 0


def _image_part_tokens(part: Mapping[str, Any], profile: _Profile, notes: list[str]) -> tuple[int, bool]:
    """(tokens, exact) for a chat ``image_url`` / Responses ``input_image`` part."""
    image = part.get("image_url", part)
    if isinstance(image, str):
        url, detail = image, part.get("detail", "auto")
    else:
        url, detail = str(image.get("url") or image.get("image_url") or ""), image.get("detail", "auto")
    detail = detail or "auto"
    dims = image_dimensions_from_data_url(url) if url.startswith("data:") else None
    if dims is not None:
        return image_input_tokens(dims[0], dims[1], detail, profile.model), True
    if profile.image_rule.scheme == "tiles" and str(detail).lower() == "low":
        return profile.image_rule.base, True
    notes.append("image of unknown size counted at the model's maximum (upper bound)")
    return max_image_input_tokens(profile.model, detail), False


def _content_tokens(
    content: Any, encoding: Any, profile: _Profile, notes: list[str]
) -> tuple[int, int, bool]:
    """(tokens, image_tokens, exact) for a message's ``content`` value."""
    if content is None:
        return 0, 0, True
    if isinstance(content, str):
        return _encode_len(encoding, content), 0, True
    if not isinstance(content, list):
        return _encode_len(encoding, json.dumps(content, separators=(",", ":"))), 0, False
    tokens = images = 0
    exact = True
    for part in content:
        if isinstance(part, str):
            tokens += _encode_len(encoding, part)
            continue
        if not isinstance(part, Mapping):
            continue
        kind = part.get("type")
        if kind in ("text", "input_text", "output_text"):
            tokens += _encode_len(encoding, str(part.get("text") or ""))
        elif kind == "refusal":
            tokens += _encode_len(encoding, str(part.get("refusal") or ""))
        elif kind in ("image_url", "input_image"):
            count, sure = _image_part_tokens(part, profile, notes)
            images += count
            exact = exact and sure
        elif kind in ("input_audio", "audio"):
            from conduit.tokens.audio import audio_part_tokens

            count, sure = audio_part_tokens(part)
            tokens += count
            if not sure:
                notes.append("audio input of unknown length estimated")
            exact = exact and sure
        else:  # file, input_file and future part types: their text is the best estimate we have
            tokens += _encode_len(encoding, json.dumps(part, separators=(",", ":"), default=str))
            notes.append(f"content part {kind!r} estimated from its JSON")
            exact = False
    return tokens + images, images, exact


def _tool_calls_tokens(tool_calls: Any, encoding: Any) -> int:
    """Assistant tool calls: name + arguments + 3 framing tokens per call (an estimate)."""
    tokens = 0
    for call in tool_calls or ():
        if not isinstance(call, Mapping):
            continue
        function = call.get("function") or call.get("custom") or {}
        tokens += 3
        tokens += _encode_len(encoding, str(function.get("name") or ""))
        tokens += _encode_len(encoding, str(function.get("arguments") or function.get("input") or ""))
    return tokens


def _count_one_message(message: Mapping[str, Any], profile: _Profile) -> tuple[int, int, bool, tuple[str, ...]]:
    encoding = get_encoding(profile.encoding)
    notes: list[str] = []
    tokens = profile.per_message
    images = 0
    exact = True
    for key, value in message.items():
        if value is None:
            continue
        if key == "content":
            count, image_count, sure = _content_tokens(value, encoding, profile, notes)
            tokens += count
            images += image_count
            exact = exact and sure
        elif key == "tool_calls":
            tokens += _tool_calls_tokens(value, encoding)
            notes.append("assistant tool calls estimated (name + arguments + 3 per call)")
            exact = False
        elif key == "function_call" and isinstance(value, Mapping):
            tokens += _tool_calls_tokens([{"function": value}], encoding)
            exact = False
        elif isinstance(value, str):
            tokens += _encode_len(encoding, value)
            if key == "name":
                tokens += profile.per_name
        else:
            tokens += _encode_len(encoding, json.dumps(value, separators=(",", ":"), default=str))
            exact = False
    return tokens, images, exact, tuple(notes)


def _message_counts(messages: Iterable[Mapping[str, Any]], profile: _Profile) -> tuple[int, int, bool, list[str]]:
    total = images = 0
    exact = True
    notes: list[str] = []
    get, put = _message_cache.get, _message_cache.put
    for message in messages:
        key = (profile.ident, _message_key(message))
        counted = get(key)
        if counted is None:
            counted = _count_one_message(message, profile)
            put(key, counted)
        total += counted[0]
        images += counted[1]
        if not counted[2]:
            exact = False
            notes.extend(n for n in counted[3] if n not in notes)
    return total, images, exact, notes


def count_messages(
    messages: Sequence[Mapping[str, Any]],
    model: str,
    tools: Sequence[Mapping[str, Any]] | None = None,
    response_format: Mapping[str, Any] | None = None,
) -> TokenCount:
    """Prompt tokens of a chat completions request, with exactness and image tokens.

    Includes the 3 reply-priming tokens, tool definitions (Cookbook method) and
    a ``response_format`` JSON schema (estimated from its compact JSON).
    """
    profile = _profile(model)
    total, images, exact, notes = _message_counts(messages, profile)
    total += REPLY_PRIMING_TOKENS
    if tools:
        tool_count = count_tool_tokens(tools, model)
        total += tool_count
    if response_format:
        total += count_response_format_tokens(response_format, model)
        if response_format.get("type") == "json_schema":
            exact = False
            notes.append("response_format schema estimated from its compact JSON")
    return TokenCount(total, profile.encoding, images, exact, tuple(notes))


def count_message_tokens(
    messages: Sequence[Mapping[str, Any]],
    model: str,
    tools: Sequence[Mapping[str, Any]] | None = None,
) -> int:
    """Prompt tokens of ``messages`` (+ ``tools``) for ``model``, by OpenAI's Cookbook formula."""
    return count_messages(messages, model, tools).tokens


# --- tools (Cookbook: num_tokens_for_tools) --------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ToolConstants:
    func_init: int
    prop_init: int
    prop_key: int
    enum_init: int
    enum_item: int
    func_end: int


# Cookbook "How to count tokens with tiktoken", section 7 (counting tokens for tool calls):
# gpt-4o / gpt-4o-mini use func_init=7, gpt-3.5-turbo / gpt-4 use func_init=10; the rest match.
_TOOLS_O200K = _ToolConstants(func_init=7, prop_init=3, prop_key=3, enum_init=-3, enum_item=3, func_end=12)
_TOOLS_CL100K = _ToolConstants(func_init=10, prop_init=3, prop_key=3, enum_init=-3, enum_item=3, func_end=12)


def _strip_period(text: str) -> str:
    return text[:-1] if text.endswith(".") else text


def _tool_key(tool: Mapping[str, Any]) -> str:
    return json.dumps(tool, sort_keys=True, separators=(",", ":"), default=str)


@lru_cache(maxsize=4096)
def _one_tool_tokens(tool_json: str, encoding_name: str) -> int:
    encoding = get_encoding(encoding_name)
    constants = _TOOLS_O200K if encoding_name == "o200k_base" else _TOOLS_CL100K
    tool = json.loads(tool_json)
    function = tool.get("function") if tool.get("type", "function") == "function" else None
    if function is None and tool.get("type") == "function" and "name" in tool:
        function = tool  # Responses API flattens the function definition into the tool
    if function is None:
        # built-in tools (web_search, file_search, custom, ...): their JSON is the best estimate
        return constants.func_init + _encode_len(encoding, tool_json)
    tokens = constants.func_init
    name = str(function.get("name") or "")
    description = _strip_period(str(function.get("description") or ""))
    tokens += _encode_len(encoding, f"{name}:{description}")
    parameters = function.get("parameters") or {}
    properties = parameters.get("properties") or {}
    if properties:
        tokens += constants.prop_init
        for key, schema in properties.items():
            tokens += constants.prop_key
            schema = schema if isinstance(schema, Mapping) else {}
            enum = schema.get("enum")
            if enum:
                tokens += constants.enum_init
                for item in enum:
                    tokens += constants.enum_item
                    tokens += _encode_len(encoding, str(item))
            p_type = schema.get("type", "")
            if isinstance(p_type, list):
                p_type = "|".join(str(t) for t in p_type)
            p_desc = _strip_period(str(schema.get("description") or ""))
            tokens += _encode_len(encoding, f"{key}:{p_type}:{p_desc}")
            # Nested schemas (objects, arrays of objects) are outside the Cookbook's method:
            # count their JSON so the estimate does not drop them.
            nested = {k: v for k, v in schema.items() if k in ("properties", "items", "anyOf", "oneOf", "allOf")}
            if nested:
                tokens += _encode_len(encoding, json.dumps(nested, separators=(",", ":"), default=str))
    return tokens


def count_tool_tokens(tools: Sequence[Mapping[str, Any]], model: str) -> int:
    """Tokens the tool definitions add to a prompt, by the Cookbook's ``num_tokens_for_tools``.

    Accepts chat-completions tools (``{"type": "function", "function": {...}}``),
    Responses tools (flattened) and legacy ``functions`` entries (``{"name": ...}``).
    """
    if not tools:
        return 0
    encoding_name = encoding_name_for_model(model)
    constants = _TOOLS_O200K if encoding_name == "o200k_base" else _TOOLS_CL100K
    total = 0
    for tool in tools:
        if "type" not in tool and "name" in tool:  # legacy `functions=[...]`
            tool = {"type": "function", "function": tool}
        total += _one_tool_tokens(_tool_key(tool), encoding_name)
    return total + constants.func_end


def count_response_format_tokens(response_format: Mapping[str, Any], model: str) -> int:
    """Tokens a ``response_format`` adds: a JSON schema's compact JSON (OpenAI publishes no formula)."""
    kind = response_format.get("type")
    if kind == "json_schema":
        schema = response_format.get("json_schema") or {}
        return count_tokens(json.dumps(schema, separators=(",", ":"), sort_keys=False), model)
    if kind == "json_object":
        return 0
    return 0


# --- Responses API -------------------------------------------------------------------------


def _response_items_as_messages(input_value: Any) -> list[Mapping[str, Any]]:
    """Turn Responses ``input`` into chat-shaped messages for the per-message formula."""
    if input_value is None:
        return []
    if isinstance(input_value, str):
        return [{"role": "user", "content": input_value}]
    messages: list[Mapping[str, Any]] = []
    for item in input_value:
        if not isinstance(item, Mapping):
            continue
        kind = item.get("type", "message")
        if kind == "message" or "role" in item:
            messages.append({"role": item.get("role", "user"), "content": item.get("content")})
        elif kind == "function_call":
            messages.append(
                {
                    "role": "assistant",
                    "tool_calls": [{"function": {"name": item.get("name"), "arguments": item.get("arguments")}}],
                }
            )
        elif kind == "function_call_output":
            output = item.get("output")
            messages.append(
                {"role": "tool", "content": output if isinstance(output, (str, list)) else json.dumps(output)}
            )
        else:  # reasoning items, item references, computer calls ...: count their JSON
            messages.append({"role": "assistant", "content": json.dumps(item, separators=(",", ":"), default=str)})
    return messages


def count_response_input(
    input: Any,
    model: str,
    instructions: str | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    text_format: Mapping[str, Any] | None = None,
) -> TokenCount:
    """Prompt tokens of a Responses API request (``input``, ``instructions``, ``tools``, ``text.format``).

    Instructions are counted as a leading developer message; items use the chat formula.
    """
    messages = _response_items_as_messages(input)
    if instructions:
        messages.insert(0, {"role": "developer", "content": instructions})
    response_format = None
    if text_format and text_format.get("type") == "json_schema":
        schema = {k: v for k, v in text_format.items() if k != "type"}
        response_format = {"type": "json_schema", "json_schema": schema}
    return count_messages(messages, model, tools, response_format)


def count_response_input_tokens(
    input: Any,
    model: str,
    instructions: str | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
) -> int:
    """Prompt tokens of a Responses API request (see :func:`count_response_input`)."""
    return count_response_input(input, model, instructions, tools).tokens
