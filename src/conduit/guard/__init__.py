"""conduit's guard: secrets, injection screening, untrusted-content marking, tool policy.

A pure library (no network, no ``openai``/``mcp`` imports) that the
pipeline, the ledger, the logger and the MCP/agent layers call. Names load
lazily so ``redact`` on a log line does not import the injection screen.

- ``conduit.guard.secrets``        find_secrets, redact, redact_obj
- ``conduit.guard.unicode``        sanitize (invisible / bidi / tag characters)
- ``conduit.guard.injection``      screen -> Verdict(score, action, reasons)
- ``conduit.guard.untrusted``      wrap_untrusted, SECURITY_PREAMBLE, Taint, ToolPolicy
- ``conduit.guard.secret_handles`` secret, substitute, scrub
- ``conduit.guard.tooldefs``       scan_tool, scan_tools, tool_fingerprint
- ``conduit.guard.paths``          check_path, contain
- ``conduit.guard.policy``         GuardPolicy, screen_request
"""

from __future__ import annotations

from typing import Any

from conduit._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "SecretFinding": "conduit.guard.secrets",
    "find_secrets": "conduit.guard.secrets",
    "redact": "conduit.guard.secrets",
    "redact_obj": "conduit.guard.secrets",
    "sanitize": "conduit.guard.unicode",
    "UnicodeFinding": "conduit.guard.unicode",
    "screen": "conduit.guard.injection",
    "Verdict": "conduit.guard.injection",
    "Reason": "conduit.guard.injection",
    "Thresholds": "conduit.guard.injection",
    "wrap_untrusted": "conduit.guard.untrusted",
    "SECURITY_PREAMBLE": "conduit.guard.untrusted",
    "Taint": "conduit.guard.untrusted",
    "ToolPolicy": "conduit.guard.untrusted",
    "ToolCallRequest": "conduit.guard.untrusted",
    "ToolDecision": "conduit.guard.untrusted",
    "interactive_approver": "conduit.guard.untrusted",
    "SecretHandle": "conduit.guard.secret_handles",
    "secret": "conduit.guard.secret_handles",
    "substitute": "conduit.guard.secret_handles",
    "scrub": "conduit.guard.secret_handles",
    "Finding": "conduit.guard.tooldefs",
    "scan_tool": "conduit.guard.tooldefs",
    "scan_tools": "conduit.guard.tooldefs",
    "tool_fingerprint": "conduit.guard.tooldefs",
    "check_path": "conduit.guard.paths",
    "contain": "conduit.guard.paths",
    "GuardPolicy": "conduit.guard.policy",
    "screen_request": "conduit.guard.policy",
    "screen_request_report": "conduit.guard.policy",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
