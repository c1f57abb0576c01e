"""`conduit agent` and `conduit chat` against the sandbox model and a real MCP server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mcp_servers.fixtures import MISBEHAVING

from conduit.sandbox import ScriptedReply


def _env(sandbox, tmp_path: Path) -> dict[str, str]:  # noqa: ANN001
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "OPENAI_BASE_URL": sandbox.base_url,
        "OPENAI_API_KEY": sandbox.api_key,
        "CONDUIT_DB": str(tmp_path / "ledger.db"),
        "CONDUIT_CONFIG": str(tmp_path / "none.toml"),
    }


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": {"py": {"command": sys.executable, "args": [str(MISBEHAVING)]}}}))
    return path


def _run(sandbox, tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:  # noqa: ANN001
    return subprocess.run(
        [sys.executable, "-m", "conduit.cli.app", *args],
        capture_output=True, text=True, env=_env(sandbox, tmp_path), timeout=120, cwd=tmp_path, input=stdin,
    )  # fmt: skip


def test_agent_command_shows_tool_calls_and_cost(sandbox_env, tmp_path: Path) -> None:
    sandbox_env.script(ScriptedReply(tool_calls=[{"name": "py__add", "arguments": {"a": 40, "b": 2}}]), ScriptedReply(content="The sum is 42."))
    result = _run(sandbox_env, tmp_path, "agent", "add 40 and 2", "--config", str(_config(tmp_path)), "--model", "gpt-5.4-mini", "--no-media")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "The sum is 42."
    assert "→ py__add" in result.stderr and "← py__add: ok" in result.stderr
    assert "2 turns · 1 tool call" in result.stderr and "$0.0" in result.stderr


def test_agent_command_json_and_max_turns(sandbox_env, tmp_path: Path) -> None:
    loop = ScriptedReply(tool_calls=[{"name": "py__echo", "arguments": {"text": "x"}}])
    sandbox_env.script(loop, loop)
    result = _run(sandbox_env, tmp_path, "agent", "loop", "--config", str(_config(tmp_path)), "--model", "gpt-5.4-mini", "--max-turns", "1", "--json", "--no-media")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["stopped"] == "max_turns" and data["turns"] == 1 and data["tool_calls"][0]["status"] == "ok"


def test_agent_command_fails_closed_without_traceback(sandbox_env, tmp_path: Path) -> None:
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"mcpServers": {"db": {"command": sys.executable, "args": [str(MISBEHAVING), "--mode", "fail-start"]}}}))
    result = _run(sandbox_env, tmp_path, "agent", "x", "--config", str(config), "--model", "gpt-5.4-mini")
    assert result.returncode != 0 and "failed to start" in result.stderr and "Traceback" not in result.stderr


def test_chat_session_with_commands(sandbox_env, tmp_path: Path) -> None:
    sandbox_env.script(
        ScriptedReply(content="Hola."),
        ScriptedReply(tool_calls=[{"name": "py__echo", "arguments": {"text": "eco"}}]),
        ScriptedReply(content="El eco dijo: eco."),
    )
    stdin = "hola\n/tools\nusa echo\n/cost\n/exit\n"
    result = _run(sandbox_env, tmp_path, "chat", "--config", str(_config(tmp_path)), "--model", "gpt-5.4-mini", "--no-media", stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert "Hola." in result.stdout and "El eco dijo: eco." in result.stdout
    assert "py__echo" in result.stdout  # /tools
    assert "session chat-" in result.stdout and "$0.0" in result.stdout  # /cost
    chats = [r.json for r in sandbox_env.requests if r.path.endswith("/chat/completions")]
    assert len(chats) == 3
    assert chats[0]["stream"] is True
    assert chats[0]["stream_options"] == {"include_usage": True}  # so /cost shows real token counts
    assert " 0 in / 0 out" not in result.stdout + result.stderr
    # the second message continues the same conversation
    assert [m["content"] for m in chats[1]["messages"] if m["role"] == "user"] == ["hola", "usa echo"]


def test_optional_server_failure_is_announced_and_the_run_goes_on(sandbox_env, tmp_path: Path) -> None:
    config = tmp_path / "mixed.json"
    config.write_text(
        json.dumps(
            {
                "mcpServers": {
                    "py": {"command": sys.executable, "args": [str(MISBEHAVING)]},
                    "db": {"command": sys.executable, "args": [str(MISBEHAVING), "--mode", "fail-start"], "optional": True},
                }
            }
        )
    )
    sandbox_env.script(ScriptedReply(content="fine"))
    result = _run(sandbox_env, tmp_path, "agent", "x", "--config", str(config), "--model", "gpt-5.4-mini", "--no-media")
    assert result.returncode == 0, result.stderr
    assert "optional MCP server 'db' is unavailable" in result.stderr and "permission denied" in result.stderr
    assert result.stdout.strip() == "fine"
