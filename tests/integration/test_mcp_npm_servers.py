"""conduit.mcp against the official reference servers from npm, written by others.

server-everything over stdio, SSE and streamable HTTP (kept on 127.0.0.1 by
tests/npm/loopback.cjs) and server-filesystem over stdio on a temp dir.
Install them with ``npm ci --prefix tests/npm``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import anyio
import pytest
from mcp_servers.fixtures import (
    everything_http,
    everything_stdio,
    filesystem_stdio,
    listening_addresses,
    requires_npm,
)

from conduit.mcp.config import server_from_dict
from conduit.mcp.manager import MCPManager

pytestmark = [pytest.mark.npm, requires_npm]


@pytest.fixture(autouse=True)
def _ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from conduit.settings import get_settings

    monkeypatch.setenv("CONDUIT_DB", str(tmp_path / "ledger.db"))
    get_settings.cache_clear()
    yield tmp_path / "ledger.db"
    monkeypatch.undo()
    get_settings.cache_clear()


async def _exercise_everything(mcp: MCPManager, server: str) -> None:
    names = {spec.name for spec in await mcp.tools(server)}
    assert {"echo", "get-sum", "get-tiny-image"} <= names
    echo = await mcp.call(f"{server}__echo", {"message": "hello"})
    assert echo.status == "ok" and echo.text == "Echo: hello"
    total = await mcp.call("get-sum", {"a": 2, "b": 3}, server=server)
    assert total.ok and "5" in total.text
    image = await mcp.call(f"{server}__get-tiny-image", {})
    assert image.ok and image.images and image.images[0].mime_type == "image/png"
    invalid = await mcp.call(f"{server}__get-sum", {"a": "x"})
    assert invalid.status == "error"
    resources = await mcp.list_resources(server)
    assert any(r["uri"].startswith("demo://resource/") for r in resources)
    text_resource = next(r for r in resources if r.get("mimeType", "").startswith("text/"))
    contents = await mcp.read_resource(server, text_resource["uri"])
    assert contents and contents[0].get("text")
    prompts = {p["name"] for p in await mcp.list_prompts(server)}
    assert "simple-prompt" in prompts
    rendered = await mcp.get_prompt(server, "args-prompt", {"city": "Lisbon"})
    assert "Lisbon" in str(rendered["messages"])


def test_everything_over_stdio() -> None:
    async def main() -> None:
        async with MCPManager([everything_stdio("ev")]) as mcp:
            assert mcp.connections["ev"].server_name == "mcp-servers/everything"
            await _exercise_everything(mcp, "ev")
            # the reference server advertises a long-running tool: our timeout cancels it
            slow = await mcp.call("ev__trigger-long-running-operation", {"duration": 30, "steps": 3}, timeout=1)
            assert slow.status == "timeout"
            assert (await mcp.call("ev__echo", {"message": "after"})).ok

    anyio.run(main)


@pytest.mark.parametrize("transport", ["sse", "streamableHttp"])
def test_everything_over_http_transports_on_loopback(transport: str) -> None:
    with everything_http(transport) as (port, url, _process):
        # the reference server binds every interface by default; ours must listen on loopback only
        addresses = listening_addresses(port)
        assert addresses and all(a in ("0100007F", "0000000000000000FFFF00000100007F") for a in addresses), addresses
        kind = "sse" if transport == "sse" else "http"
        server = server_from_dict("ev", {"url": url, "type": kind})
        assert server.transport == kind

        async def main() -> None:
            async with MCPManager([server]) as mcp:
                await _exercise_everything(mcp, "ev")

        anyio.run(main)


@pytest.mark.parametrize("transport", ["sse", "streamableHttp"])
def test_http_server_dying_mid_call_is_a_tool_error_not_a_hang(transport: str) -> None:
    with everything_http(transport) as (_port, url, process):
        server = server_from_dict("ev", {"url": url, "type": "sse" if transport == "sse" else "http", "connect_timeout": 5})

        async def main() -> None:
            async with MCPManager([server]) as mcp:

                async def kill_soon() -> None:
                    await anyio.sleep(1)
                    process.kill()

                async with anyio.create_task_group() as group:
                    group.start_soon(kill_soon)
                    with anyio.fail_after(60):
                        result = await mcp.call("ev__trigger-long-running-operation", {"duration": 20, "steps": 4})
                assert result.status == "error" and "stopped answering" in result.text
                # the server is gone for good: the next call says so instead of hanging
                with anyio.fail_after(60):
                    again = await mcp.call("ev__echo", {"message": "x"})
                assert again.status == "error" and "could not be reached" in again.text

        anyio.run(main)


def test_reference_server_sees_a_minimal_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-mustnotleak000000000000000")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_mustnotleak")

    async def main() -> dict:
        async with MCPManager([everything_stdio("ev")]) as mcp:
            return json.loads((await mcp.call("ev__get-env", {})).text)

    env = anyio.run(main)
    assert "OPENAI_API_KEY" not in env and "GITHUB_TOKEN" not in env
    assert "PATH" in env


def test_transport_inferred_from_url() -> None:
    assert server_from_dict("a", {"url": "http://127.0.0.1:1/sse"}).transport == "sse"
    assert server_from_dict("a", {"url": "http://127.0.0.1:1/mcp"}).transport == "http"


def test_http_server_down_is_a_clear_error() -> None:
    from conduit.errors import MCPError
    from mcp_servers.fixtures import free_port

    server = server_from_dict("gone", {"url": f"http://127.0.0.1:{free_port()}/mcp", "connect_timeout": 5})

    async def main() -> None:
        async with MCPManager([server]):
            pass

    with pytest.raises(MCPError, match="could not be reached over http"):
        anyio.run(main)


def test_filesystem_server_rooted_at_tmp(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "notes.txt").write_text("The launch code is 4242.\n", encoding="utf-8")
    outside = tmp_path / "secret.txt"
    outside.write_text("outside the root", encoding="utf-8")

    async def main() -> None:
        server = filesystem_stdio(data, "fs", block=["write_*", "edit_*", "move_*", "create_*"])
        async with MCPManager([server]) as mcp:
            names = {s.name for s in await mcp.tools()}
            assert "read_text_file" in names and "write_file" not in names
            listing = await mcp.call("fs__list_directory", {"path": str(data)})
            assert "notes.txt" in listing.text
            read = await mcp.call("fs__read_text_file", {"path": str(data / "notes.txt")})
            assert read.ok and "4242" in read.text
            escape = await mcp.call("fs__read_text_file", {"path": str(outside)})
            assert escape.status == "error" and "outside the root" not in escape.text
            write = await mcp.call("fs__write_file", {"path": str(data / "x.txt"), "content": "x"})
            assert write.status == "refused" and not (data / "x.txt").exists()

    anyio.run(main)


def test_everything_and_filesystem_connect_together(tmp_path: Path) -> None:
    async def main() -> None:
        async with MCPManager([everything_stdio("ev"), filesystem_stdio(tmp_path, "fs")]) as mcp:
            servers = {s.server for s in await mcp.tools()}
            assert servers == {"ev", "fs"}
            assert all(row["connected"] for row in mcp.status())

    anyio.run(main)
