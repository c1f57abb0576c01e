"""The OpenAI Agents SDK on conduit's client: an agent with an MCP stdio server, governed.

``agents.set_default_openai_client(conduit.AsyncOpenAI())`` is the whole
integration: every model call the SDK makes goes through the pipeline and
lands in the ledger, including the turn that follows the MCP tool call.
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest
from mcp_servers.fixtures import MISBEHAVING

from conduit.sandbox import ScriptedReply

agents = pytest.importorskip("agents", reason="openai-agents is a dev extra: pip install -e '.[dev]'")


def test_agents_sdk_with_mcp_stdio_is_metered(sandbox_env, tmp_path: Path) -> None:
    import conduit
    from agents import Agent, Runner, set_default_openai_client, set_tracing_disabled
    from agents.mcp import MCPServerStdio

    set_tracing_disabled(True)  # the SDK would otherwise export traces to api.openai.com
    set_default_openai_client(conduit.AsyncOpenAI(), use_for_tracing=False)
    sandbox_env.script(
        ScriptedReply(tool_calls=[{"name": "add", "arguments": {"a": 40, "b": 2}}]),
        ScriptedReply(content="40 + 2 = 42"),
    )

    async def main() -> str:
        async with MCPServerStdio(
            params={"command": sys.executable, "args": [str(MISBEHAVING)]}, client_session_timeout_seconds=30
        ) as server:
            agent = Agent(name="calc", instructions="Use the tools.", model="gpt-5.4-mini", mcp_servers=[server])
            result = await Runner.run(agent, "What is 40 + 2?")
            return str(result.final_output)

    try:
        output = anyio.run(main)
    finally:
        set_default_openai_client(None, use_for_tracing=False)  # type: ignore[arg-type]

    assert output == "40 + 2 = 42"
    model_requests = [r for r in sandbox_env.requests if r.path.endswith(("/responses", "/chat/completions"))]
    assert len(model_requests) == 2
    # the MCP tool really ran: its output went back to the model in the second turn
    assert "42" in str(model_requests[1].json)

    from conduit.ledger import open_ledger

    rows = open_ledger(str(tmp_path / "ledger.db")).exchanges(limit=10)
    assert len(rows) == 2 and all(row["status"] == "ok" for row in rows)
    assert all(row["cost_usd"] is not None and row["cost_usd"] > 0 for row in rows)


def test_agents_sdk_run_is_budgeted(sandbox_env) -> None:
    from decimal import Decimal

    import conduit
    from agents import Agent, Runner, set_default_openai_client, set_tracing_disabled
    from agents.mcp import MCPServerStdio

    from conduit.budget import Budget
    from conduit.errors import BudgetExceeded

    set_tracing_disabled(True)
    set_default_openai_client(conduit.AsyncOpenAI(), use_for_tracing=False)

    async def main() -> None:
        async with MCPServerStdio(params={"command": sys.executable, "args": [str(MISBEHAVING)]}, client_session_timeout_seconds=30) as server:
            agent = Agent(name="calc", instructions="Use the tools.", model="gpt-5.4-mini", mcp_servers=[server])
            await Runner.run(agent, "What is 40 + 2?")

    try:
        with Budget(scope="global", limit=Decimal("0.000001"), period="total"):
            with pytest.raises(BudgetExceeded):
                anyio.run(main)
    finally:
        set_default_openai_client(None, use_for_tracing=False)  # type: ignore[arg-type]
    assert [r for r in sandbox_env.requests if r.path.endswith(("/responses", "/chat/completions"))] == []
