"""`conduit models`, `conduit tokens count` and `conduit price` as a user runs them.

Expected numbers: [COOKBOOK] OpenAI Cookbook "How to count tokens with tiktoken" (sections 3, 6, 7);
[PRICING] https://platform.openai.com/docs/pricing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conduit.cli.app import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conduit.settings import get_settings

    monkeypatch.setenv("CONDUIT_CONFIG", str(tmp_path / "absent.toml"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _json(args: list[str]) -> object:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_models_json_lists_catalog_with_status_and_prices() -> None:
    rows = _json(["models", "--json"])
    assert isinstance(rows, list)
    by_name = {row["name"]: row for row in rows}
    assert by_name["dall-e-3"]["status"] in {"retired"}
    assert by_name["dall-e-3"]["successor"] == "gpt-image-2.5-sunburst"
    assert by_name["dall-e-3"]["prices"]["per_image[1024x1024/standard]"] == "0.04"  # [PRICING] DALL·E 3
    assert by_name["gpt-4o"]["prices"]["input_mtok"] == "2.5"  # [PRICING] gpt-4o $2.50 / 1M
    assert by_name["gpt-4o"]["context_window"] == 128000
    assert by_name["whisper-1"]["prices"]["per_minute"] == "0.006"  # [PRICING] whisper $0.006 / min


def test_models_table_filters_by_kind() -> None:
    result = runner.invoke(app, ["models", "--kind", "speech"])
    assert result.exit_code == 0, result.output
    assert "tts-1-hd" in result.output and "gpt-4o-mini-tts" in result.output
    assert "gpt-4o-mini " not in result.output
    assert "/1M chars" in result.output


def test_models_rejects_unknown_kind() -> None:
    result = runner.invoke(app, ["models", "--kind", "video"])
    assert result.exit_code != 0


def test_tokens_count_text_json() -> None:
    data = _json(["tokens", "count", "--model", "gpt-4o", "--text", "tiktoken is great!", "--json"])
    assert data["tokens"] == 6  # [COOKBOOK] section 3
    assert data["encoding"] == "o200k_base"
    assert data["cost_usd"] == "0.000015"  # 6 x $2.50 / 1M [PRICING]


def test_tokens_count_messages_and_tools_files(tmp_path: Path) -> None:
    messages = tmp_path / "messages.json"
    messages.write_text(json.dumps([
        {"role": "system", "content": "You are a helpful assistant that can answer to questions about the weather."},
        {"role": "user", "content": "What's the weather like in San Francisco?"},
    ]))
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps([{"type": "function", "function": {
        "name": "get_current_weather", "description": "Get the current weather in a given location",
        "parameters": {"type": "object", "properties": {
            "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
            "unit": {"type": "string", "description": "The unit of temperature to return",
                     "enum": ["celsius", "fahrenheit"]}}, "required": ["location"]}}}]))
    data = _json(["tokens", "count", "--model", "gpt-4o", "--messages", str(messages), "--tools", str(tools),
                  "--json"])
    assert data["tokens"] == 101  # [COOKBOOK] section 7: gpt-4o with the weather tool
    data = _json(["tokens", "count", "--model", "gpt-4", "--messages", str(messages), "--tools", str(tools),
                  "--json"])
    assert data["tokens"] == 105  # [COOKBOOK] section 7: gpt-4
    assert data["encoding"] == "cl100k_base"


def test_tokens_count_file(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("お誕生日おめでとう", encoding="utf-8")
    data = _json(["tokens", "count", "--model", "gpt-4o", "--file", str(path), "--json"])
    assert data["tokens"] == 8  # [COOKBOOK] section 5: o200k_base, 8 tokens


def test_price_json_breakdown() -> None:
    data = _json(["price", "gpt-4o", "--input-tokens", "1000", "--cached-input-tokens", "500",
                  "--output-tokens", "200", "--json"])
    # [PRICING] gpt-4o: 500 x $2.50 + 500 x $1.25 (cached) + 200 x $10, per 1M
    assert data["cost_usd"] == "0.003875"
    assert data["breakdown"] == {"input_tokens": "0.00125", "cached_input_tokens": "0.000625",
                                 "output_tokens": "0.002"}
    assert data["source"] == "genai-prices"


def test_price_images_minutes_characters() -> None:
    # [PRICING] DALL·E 3 HD 1792x1024 $0.12 per image
    assert _json(["price", "dall-e-3", "--images", "2", "--size", "1792x1024", "--quality", "hd", "--json"])[
        "cost_usd"] == "0.24"
    # [PRICING] whisper-1 $0.006 / minute
    assert _json(["price", "whisper-1", "--audio-seconds", "90", "--json"])["cost_usd"] == "0.009"
    # [PRICING] tts-1 $15 / 1M characters
    assert _json(["price", "tts-1", "--characters", "2000", "--json"])["cost_usd"] == "0.03"


def test_price_human_output() -> None:
    result = runner.invoke(app, ["price", "o3-mini", "--input-tokens", "1000000", "--reasoning-tokens", "1000000"])
    assert result.exit_code == 0, result.output
    # [PRICING] o3-mini: $1.10 / 1M input, $4.40 / 1M output (reasoning billed as output)
    assert "$5.50000000" in result.output
    assert "genai-prices" in result.output


def test_unknown_model_price_fails_with_a_hint() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from conduit.cli.app import main; main()", "price", "no-such-model",
         "--input-tokens", "10"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "Cannot price no-such-model" in result.stderr
    assert "[prices." in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_model_price_json_is_null() -> None:
    result = runner.invoke(app, ["price", "no-such-model", "--input-tokens", "10", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["cost_usd"] is None


def test_tokens_count_request_object_and_errors(tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": "You are a helpful assistant that can answer to questions about the weather."},
        {"role": "user", "content": "What's the weather like in San Francisco?"}],
        "tools": [{"type": "function", "function": {
            "name": "get_current_weather", "description": "Get the current weather in a given location",
            "parameters": {"type": "object", "properties": {
                "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                "unit": {"type": "string", "description": "The unit of temperature to return",
                         "enum": ["celsius", "fahrenheit"]}}, "required": ["location"]}}}]}))
    # a saved chat request body: messages + tools inside one object ([COOKBOOK] section 7: 101 on gpt-4o-mini)
    assert _json(["tokens", "count", "--model", "gpt-4o-mini", "--messages", str(request), "--json"])["tokens"] == 101
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = runner.invoke(app, ["tokens", "count", "--model", "gpt-4o", "--messages", str(bad)])
    assert result.exit_code != 0
    both = runner.invoke(app, ["tokens", "count", "--model", "gpt-4o", "--text", "a", "--file", str(bad)])
    assert both.exit_code != 0
