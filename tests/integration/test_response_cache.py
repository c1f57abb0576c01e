"""The opt-in response cache: identical requests answered from the ledger, still governed."""

from __future__ import annotations

from decimal import Decimal

import pytest

import conduit
from conduit.ledger import open_ledger
from conduit.settings import get_settings

MESSAGES = [{"role": "user", "content": "¿Cuál es la capital de Francia?"}]


@pytest.fixture
def cached_env(sandbox_env, tmp_path, monkeypatch):
    (tmp_path / "conduit.toml").write_text('[cache]\nenabled = true\nttl = 3600\n')
    monkeypatch.setenv("CONDUIT_CONFIG", str(tmp_path / "conduit.toml"))
    get_settings.cache_clear()
    return sandbox_env


def test_identical_request_is_answered_from_the_cache_at_no_cost(cached_env) -> None:
    client = conduit.OpenAI()
    first = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)
    second = raw.parse()
    assert raw.headers["x-conduit-cache"] == "hit"
    assert second.choices[0].message.content == first.choices[0].message.content
    assert len(cached_env.requests) == 1  # the second never reached the API
    rows = sorted(open_ledger().exchanges(), key=lambda r: r["created_at"])
    assert [r["status"] for r in rows] == ["ok", "cached"]
    assert rows[1]["cost_usd"] == Decimal(0) and rows[0]["id"] in rows[1]["note"]
    assert f"saved ${rows[0]['cost_usd']}" in rows[1]["note"]
    totals = open_ledger().totals()
    assert totals["exchanges"] == 2 and totals["failed"] == 0 and totals["cost_usd"] == rows[0]["cost_usd"]


def test_any_parameter_change_misses(cached_env) -> None:
    client = conduit.OpenAI()
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_completion_tokens=50)
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert len(cached_env.requests) == 3


def test_streams_are_not_cached(cached_env) -> None:
    client = conduit.OpenAI()
    for _ in range(2):
        list(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    assert len(cached_env.requests) == 2


def test_expired_entries_miss(cached_env, monkeypatch) -> None:
    import time as _time

    client = conduit.OpenAI()
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    later = _time.time() + 7200  # past the 3600 s TTL
    monkeypatch.setattr("conduit.pipeline.cache.time.time", lambda: later)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(cached_env.requests) == 2


def test_a_cache_hit_still_passes_the_guard_and_the_budget(cached_env) -> None:
    client = conduit.OpenAI()
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    with pytest.raises(conduit.BudgetExceeded):
        with conduit.Budget("global", "0.000000001"):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(cached_env.requests) == 1


def test_cache_is_off_unless_enabled(sandbox_env) -> None:
    client = conduit.OpenAI()
    for _ in range(2):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(sandbox_env.requests) == 2


def test_bad_cache_config_is_a_clear_error(sandbox_env, tmp_path, monkeypatch) -> None:
    (tmp_path / "conduit.toml").write_text('[cache]\nenabled = true\nttl = -5\n')
    monkeypatch.setenv("CONDUIT_CONFIG", str(tmp_path / "conduit.toml"))
    get_settings.cache_clear()
    with pytest.raises(conduit.ConfigurationError, match="ttl"):
        conduit.OpenAI()


def test_cli_cache_stats_and_clear(cached_env) -> None:
    import json
    import os
    import subprocess
    import sys

    client = conduit.OpenAI()
    for _ in range(3):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "conduit.cli.app", "cache", *args], capture_output=True, text=True, env=dict(os.environ), timeout=60
    )
    stats = json.loads(run("stats", "--json").stdout)
    assert stats["enabled"] and stats["entries"] == 1 and stats["hits"] == 2 and Decimal(stats["saved_usd"]) > 0
    assert "removed 1" in run("clear").stdout
    after = json.loads(run("stats", "--json").stdout)
    assert after["entries"] == 0 and after["hits"] == 2 and after["saved_usd"] == stats["saved_usd"]  # history stays
