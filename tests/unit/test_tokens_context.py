"""Context-window checks and trimming (windows from the catalog: gpt-4 8,192; gpt-4o 128,000)."""

from __future__ import annotations

import pytest

from conduit.errors import ValidationError
from conduit.tokens import check_context, context_window, count_message_tokens, trim_to_fit


def test_context_window_from_catalog() -> None:
    assert context_window("gpt-4") == 8192
    assert context_window("gpt-4o-2024-08-06") == 128000
    assert context_window("unknown-model") is None


def test_check_context() -> None:
    check_context("gpt-4", 4000, 4192)
    with pytest.raises(ValidationError) as excinfo:
        check_context("gpt-4", 4000, 4193)
    assert "8,192" in excinfo.value.message
    check_context("unknown-model", 10**9, 10**9)


def _conversation(turns: int) -> list[dict[str, object]]:
    messages: list[dict[str, object]] = [{"role": "system", "content": "You are terse."}]
    for turn in range(turns):
        messages.append({"role": "user", "content": f"Turn {turn}: " + "word " * 300})
        messages.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": f"c{turn}", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}]})
        messages.append({"role": "tool", "tool_call_id": f"c{turn}", "content": "result " * 100})
        messages.append({"role": "assistant", "content": "ok " * 50})
    messages.append({"role": "user", "content": "Final question?"})
    return messages


def test_trim_keeps_system_latest_turn_and_tool_pairs() -> None:
    messages = _conversation(40)
    assert count_message_tokens(messages, "gpt-4") > 8192
    trimmed = trim_to_fit(messages, "gpt-4", max_output_tokens=1000)
    assert count_message_tokens(trimmed, "gpt-4") + 1000 <= 8192
    assert trimmed[0]["role"] == "system"
    assert trimmed[-1]["content"] == "Final question?"
    # every tool result still follows the assistant message that called it
    for index, message in enumerate(trimmed):
        if message["role"] == "tool":
            assert trimmed[index - 1].get("tool_calls")
    # it dropped the oldest turns only: what remains is a suffix plus the system message
    assert trimmed[1:] == messages[len(messages) - len(trimmed) + 1:]


def test_trim_returns_everything_when_it_fits() -> None:
    messages = _conversation(2)
    assert trim_to_fit(messages, "gpt-4o", max_output_tokens=1000) == messages


def test_trim_refuses_when_the_latest_turn_cannot_fit() -> None:
    messages = [{"role": "system", "content": "hi"}, {"role": "user", "content": "word " * 9000}]
    with pytest.raises(ValidationError):
        trim_to_fit(messages, "gpt-4", max_output_tokens=100)
