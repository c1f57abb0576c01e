"""conduit's MCP client: the only way into an MCP server (stdio, SSE, streamable HTTP).

Names load lazily so ``import conduit.mcp`` does not pay for ``import mcp``.
"""

from __future__ import annotations

from typing import Any

from conduit._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "MCPManager": "conduit.mcp.manager",
    "SyncMCPManager": "conduit.mcp.manager",
    "ServerConfig": "conduit.mcp.config",
    "load_servers": "conduit.mcp.config",
    "parse_mcp_json": "conduit.mcp.config",
    "expand_vars": "conduit.mcp.config",
    "ToolSpec": "conduit.mcp.adapter",
    "clean_schema": "conduit.mcp.adapter",
    "openai_tool_name": "conduit.mcp.adapter",
    "ToolResult": "conduit.mcp.results",
    "ImagePart": "conduit.mcp.results",
    "PinStore": "conduit.mcp.pins",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
