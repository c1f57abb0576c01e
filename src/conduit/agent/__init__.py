"""The agent runtime: a chat model with MCP and built-in media tools, on the governed pipeline."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "Agent": "conduit.agent.loop",
    "AgentResult": "conduit.agent.loop",
    "AgentEvent": "conduit.agent.loop",
    "choose_model": "conduit.agent.router",
    "Needs": "conduit.agent.router",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'conduit.agent' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
