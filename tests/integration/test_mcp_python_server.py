"""conduit.mcp against a real MCP server built with the official Python SDK.

The server (tests/mcp_servers/misbehaving.py) crashes, hangs, fails to start,
offers no tools and changes its tool list on purpose: these are the failures
an agent meets in the field, exercised over a real stdio pipe.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Iterator

import anyio
import pytest
from mcp_servers.fixtures import python_server

from conduit.errors import MCPError
from conduit.mcp.config import server_from_dict
from conduit.mcp.manager import MCPManager, SyncMCPManager
from conduit.mcp.pins import PinStore


@pytest.fixture
def ledger_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh ledger for each test; yields its path."""
    from conduit.settings import get_settings

    path = tmp_path / "ledger.db"
    monkeypatch.setenv("CONDUIT_DB", str(path))
    get_settings.cache_clear()
    yield path
    monkeypatch.undo()
    get_settings.cache_clear()


def _tool_calls(path: Path) -> list[dict]:
    from conduit.ledger import open_ledger

    ledger = open_ledger(str(path))
    ledger.flush()
    return ledger.tool_calls()


def _run(coro_fn, *args):  # noqa: ANN001, ANN202 - tiny test helper
    return anyio.run(coro_fn, *args)


def test_tools_call_and_ledger_record(ledger_db: Path) -> None:
    async def main() -> None:
        async with MCPManager([python_server("py")]) as mcp:
            names = [spec.openai_name for spec in await mcp.tools()]
            assert "py__echo" in names and "py__add" in names
            result = await mcp.call("py__add", '{"a": 2, "b": 40}')
            assert result.status == "ok" and result.text == "42"
            assert result.output_bytes == 2

    _run(main)
    rows = _tool_calls(ledger_db)
    assert [(r["server"], r["tool"], r["status"], r["output_bytes"]) for r in rows] == [("py", "add", "ok", 2)]
    assert rows[0]["duration_ms"] > 0


def test_openai_tool_definitions_are_valid_names_and_schemas(ledger_db: Path) -> None:
    async def main() -> list[dict]:
        async with MCPManager([python_server("py")]) as mcp:
            return await mcp.openai_tools()

    tools = _run(main)
    import re

    for tool in tools:
        assert tool["type"] == "function"
        assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", tool["function"]["name"])
        assert tool["function"]["parameters"]["type"] == "object"
    weird = [t for t in tools if t["function"]["name"].startswith("py__weird_name_with_spaces")]
    assert len(weird) == 1
    add = next(t for t in tools if t["function"]["name"] == "py__add")
    assert set(add["function"]["parameters"]["properties"]) == {"a", "b"}


def test_weird_tool_name_is_callable_through_its_sanitised_name(ledger_db: Path) -> None:
    async def main() -> str:
        async with MCPManager([python_server("py")]) as mcp:
            name = next(s.openai_name for s in await mcp.tools() if s.name.startswith("weird"))
            return (await mcp.call(name, {})).text

    assert _run(main) == "weird ok"


def test_hanging_tool_times_out_and_server_stays_usable(ledger_db: Path) -> None:
    async def main() -> None:
        async with MCPManager([python_server("py", call_timeout=1)]) as mcp:
            hung = await mcp.call("py__sleep", {"seconds": 60})
            assert hung.status == "timeout"
            assert "did not finish within 1 s" in hung.text
            after = await mcp.call("py__echo", {"text": "still here"})
            assert after.status == "ok" and after.text == "still here"
            assert mcp.connections["py"].connects == 1  # no reconnect needed

    _run(main)
    statuses = [r["status"] for r in sorted(_tool_calls(ledger_db), key=lambda r: r["created_at"])]
    assert statuses == ["timeout", "ok"]


def test_crash_mid_call_is_a_tool_error_then_reconnects(ledger_db: Path) -> None:
    async def main() -> None:
        async with MCPManager([python_server("py")]) as mcp:
            with anyio.fail_after(30):  # the point: a dead server must never hang the caller
                crashed = await mcp.call("py__crash", {})
            assert crashed.status == "error"
            assert "stopped answering during crash" in crashed.text
            assert "crashing on purpose" in crashed.text  # the server's stderr tail is shown
            assert not mcp.connections["py"].connected
            again = await mcp.call("py__echo", {"text": "back"})
            assert again.status == "ok" and again.text == "back"
            assert mcp.connections["py"].connects == 2

    _run(main)


def test_server_that_fails_to_start_reports_stderr_and_fails_closed(ledger_db: Path) -> None:
    async def main() -> None:
        async with MCPManager([python_server("db", mode="fail-start"), python_server("py")]):
            pass

    with pytest.raises(MCPError) as info:
        _run(main)
    assert "'db' failed to start" in info.value.message
    assert "permission denied" in info.value.message  # stderr tail
    assert "optional" in info.value.hint


def test_optional_server_failure_does_not_stop_the_others(ledger_db: Path) -> None:
    async def main() -> None:
        async with MCPManager([python_server("db", mode="fail-start", optional=True), python_server("py")]) as mcp:
            assert "db" in mcp.failures
            assert {s.server for s in await mcp.tools()} == {"py"}
            status = {row["name"]: row for row in mcp.status()}
            assert status["db"]["connected"] is False and "permission denied" in status["db"]["error"]

    _run(main)


