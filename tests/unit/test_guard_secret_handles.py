"""Secret handles: placeholder for the model, value only inside the call, scrubbed results."""

from __future__ import annotations

import base64
import pickle
import urllib.parse
from pathlib import Path

import pytest

from conduit.errors import ConfigurationError, SecurityError
from conduit.guard.secret_handles import placeholder_for, scrub, secret, substitute
from conduit.guard.secrets import redact

VALUE = "pw-Orchid-7781!"


@pytest.fixture()
def handle(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DB_PASSWORD", VALUE)
    h = secret("DB_PASSWORD")
    yield h
    h.forget()


def test_handle_never_shows_its_value(handle) -> None:  # type: ignore[no-untyped-def]
    assert str(handle) == "{{secret:DB_PASSWORD}}" == handle.placeholder == placeholder_for("DB_PASSWORD")
    assert VALUE not in repr(handle) and VALUE not in f"{handle}"
    assert handle.reveal() == VALUE
    with pytest.raises(TypeError):
        pickle.dumps(handle)


def test_substitute_only_inside_the_arguments(handle) -> None:  # type: ignore[no-untyped-def]
    arguments = {"dsn": "postgres://app:{{secret:DB_PASSWORD}}@db/app", "opts": ["{{ secret:DB_PASSWORD }}", 3]}
    real = substitute(arguments, [handle])
    assert real == {"dsn": f"postgres://app:{VALUE}@db/app", "opts": [VALUE, 3]}
    assert "{{secret:DB_PASSWORD}}" in arguments["dsn"]  # original untouched


def test_substitute_refuses_secrets_the_tool_was_not_given(handle) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SecurityError, match="OTHER_TOKEN"):
        substitute({"x": "{{secret:OTHER_TOKEN}}"}, [handle])


def test_scrub_removes_plain_and_encoded_values(handle) -> None:  # type: ignore[no-untyped-def]
    result = {
        "echo": f"connected with {VALUE}",
        "url": "https://x/?p=" + urllib.parse.quote(VALUE, safe=""),
        "b64": base64.b64encode(VALUE.encode()).decode(),
        "hex": VALUE.encode().hex(),
    }
    scrubbed = scrub(result, {"DB_PASSWORD": handle})
    flat = repr(scrubbed)
    assert VALUE not in flat and urllib.parse.quote(VALUE, safe="") not in flat
    assert base64.b64encode(VALUE.encode()).decode() not in flat and VALUE.encode().hex() not in flat
    assert scrubbed["echo"] == "connected with {{secret:DB_PASSWORD}}"


def test_registered_values_are_redacted_everywhere(handle) -> None:  # type: ignore[no-untyped-def]
    assert redact(f"log: dsn uses {VALUE}") == "log: dsn uses [REDACTED:handle:DB_PASSWORD]"
    handle.forget()
    assert VALUE in redact(f"log: dsn uses {VALUE}")


def test_missing_and_invalid_secrets_are_configuration_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NOPE_SECRET", raising=False)
    with pytest.raises(ConfigurationError, match="NOPE_SECRET"):
        secret("NOPE_SECRET", env_file=tmp_path / ".env")
    with pytest.raises(ConfigurationError):
        secret("bad name", value="x")


def test_value_from_dotenv_and_explicit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("API_TOKEN_X", raising=False)
    env = tmp_path / ".env"
    env.write_text("API_TOKEN_X=from-dotenv-123\n")
    h = secret("API_TOKEN_X", env_file=env)
    assert h.reveal() == "from-dotenv-123"
    h.forget()
    v = secret("VAULT_ITEM", value="from-vault-456")
    assert v.reveal() == "from-vault-456"
    v.forget()
