"""MCP tools → OpenAI function tools, and results → tool message content."""

from __future__ import annotations

import base64
import re

from hypothesis import given
from hypothesis import strategies as st
from mcp.types import (
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
    BlobResourceContents,
    Tool,
)

from conduit.mcp.adapter import build_specs, clean_schema, is_allowed, openai_tool_name
from conduit.mcp.config import server_from_dict
from conduit.mcp.results import cap_text, from_call_result

NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def test_plain_names_are_kept() -> None:
    assert openai_tool_name("fs", "read_text_file") == "fs__read_text_file"
    assert openai_tool_name("ev", "get-sum") == "ev__get-sum"


@given(st.text(min_size=1, max_size=80), st.text(min_size=1, max_size=200))
def test_any_name_becomes_valid_and_stable(server: str, tool: str) -> None:
    name = openai_tool_name(server, tool)
    assert NAME.match(name)
    assert name == openai_tool_name(server, tool)


def test_distinct_tools_that_sanitise_alike_stay_distinct() -> None:
    assert openai_tool_name("s", "a.b") != openai_tool_name("s", "a b")
    long_a, long_b = "x" * 100 + "a", "x" * 100 + "b"
    assert openai_tool_name("srv", long_a) != openai_tool_name("srv", long_b)
    assert len(openai_tool_name("srv", long_a)) == 64


def test_filters() -> None:
    server = server_from_dict("s", {"command": "x", "allow": ["read_*", "list_*"], "block": ["read_secret*"]})
    assert is_allowed(server, "read_file") and is_allowed(server, "list_directory")
    assert not is_allowed(server, "write_file") and not is_allowed(server, "read_secrets")
    assert not is_allowed(server, "Read_file")  # case-sensitive, like tool names on the wire
    everything = server_from_dict("s", {"command": "x"})
    assert is_allowed(everything, "anything")


def test_build_specs_applies_filters_and_marks_sensitive() -> None:
    server = server_from_dict("fs", {"command": "x", "block": ["delete"], "sensitive": ["write_*"]})
    tools = [
        Tool(name="read", description="Read.", input_schema={"type": "object", "properties": {"p": {"type": "string"}}}),
        Tool(name="write_file", input_schema={"type": "object"}),
        Tool(name="delete", input_schema={"type": "object"}),
    ]
    specs = build_specs(server, tools)
    assert [s.openai_name for s in specs] == ["fs__read", "fs__write_file"]
    assert [s.sensitive for s in specs] == [False, True]
    assert specs[0].to_openai() == {
        "type": "function",
        "function": {"name": "fs__read", "description": "Read.", "parameters": {"type": "object", "properties": {"p": {"type": "string"}}}},
    }


def test_clean_schema() -> None:
    assert clean_schema({}) == {"type": "object", "properties": {}}
    assert clean_schema(None) == {"type": "object", "properties": {}}
    cleaned = clean_schema(
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {"tags": {"type": "array"}, "nested": {"type": "object", "properties": {"xs": {"type": ["array", "null"]}}}},
            "required": ["tags", "ghost"],
        }
    )
    assert "$schema" not in cleaned
    assert cleaned["properties"]["tags"]["items"] == {}
    assert cleaned["properties"]["nested"]["properties"]["xs"]["items"] == {}
    assert cleaned["required"] == ["tags"]
    wrapped = clean_schema({"anyOf": [{"type": "string"}, {"type": "number"}]})
    assert wrapped["type"] == "object" and wrapped["required"] == ["input"]
    untyped = clean_schema({"properties": {"a": {"type": "string"}}})
    assert untyped["type"] == "object"


def _png() -> str:
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 10).decode()


def test_results_render_every_content_kind() -> None:
    result = CallToolResult(
        content=[
            TextContent(type="text", text="hello"),
            ImageContent(type="image", data=_png(), mime_type="image/png"),
            EmbeddedResource(type="resource", resource=TextResourceContents(uri="file:///a.txt", mime_type="text/plain", text="inside")),
            EmbeddedResource(type="resource", resource=BlobResourceContents(uri="file:///b.bin", blob=base64.b64encode(b"abc").decode())),
            ResourceLink(type="resource_link", uri="file:///c.md", name="c.md"),
        ]
    )
    converted = from_call_result("s", "t", result, duration_ms=1.0, max_output_bytes=10_000)
    assert converted.status == "ok"
    lines = converted.text.splitlines()
    assert lines[0] == "hello"
    assert lines[1].startswith("[image 1: image/png, 18 bytes")
    assert "[resource file:///a.txt (text/plain)]" in converted.text and "inside" in converted.text
    assert "[binary resource file:///b.bin (application/octet-stream, 3 bytes) not shown]" in converted.text
    assert "[resource link: file:///c.md (c.md)]" in converted.text
    assert len(converted.images) == 1


def test_error_and_structured_results() -> None:
    error = from_call_result("s", "t", CallToolResult(content=[TextContent(type="text", text="nope")], is_error=True), duration_ms=0, max_output_bytes=1000)
    assert error.status == "error" and error.text == "Tool error: nope" and error.error == "nope"
    structured = from_call_result("s", "t", CallToolResult(content=[], structured_content={"a": 1}), duration_ms=0, max_output_bytes=1000)
    assert structured.text == '{"a": 1}'
    empty = from_call_result("s", "t", CallToolResult(content=[]), duration_ms=0, max_output_bytes=1000)
    assert empty.text == "(no output)"


@given(st.text(max_size=400), st.integers(min_value=1, max_value=300))
def test_cap_text_never_exceeds_limit_plus_note(text: str, limit: int) -> None:
    capped, truncated = cap_text(text, limit)
    if not truncated:
        assert capped == text
    else:
        body = capped.rsplit("\n[output truncated", 1)[0]
        assert len(body.encode("utf-8")) <= limit and text.startswith(body)


def test_annotations_keep_wire_names_for_the_tool_policy() -> None:
    from mcp.types import ToolAnnotations

    from conduit.guard.untrusted import Taint, ToolCallRequest, ToolPolicy

    server = server_from_dict("s", {"command": "x"})
    tool = Tool(name="lookup", input_schema={"type": "object"}, annotations=ToolAnnotations(destructive_hint=True))
    spec = build_specs(server, [tool])[0]
    assert spec.annotations == {"destructiveHint": True}
    taint = Taint()
    taint.add("tool", "s/other")
    request = ToolCallRequest(name=spec.name, server=spec.server, annotations=spec.annotations)
    assert ToolPolicy().decide(request, taint).allowed is False  # destructive + tainted: needs approval
