"""Where conduit's configuration comes from, in one place.

Precedence: environment variables > ``.env`` in the working directory >
``conduit.toml`` > defaults. The API key is read from the environment or
``.env`` only (never from ``conduit.toml``, which tends to get committed) and
is held as a ``SecretStr`` so it cannot leak through ``repr``, logs or the
ledger.
"""

from __future__ import annotations

import functools
import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from conduit.errors import ConfigurationError, MissingAPIKeyError

OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
_FORBIDDEN_TOML_KEYS = ("api_key", "openai_api_key", "key")


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("conduit", appauthor=False))


def default_db_url() -> str:
    return str(default_data_dir() / "ledger.db")


class Settings(BaseSettings):
    """Runtime settings. ``config`` holds the whole parsed ``conduit.toml`` for
    modules that own a section of it (``[budgets]``, ``[mcp]``, ``[guard]``...)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    openai_api_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("OPENAI_API_KEY"))
    base_url: str = Field(default=OPENAI_DEFAULT_BASE_URL, validation_alias=AliasChoices("OPENAI_BASE_URL"))
    organization: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_ORG_ID", "OPENAI_ORGANIZATION"))
    project_id: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_PROJECT_ID"))
    db_url: str = Field(default_factory=default_db_url, validation_alias=AliasChoices("CONDUIT_DB"))
    config_path: Path = Field(default=Path("conduit.toml"), validation_alias=AliasChoices("CONDUIT_CONFIG"))
    default_model: str = Field(default="gpt-5.4-mini", validation_alias=AliasChoices("CONDUIT_MODEL"))
    project: str | None = Field(default=None, validation_alias=AliasChoices("CONDUIT_PROJECT"))
    user: str | None = Field(default=None, validation_alias=AliasChoices("CONDUIT_USER"))
    session: str | None = Field(default=None, validation_alias=AliasChoices("CONDUIT_SESSION"))
    log_level: str = Field(default="WARNING", validation_alias=AliasChoices("CONDUIT_LOG_LEVEL"))
    log_file: Path | None = Field(default=None, validation_alias=AliasChoices("CONDUIT_LOG_FILE"))
    store_content: bool = Field(default=False, validation_alias=AliasChoices("CONDUIT_STORE_CONTENT"))
    config: dict[str, Any] = Field(default_factory=dict)

    @property
    def has_api_key(self) -> bool:
        return self.openai_api_key is not None and bool(self.openai_api_key.get_secret_value().strip())

    def require_api_key(self) -> str:
        """The key's value, for the one place that must send it (the HTTP client)."""
        if not self.has_api_key:
            raise MissingAPIKeyError()
        assert self.openai_api_key is not None
        return self.openai_api_key.get_secret_value().strip()

    def section(self, name: str) -> dict[str, Any]:
        value = self.config.get(name, {})
        return value if isinstance(value, dict) else {}


def load_toml(path: Path) -> dict[str, Any]:
    """Parse ``conduit.toml``; refuse API keys in it so they never get committed."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path} is not valid TOML: {exc}", "Fix the syntax, or move the file away.") from exc
    _refuse_keys(data, path)
    return data


def _refuse_keys(data: dict[str, Any], path: Path, prefix: str = "") -> None:
    for key, value in data.items():
        if key.lower() in _FORBIDDEN_TOML_KEYS and isinstance(value, str):
            raise ConfigurationError(
                f"{path} holds an API key at '{prefix}{key}'; conduit reads keys from the environment or .env only.",
                "Move it to OPENAI_API_KEY in a .env file (and keep .env out of version control).",
            )
        if isinstance(value, dict):
            _refuse_keys(value, path, f"{prefix}{key}.")


def _toml_defaults(config: dict[str, Any]) -> dict[str, Any]:
    """Top-level ``[conduit]`` keys that map to Settings fields."""
    section = config.get("conduit", {})
    allowed = {"default_model", "project", "user", "base_url", "log_level", "store_content"}
    return {k: v for k, v in section.items() if k in allowed} if isinstance(section, dict) else {}


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for this process (cached; tests call ``get_settings.cache_clear()``)."""
    config_path = Path(os.environ.get("CONDUIT_CONFIG", "conduit.toml"))
    config = load_toml(config_path)
    defaults = _toml_defaults(config)
    env_settings = Settings(config=config)
    # toml values apply only where env/.env left the default in place
    overrides = {k: v for k, v in defaults.items() if getattr(env_settings, k) == Settings.model_fields[k].default}
    return env_settings.model_copy(update=overrides) if overrides else env_settings