def test_missing_command_is_a_clear_error(ledger_db: Path) -> None:
    server = server_from_dict("ghost", {"command": "conduit-no-such-binary-xyz"})

    async def main() -> None:
        async with MCPManager([server]):
            pass

    with pytest.raises(MCPError, match="command 'conduit-no-such-binary-xyz' was not found"):
        _run(main)


def test_handshake_timeout(ledger_db: Path) -> None:
    async def main() -> None:
        async with MCPManager([python_server("slow", mode="hang-start", connect_timeout=1)]):
            pass

    with pytest.raises(MCPError, match="did not complete the MCP handshake within 1 s"):
        _run(main)


def test_zero_tools_resolved_fails_closed(ledger_db: Path) -> None:
    async def empty() -> None:
        async with MCPManager([python_server("empty", mode="no-tools")]) as mcp:
            assert await mcp.tools() == []
            await mcp.require_tools()

    with pytest.raises(MCPError, match="No usable MCP tools"):
        _run(empty)

    async def filtered() -> None:
        async with MCPManager([python_server("py", allow=["nothing_matches_*"])]) as mcp:
            await mcp.require_tools()

    with pytest.raises(MCPError, match="filters hid"):
        _run(filtered)


def test_allow_and_block_filters_decide_what_the_model_sees(ledger_db: Path) -> None:
    async def main() -> None:
        server = python_server("py", allow=["e*", "add", "delete_*"], block=["delete_*"])
        async with MCPManager([server]) as mcp:
            assert sorted(s.name for s in await mcp.tools()) == ["add", "echo", "env_keys"]
            blocked = await mcp.call("py__delete_everything", {"path": "/"})
            assert blocked.status == "refused" and "allow/block filters" in blocked.text
            unlisted = await mcp.call("sleep", {"seconds": 0}, server="py")
            assert unlisted.status == "refused"
            assert "delete_everything" in mcp.hidden()["py"]

    _run(main)
    assert {r["status"] for r in _tool_calls(ledger_db)} == {"refused"}


def test_tool_list_change_is_picked_up(ledger_db: Path) -> None:
    async def main() -> None:
        async with MCPManager([python_server("py")]) as mcp:
            assert "py__late" not in {s.openai_name for s in await mcp.tools()}
            added = await mcp.call("py__add_tool", {"name": "late"})
            assert added.ok
            with anyio.fail_after(10):
                while not mcp.connections["py"].tools_stale:
                    await anyio.sleep(0.02)
            assert mcp.connections["py"].list_changed_count >= 1
            assert "py__late" in {s.openai_name for s in await mcp.tools()}
            late = await mcp.call("py__late", {})
            assert late.text == "late says hi"

    _run(main)


def test_child_gets_a_minimal_environment(ledger_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-parentsecretvalue0000000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "parent-secret")
    monkeypatch.setenv("CONDUIT_PASS_ME", "passed")

    async def main(server) -> list[str]:  # noqa: ANN001
        async with MCPManager([server]) as mcp:
            return json.loads((await mcp.call("py__env_keys", {})).text)

    keys = _run(main, python_server("py", env={"EXTRA": "1"}, pass_env=["CONDUIT_PASS_ME"]))
    assert "OPENAI_API_KEY" not in keys and "AWS_SECRET_ACCESS_KEY" not in keys
    assert {"PATH", "EXTRA", "CONDUIT_PASS_ME"} <= set(keys)
    explicit = _run(main, python_server("py", env={"OPENAI_API_KEY": "${OPENAI_API_KEY}"}))
    assert "OPENAI_API_KEY" in explicit


def test_output_cap_truncates_but_ledger_counts_everything(ledger_db: Path) -> None:
    async def main() -> None:
        async with MCPManager([python_server("py", max_output_bytes=1000)]) as mcp:
            result = await mcp.call("py__big", {"size": 50_000})
            assert result.truncated
            assert result.text.startswith("x" * 1000)
            assert "[output truncated: 1000 of 50000 bytes shown]" in result.text
            assert result.output_bytes == 50_000

    _run(main)
    assert _tool_calls(ledger_db)[0]["output_bytes"] == 50_000


def test_image_results_and_tool_errors(ledger_db: Path) -> None:
    async def main() -> None:
        async with MCPManager([python_server("py")]) as mcp:
            image = await mcp.call("py__image", {})
            assert image.ok and len(image.images) == 1
            assert image.images[0].mime_type == "image/png"
            assert image.images[0].data_url.startswith("data:image/png;base64,iVBOR")
            assert "a 1x1 pixel" in image.text and "[image 1: image/png" in image.text
            failed = await mcp.call("py__fail", {"message": "disk full"})
            assert failed.status == "error" and failed.text.startswith("Tool error:")
            bad_json = await mcp.call("py__echo", "{not json")
            assert bad_json.status == "error" and "not valid JSON" in bad_json.text
            bad_args = await mcp.call("py__add", {"a": "two"})
            assert bad_args.status == "error"

    _run(main)


