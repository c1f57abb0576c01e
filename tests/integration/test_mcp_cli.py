"""`conduit mcp ...` end to end: a real mcpServers file, real servers, the real CLI entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from mcp_servers.fixtures import MISBEHAVING, EVERYTHING, requires_npm


def _config(tmp_path: Path, servers: dict) -> Path:
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": servers}))
    return path


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CONDUIT_DB": str(tmp_path / "ledger.db"), "CONDUIT_CONFIG": str(tmp_path / "none.toml")}
    return subprocess.run(
        [sys.executable, "-m", "conduit.cli.app", *args], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return _config(
        tmp_path,
        {
            "py": {"command": sys.executable, "args": [str(MISBEHAVING)], "block": ["delete_*"]},
            "broken": {"command": sys.executable, "args": [str(MISBEHAVING), "--mode", "fail-start"]},
        },
    )


def test_list_reports_each_server(tmp_path: Path, config: Path) -> None:
    result = _run(tmp_path, "mcp", "list", "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["py"]["connected"] is True and rows["py"]["tools"] >= 10 and rows["py"]["hidden"] == 1
    assert rows["broken"]["connected"] is False
    assert "permission denied" in rows["broken"]["stderr"]


def test_tools_call_and_errors(tmp_path: Path, config: Path) -> None:
    tools = _run(tmp_path, "mcp", "tools", "py", "--config", str(config), "--json")
    assert tools.returncode == 0, tools.stderr
    names = [t["function"]["name"] for t in json.loads(tools.stdout)]
    assert "py__add" in names and "py__delete_everything" not in names

    call = _run(tmp_path, "mcp", "call", "py", "add", "--args", '{"a": 20, "b": 22}', "--config", str(config))
    assert call.returncode == 0 and call.stdout.strip() == "42"

    as_json = _run(tmp_path, "mcp", "call", "py", "fail", "--config", str(config), "--json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["status"] == "error"

    blocked = _run(tmp_path, "mcp", "call", "py", "delete_everything", "--args", '{"path": "/"}', "--config", str(config))
    assert blocked.returncode == 1 and "refused" in blocked.stdout

    bad = _run(tmp_path, "mcp", "call", "py", "add", "--args", "{oops", "--config", str(config))
    assert bad.returncode != 0 and "not valid JSON" in bad.stderr and "Traceback" not in bad.stderr

    # a required server that cannot start: message + stderr tail, no traceback
    failed = _run(tmp_path, "mcp", "tools", "broken", "--config", str(config))
    assert failed.returncode == 1 and "failed to start" in failed.stderr and "Traceback" not in failed.stderr

    from conduit.ledger import open_ledger

    ledger = open_ledger(str(tmp_path / "ledger.db"))
    statuses = sorted(row["status"] for row in ledger.tool_calls())
    assert statuses == ["error", "ok", "refused"]


def test_resources_prompts_scan_approve(tmp_path: Path, config: Path) -> None:
    resources = _run(tmp_path, "mcp", "resources", "py", "--config", str(config), "--json")
    assert json.loads(resources.stdout)[0]["uri"] == "test://greeting"
    read = _run(tmp_path, "mcp", "resources", "py", "--read", "test://greeting", "--config", str(config))
    assert read.stdout.strip() == "hello from a resource"
    prompt = _run(tmp_path, "mcp", "prompts", "py", "--get", "review", "--args", '{"code": "print(1)"}', "--config", str(config))
    assert "print(1)" in prompt.stdout

    # the commands above met the tools for the first time: clean scans, so pinned (trust on first use)
    scan = _run(tmp_path, "mcp", "scan", "py", "--config", str(config), "--json")
    assert scan.returncode == 0 and {row["pin"] for row in json.loads(scan.stdout)["tools"]} == {"pinned"}

    import sqlite3  # a rug pull: the approved definition no longer matches the server's

    with sqlite3.connect(tmp_path / "ledger.db") as db:
        db.execute("UPDATE mcp_tool_pins SET fingerprint = 'sha256:old' WHERE tool = 'echo'")
    changed = _run(tmp_path, "mcp", "scan", "py", "--config", str(config), "--json")
    assert changed.returncode == 1
    assert {r["tool"]: r["pin"] for r in json.loads(changed.stdout)["tools"]}["echo"] == "changed"
    withheld = _run(tmp_path, "mcp", "call", "py", "echo", "--args", '{"text": "x"}', "--config", str(config))
    assert withheld.returncode == 1 and "changed since it was approved" in withheld.stdout

    approve = _run(tmp_path, "mcp", "approve", "py", "echo", "--config", str(config))
    assert approve.returncode == 0 and "approved py/echo" in approve.stdout
    again = json.loads(_run(tmp_path, "mcp", "scan", "py", "--config", str(config), "--json").stdout)
    assert {r["tool"]: r["pin"] for r in again["tools"]}["echo"] == "pinned"
    ok = _run(tmp_path, "mcp", "call", "py", "echo", "--args", '{"text": "x"}', "--config", str(config))
    assert ok.returncode == 0 and ok.stdout.strip() == "x"


def test_no_servers_configured(tmp_path: Path) -> None:
    result = _run(tmp_path, "mcp", "list")
    assert result.returncode == 1 and "No MCP servers are configured" in result.stderr


@pytest.mark.npm
@requires_npm
def test_call_everything_server(tmp_path: Path) -> None:
    config = _config(tmp_path, {"ev": {"command": "node", "args": [str(EVERYTHING), "stdio"]}})
    result = _run(tmp_path, "mcp", "call", "ev", "echo", "--args", '{"message": "hi"}', "--config", str(config))
    assert result.returncode == 0 and result.stdout.strip() == "Echo: hi"


def test_scan_fails_until_a_flagged_tool_is_reviewed_and_approved(tmp_path: Path) -> None:
    config = _config(tmp_path, {"bad": {"command": sys.executable, "args": [str(MISBEHAVING), "--mode", "poisoned"]}})
    first = _run(tmp_path, "mcp", "scan", "bad", "--config", str(config), "--json")
    rows = {r["tool"]: r for r in json.loads(first.stdout)["tools"]}
    assert first.returncode == 1 and rows["get_weather"]["findings"] and rows["get_weather"]["pin"] != "pinned"
    approve = _run(tmp_path, "mcp", "approve", "bad", "get_weather", "--config", str(config))
    assert approve.returncode == 0, approve.stderr
    after = _run(tmp_path, "mcp", "scan", "bad", "--config", str(config), "--json")
    rows = {r["tool"]: r for r in json.loads(after.stdout)["tools"]}
    # still reported (a reviewer should see them), but approved: the scan no longer fails
    assert rows["get_weather"]["findings"] and rows["get_weather"]["pin"] == "pinned"
    assert after.returncode == 0
