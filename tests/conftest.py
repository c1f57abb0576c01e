"""Shared fixtures: the simulated OpenAI endpoint every test talks to.

- ``sandbox``: one :class:`conduit.sandbox.Sandbox` per test session (starting
  it per test would cost a thread and a port each time), reset before every
  test that uses it so faults, scripts and the request log never leak between
  tests.
- ``sandbox_env``: points the environment at that sandbox (``OPENAI_BASE_URL``,
  ``OPENAI_API_KEY``) and the ledger at a fresh SQLite file (``CONDUIT_DB``),
  and drops any cached settings so code under test sees them.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Iterator

import pytest

from conduit.sandbox import Sandbox

# Tests must not change behaviour as the calendar moves past model shutdown dates: the
# sandbox decides which models are shut down as of this date (override: CONDUIT_SANDBOX_DATE).
SANDBOX_DATE = _dt.date.fromisoformat(os.environ.get("CONDUIT_SANDBOX_DATE", "2026-11-26"))


def pytest_configure(config: pytest.Config) -> None:
    # sandboxes started in child processes (CLI tests: `conduit ask` without a key) use it too
    os.environ.setdefault("CONDUIT_SANDBOX_DATE", SANDBOX_DATE.isoformat())


@pytest.fixture(scope="session")
def _sandbox_server() -> Iterator[Sandbox]:
    server = Sandbox(as_of=SANDBOX_DATE).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sandbox(_sandbox_server: Sandbox) -> Sandbox:
    """The session's sandbox, with faults, scripts, prompt cache and request log cleared."""
    _sandbox_server.reset()
    return _sandbox_server


@pytest.fixture
def sandbox_env(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """Environment wired to the sandbox and a per-test ledger file; yields the sandbox."""
    monkeypatch.setenv("OPENAI_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", sandbox.api_key)
    monkeypatch.setenv("CONDUIT_DB", str(tmp_path / "ledger.db"))
    _clear_settings_cache()
    yield sandbox
    monkeypatch.undo()  # restore the environment before dropping the cache, so no test sees sandbox settings
    _clear_settings_cache()


def _clear_settings_cache() -> None:
    try:
        from conduit.settings import get_settings
    except ImportError:
        return
    cache_clear = getattr(get_settings, "cache_clear", None)
    if callable(cache_clear):
        cache_clear()
