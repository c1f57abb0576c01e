"""One error family for everything conduit refuses or fails at.

Every error carries a ``message`` (what happened) and a ``hint`` (what to do),
so the CLI can print both without a traceback and library users can show
them to people. Errors raised before a request is sent guarantee that no
money was spent.
"""

from __future__ import annotations


class ConduitError(Exception):
    """Base of all conduit errors: a message plus a hint for the user."""

    hint: str = ""
    exit_code: int = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


class ConfigurationError(ConduitError):
    """Settings, config files or environment are missing or malformed."""


class MissingAPIKeyError(ConfigurationError):
    """No OpenAI key was found where conduit looks for one."""

    def __init__(self, message: str | None = None, hint: str | None = None) -> None:
        super().__init__(
            message or "No OpenAI API key found: OPENAI_API_KEY is not set.",
            hint
            or "Set OPENAI_API_KEY in the environment or in a .env file in the working directory, "
            "or run `conduit sandbox` / pass --sandbox to use the built-in simulation.",
        )


class ValidationError(ConduitError):
    """The request is malformed or breaks a model's rules; nothing was sent."""

    exit_code = 2


class UnknownModelError(ValidationError):
    """The model name is not in the catalog and the caller required a known model."""


class RetiredModelError(ValidationError):
    """The model has been shut down by OpenAI; the hint names its successor."""


class BudgetExceeded(ConduitError):
    """A budget would be exceeded by this call's worst-case cost; nothing was sent."""

    exit_code = 3


class SecurityError(ConduitError):
    """The guard refused content or a tool call (secret, injection, policy)."""

    exit_code = 4


class TokenizerError(ConduitError):
    """The offline tokenizer files are missing or do not match OpenAI's hashes."""


class LedgerError(ConduitError):
    """The ledger database cannot be opened, migrated or written."""


class UpstreamError(ConduitError):
    """The model API failed in a way retries could not fix."""


class MCPError(ConduitError):
    """An MCP server failed to start, answer or behave."""
