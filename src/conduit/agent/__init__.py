"""The agent runtime: a chat model with MCP and built-in media tools, on the governed pipeline."""

from __future__ import annotations

from typing import Any

from conduit._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "Agent": "conduit.agent.loop",
    "AgentResult": "conduit.agent.loop",
    "AgentEvent": "conduit.agent.loop",
    "choose_model": "conduit.agent.router",
    "Needs": "conduit.agent.router",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
