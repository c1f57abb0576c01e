"""The shared fixtures in tests/conftest.py do what other tests rely on."""

from __future__ import annotations

import os

import openai

from conduit.sandbox import Fault, Sandbox


def test_sandbox_env_points_clients_and_ledger(sandbox_env: Sandbox, tmp_path: object) -> None:
    assert os.environ["OPENAI_BASE_URL"] == sandbox_env.base_url
    assert os.environ["OPENAI_API_KEY"] == sandbox_env.api_key
    assert os.environ["CONDUIT_DB"].endswith("ledger.db") and str(tmp_path) in os.environ["CONDUIT_DB"]
    client = openai.OpenAI(max_retries=0)  # reads the environment, as user code would
    assert client.models.retrieve("gpt-4o-mini").id == "gpt-4o-mini"
    from conduit.settings import get_settings

    settings = get_settings()
    assert settings.base_url == sandbox_env.base_url and settings.has_api_key


def test_sandbox_is_reset_between_tests_part_one(sandbox: Sandbox) -> None:
    sandbox.inject(Fault("server_error", count=None))
    assert sandbox.state.faults.snapshot()


def test_sandbox_is_reset_between_tests_part_two(sandbox: Sandbox) -> None:
    assert sandbox.state.faults.snapshot() == [] and sandbox.requests == []
    assert sandbox.base_url.startswith("http://127.0.0.1:") and sandbox.base_url.endswith("/v1")
    assert sandbox.api_key.startswith("sk-sandbox-")