def test_resources_and_prompts(ledger_db: Path) -> None:
    async def main() -> None:
        async with MCPManager([python_server("py")]) as mcp:
            resources = await mcp.list_resources()
            assert [(r["server"], r["uri"]) for r in resources] == [("py", "test://greeting")]
            contents = await mcp.read_resource("py", "test://greeting")
            assert contents[0]["text"] == "hello from a resource"
            prompts = await mcp.list_prompts("py")
            assert [p["name"] for p in prompts] == ["review"]
            rendered = await mcp.get_prompt("py", "review", {"code": "x = 1"})
            assert "x = 1" in rendered["messages"][0]["content"]["text"]

    _run(main)


def test_concurrent_calls_and_concurrent_connect(ledger_db: Path) -> None:
    async def main() -> None:
        servers = [python_server(f"p{i}") for i in range(3)]
        async with MCPManager(servers) as mcp:
            assert all(c.connected for c in mcp.connections.values())
            results: list[str] = []

            async def one(i: int) -> None:
                results.append((await mcp.call(f"p{i % 3}__add", {"a": i, "b": 1})).text)

            async with anyio.create_task_group() as group:
                for i in range(9):
                    group.start_soon(one, i)
            assert sorted(int(r) for r in results) == list(range(1, 10))

    _run(main)


def test_sync_manager(ledger_db: Path) -> None:
    with SyncMCPManager([python_server("py")]) as mcp:
        assert "py__echo" in [s.openai_name for s in mcp.tools()]
        assert mcp.call("py__echo", {"text": "sync"}).text == "sync"
        assert mcp.read_resource("py", "test://greeting")[0]["text"] == "hello from a resource"


def test_changed_tool_definition_is_refused_until_approved(ledger_db: Path, tmp_path: Path) -> None:
    store = PinStore.at(str(tmp_path / "pins.db"))

    async def first() -> None:
        async with MCPManager([python_server("py")], pins=store) as mcp:
            assert "py__echo" in {s.openai_name for s in await mcp.tools()}

    _run(first)
    assert store.get("py", "echo") is not None and store.get("py", "echo").source == "auto"
    # simulate a rug pull: the stored pin no longer matches what the server now says
    conn = store._conn()
    conn.execute("UPDATE mcp_tool_pins SET fingerprint = 'sha256:old' WHERE tool = 'echo'")
    conn.close()

    async def second() -> None:
        async with MCPManager([python_server("py")], pins=store) as mcp:
            assert "py__echo" not in {s.openai_name for s in await mcp.tools()}
            refused = await mcp.call("py__echo", {"text": "x"})
            assert refused.status == "refused" and "changed since it was approved" in refused.text
            assert "conduit mcp approve py echo" in refused.text
            approved = await mcp.approve("py", "echo")
            assert [s.name for s in approved] == ["echo"]
            assert (await mcp.call("py__echo", {"text": "ok again"})).text == "ok again"

    _run(second)
    assert store.get("py", "echo").source == "user"


def test_cancellation_from_the_caller_propagates(ledger_db: Path) -> None:
    async def main() -> float:
        async with MCPManager([python_server("py")]) as mcp:
            started = time.monotonic()
            with anyio.move_on_after(0.5):
                await mcp.call("py__sleep", {"seconds": 30})
            elapsed = time.monotonic() - started
            assert (await mcp.call("py__echo", {"text": "ok"})).ok
            return elapsed

    assert _run(main) < 25  # cancelled long before the tool would have finished


def test_python_path_is_the_running_interpreter() -> None:
    # the fixtures start the server with this interpreter, so it has the mcp SDK
    assert python_server().command == sys.executable


def test_poisoned_tool_definition_is_withheld_until_approved(ledger_db: Path, tmp_path: Path) -> None:
    store = PinStore.at(str(tmp_path / "pins.db"))

    async def main() -> None:
        async with MCPManager([python_server("py", mode="poisoned")], pins=store) as mcp:
            names = {s.name for s in await mcp.tools()}
            assert "get_weather" not in names and "echo" in names  # the clean tools stay usable
            why = mcp.refused()["py"]["get_weather"]
            assert "hidden instructions" in why and "conduit mcp approve py get_weather" in why
            refused = await mcp.call("py__get_weather", {"city": "Oslo"})
            assert refused.status == "refused"
            await mcp.approve("py", "get_weather")  # a person reviewed it and accepts it
            assert (await mcp.call("py__get_weather", {"city": "Oslo"})).text == "sunny in Oslo"

    _run(main)
    assert store.get("py", "get_weather").source == "user"


def test_unverifiable_definitions_fail_closed_with_a_clear_error(ledger_db: Path) -> None:
    class BrokenPins:
        def check_all(self, specs):  # noqa: ANN001, ANN201 - test double
            raise RuntimeError("database is locked")

    async def main() -> None:
        async with MCPManager([python_server("py")], pins=BrokenPins()):
            pass

    with pytest.raises(MCPError) as info:
        _run(main)
    assert "could not be checked against their pins" in info.value.message
    assert "database is locked" in info.value.message
