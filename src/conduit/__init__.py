"""conduit: a governed runtime for OpenAI models and MCP tools.

``import conduit`` stays light: the public names below are loaded on first
use (PEP 562), so the CLI does not pay for ``openai`` or ``mcp`` imports it
does not need.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from conduit._lazy import lazy_exports

# a library leaves logging to its host: no "last resort" stderr lines unless configured
# (CONDUIT_LOG_LEVEL / CONDUIT_LOG_FILE, or the application's own handlers)
logging.getLogger("conduit").addHandler(logging.NullHandler())

__version__ = "0.1.0"

# public name -> "module" (same name there) or "module:attribute"
_EXPORTS: dict[str, str] = {
    # errors
    "ConduitError": "conduit.errors",
    "ConfigurationError": "conduit.errors",
    "MissingAPIKeyError": "conduit.errors",
    "ValidationError": "conduit.errors",
    "UnknownModelError": "conduit.errors",
    "RetiredModelError": "conduit.errors",
    "BudgetExceeded": "conduit.errors",
    "SecurityError": "conduit.errors",
    "TokenizerError": "conduit.errors",
    "LedgerError": "conduit.errors",
    "UpstreamError": "conduit.errors",
    "MCPError": "conduit.errors",
    # core types
    "Usage": "conduit.usage",
    "Settings": "conduit.settings",
    "get_settings": "conduit.settings",
    # tokens
    "count_tokens": "conduit.tokens",
    "count_message_tokens": "conduit.tokens",
    "image_input_tokens": "conduit.tokens",
    "encoding_for_model": "conduit.tokens",
    "count_messages": "conduit.tokens",
    "count_tool_tokens": "conduit.tokens",
    "count_response_input_tokens": "conduit.tokens",
    "TokenCount": "conduit.tokens",
    # catalog
    "price": "conduit.catalog:price_usd",  # the API: Decimal, or None when unknown
    "quote": "conduit.catalog:price",  # the full Price (usd, source, version, breakdown)
    "lookup_model": "conduit.catalog",
    "price_usd": "conduit.catalog",
    "Price": "conduit.catalog",
    "ModelSpec": "conduit.catalog",
    "check_model": "conduit.catalog",
    "list_models": "conduit.catalog",
    "worst_case_output_tokens": "conduit.catalog",
    # clients
    "OpenAI": "conduit.pipeline.clients",
    "AsyncOpenAI": "conduit.pipeline.clients",
    "GovernedTransport": "conduit.pipeline.transport",
    "AsyncGovernedTransport": "conduit.pipeline.transport",
    "scope": "conduit.pipeline.context",
    "Scope": "conduit.pipeline.context",
    # budgets
    "Budget": "conduit.budget",
    "BudgetAlert": "conduit.budget",
    "BudgetGate": "conduit.budget",
    # ledger
    "Ledger": "conduit.ledger",
    "open_ledger": "conduit.ledger",
    # mcp
    "MCPManager": "conduit.mcp.manager",
    "SyncMCPManager": "conduit.mcp.manager",
    # agent
    "Agent": "conduit.agent.loop",
    "AgentResult": "conduit.agent.loop",
    # guard
    "secret": "conduit.guard.secret_handles",
    "SecretHandle": "conduit.guard.secret_handles",
    "redact": "conduit.guard.secrets",
    "find_secrets": "conduit.guard.secrets",
    "wrap_untrusted": "conduit.guard.untrusted",
    "SECURITY_PREAMBLE": "conduit.guard.untrusted",
    "Taint": "conduit.guard.untrusted",
    "ToolPolicy": "conduit.guard.untrusted",
    "ToolCallRequest": "conduit.guard.untrusted",
    "GuardPolicy": "conduit.guard.policy",
    "screen_request": "conduit.guard.policy",
    "scan_tool": "conduit.guard.tooldefs",
    "tool_fingerprint": "conduit.guard.tooldefs",
    # media (images, transcription, speech)
    "screen_prompts": "conduit.media.moderation",
    "ContentFlagged": "conduit.media.moderation",
    "split_text": "conduit.media.text",
    "join_audio": "conduit.media.join",
    "split_audio": "conduit.media.split",
    # sandbox
    "Sandbox": "conduit.sandbox",
    "Fault": "conduit.sandbox",
    "ScriptedReply": "conduit.sandbox",
    # resilience
    "Resilience": "conduit.pipeline.resilience",
    "ResilienceConfig": "conduit.pipeline.resilience",
    "ResilienceEvent": "conduit.pipeline.resilience",
    "use_resilience": "conduit.pipeline.resilience",
    "FakeClock": "conduit.pipeline.resilience",
    "CircuitOpenError": "conduit.pipeline.resilience",
    "RateLimitQueueFull": "conduit.pipeline.resilience",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from conduit.errors import *  # noqa: F403
    from conduit.usage import Usage
