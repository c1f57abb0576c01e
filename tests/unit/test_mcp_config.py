"""MCP configuration: standard mcpServers JSON read unchanged, conduit.toml extras, ${VAR} expansion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conduit.errors import ConfigurationError
from conduit.mcp.config import expand_vars, load_servers, parse_mcp_json, server_from_dict
from conduit.mcp.connection import child_environment

CLAUDE_DESKTOP = {
    "mcpServers": {
        "filesystem": {
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-filesystem", "${HOME}/Desktop"],
        },
        "github": {"command": "docker", "args": ["run", "-i", "ghcr.io/github/github-mcp-server"], "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "${GH_TOKEN}"}},
        "remote": {"url": "https://example.com/mcp", "headers": {"Authorization": "Bearer ${API_TOKEN:-none}"}},
        "legacy-sse": {"url": "https://example.com/sse"},
        "off": {"command": "x", "disabled": True},
    }
}


def test_claude_desktop_file_read_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "claude_desktop_config.json"
    path.write_text(json.dumps(CLAUDE_DESKTOP))
    servers = load_servers(path, environ={"HOME": "/home/ana", "GH_TOKEN": "ghp_x"})
    assert set(servers) == {"filesystem", "github", "remote", "legacy-sse"}
    fs = servers["filesystem"]
    assert fs.transport == "stdio" and fs.command == "npx" and fs.args[-1] == "/home/ana/Desktop"
    assert servers["github"].env == {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_x"}
    assert servers["remote"].transport == "http" and servers["remote"].headers["Authorization"] == "Bearer none"
    assert servers["legacy-sse"].transport == "sse"
    assert fs.connect_timeout == 30.0 and fs.call_timeout == 120.0  # generous defaults


def test_vscode_servers_key_and_types() -> None:
    doc = {"servers": {"a": {"type": "stdio", "command": "srv"}, "b": {"type": "http", "url": "http://127.0.0.1:1/x"}, "c": {"type": "sse", "url": "http://h/events"}}}
    servers = parse_mcp_json(doc, environ={})
    assert [servers[n].transport for n in "abc"] == ["stdio", "http", "sse"]


def test_unset_variable_is_an_error_naming_it() -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_mcp_json({"mcpServers": {"gh": {"command": "x", "env": {"T": "${NOPE_TOKEN}"}}}}, environ={})
    assert "NOPE_TOKEN" in info.value.message and "${NOPE_TOKEN:-default}" in info.value.hint


def test_expand_vars_forms() -> None:
    env = {"A": "1"}
    assert expand_vars("${A}-${env:A}-${B:-two}", env) == "1-1-two"
    assert expand_vars("no vars $A", env) == "no vars $A"


def test_conduit_toml_servers_and_overlay(tmp_path: Path) -> None:
    (tmp_path / "mcp.json").write_text(json.dumps({"mcpServers": {"fs": {"command": "npx", "args": ["srv", "/data"]}}}))
    (tmp_path / "conduit.toml").write_text(
        """
[mcp]
config = "mcp.json"

[mcp.servers.fs]
allow = ["read_*", "list_*"]
block = ["*write*"]
sensitive = ["move_file"]
call_timeout = 60
max_output_bytes = 5000

[mcp.servers.py]
command = "python"
args = ["server.py"]
optional = true
pass_env = ["DB_URL"]
connect_timeout = 90
"""
    )
    servers = load_servers(tmp_path / "conduit.toml", environ={})
    fs = servers["fs"]
    assert fs.command == "npx" and fs.args == ("srv", "/data")  # from the JSON
    assert fs.allow == ("read_*", "list_*") and fs.block == ("*write*",) and fs.sensitive == ("move_file",)
    assert fs.call_timeout == 60 and fs.max_output_bytes == 5000
    py = servers["py"]
    assert py.optional and py.pass_env == ("DB_URL",) and py.connect_timeout == 90


def test_toml_typos_are_refused(tmp_path: Path) -> None:
    (tmp_path / "conduit.toml").write_text('[mcp.servers.a]\ncommand = "x"\nalow = ["*"]\n')
    with pytest.raises(ConfigurationError, match="unknown key\\(s\\): alow"):
        load_servers(tmp_path / "conduit.toml", environ={})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "neither a command nor a url"),
        ({"type": "carrier-pigeon", "command": "x"}, "unknown transport"),
        ({"type": "sse"}, "no url"),
        ({"command": "x", "call_timeout": 0}, "positive number"),
        ({"command": "x", "max_output_bytes": 10}, "max_output_bytes"),
        ({"command": "x", "args": "not-a-list"}, None),
    ],
)
def test_bad_entries(raw: dict, message: str | None) -> None:
    if message is None:  # a single string arg is accepted as a one-element list
        assert server_from_dict("s", raw).args == ("not-a-list",)
        return
    with pytest.raises(ConfigurationError, match=message):
        server_from_dict("s", raw)


def test_bad_server_name() -> None:
    with pytest.raises(ConfigurationError, match="name must be"):
        server_from_dict("has space", {"command": "x"})


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_servers(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{\"mcpServers\": {},}")
    with pytest.raises(ConfigurationError, match="not valid JSON"):
        load_servers(bad)
    (tmp_path / "other.json").write_text("{\"foo\": 1}")
    with pytest.raises(ConfigurationError, match="no \"mcpServers\""):
        load_servers(tmp_path / "other.json")


def test_child_environment_is_minimal() -> None:
    parent = {"PATH": "/bin", "HOME": "/h", "LANG": "C.UTF-8", "OPENAI_API_KEY": "sk-secret", "GH": "t", "AWS_SECRET_ACCESS_KEY": "s"}
    server = server_from_dict("s", {"command": "x", "env": {"X": "1"}, "pass_env": ["GH"]})
    env = child_environment(server, parent)
    assert env == {"PATH": "/bin", "HOME": "/h", "LANG": "C.UTF-8", "GH": "t", "X": "1"}
    explicit = server_from_dict("s", {"command": "x", "pass_env": ["OPENAI_API_KEY"]})
    assert child_environment(explicit, parent)["OPENAI_API_KEY"] == "sk-secret"


def test_describe_hides_env_and_headers() -> None:
    server = server_from_dict("s", {"command": "srv", "args": ["--x"], "env": {"TOKEN": "secret"}})
    assert server.describe() == "srv --x"


def test_default_servers_come_from_conduit_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conduit.settings import get_settings

    (tmp_path / "conduit.toml").write_text('[mcp.servers.docs]\nurl = "http://127.0.0.1:9/mcp"\nallow = ["search*"]\n')
    monkeypatch.setenv("CONDUIT_CONFIG", str(tmp_path / "conduit.toml"))
    get_settings.cache_clear()
    try:
        servers = load_servers()
        assert list(servers) == ["docs"] and servers["docs"].transport == "http" and servers["docs"].allow == ("search*",)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_public_names_are_exported_lazily() -> None:
    import conduit
    import conduit.mcp

    assert conduit.MCPManager is conduit.mcp.MCPManager
    assert conduit.Agent.__name__ == "Agent"
    assert conduit.mcp.ServerConfig.__name__ == "ServerConfig"
