"""`conduit doctor`: the preflight checklist finds real problems and passes a healthy setup."""

from __future__ import annotations

import os

import pytest

from conduit.doctor import run_checks
from conduit.settings import get_settings


def _by_name(checks):
    return {c.name: c for c in checks}


def test_healthy_setup_passes_online(sandbox_env) -> None:
    checks = run_checks(get_settings(), online=True)
    assert not [c for c in checks if c.status == "fail"], checks
    named = _by_name(checks)
    assert named["api key"].status == "ok" and sandbox_env.api_key not in named["api key"].detail
    assert named["round trip"].status == "ok"
    assert sandbox_env.requests, "the online check made a real exchange"


def test_retired_default_model_fails(sandbox_env, monkeypatch) -> None:
    monkeypatch.setenv("CONDUIT_MODEL", "gpt-4")
    get_settings.cache_clear()
    check = _by_name(run_checks(get_settings()))["default model"]
    assert check.status == "fail" and "gpt-4.1" in check.detail + check.hint


def test_world_readable_dotenv_warns(sandbox_env, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-test-1234567890abcdef\n")
    os.chmod(tmp_path / ".env", 0o644)
    check = _by_name(run_checks(get_settings()))[".env permissions"]
    assert check.status == "warn" and "chmod 600" in check.hint


def test_missing_key_is_a_warning_not_a_failure(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("CONDUIT_DB", str(tmp_path / "l.db"))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    try:
        check = _by_name(run_checks(get_settings()))["api key"]
        assert check.status == "warn" and "OPENAI_API_KEY" in check.hint
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("probe", ["Bearer sk-proj-" + "A" * 40])
def test_redaction_check_reports_ok(probe, sandbox_env) -> None:
    assert _by_name(run_checks(get_settings()))["log redaction"].status == "ok"


def test_cli_exits_non_zero_when_a_check_fails(tmp_path) -> None:
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CONDUIT_"))}
    env.update(CONDUIT_MODEL="gpt-4", CONDUIT_DB=str(tmp_path / "l.db"))
    result = subprocess.run(
        [sys.executable, "-m", "conduit.cli.app", "doctor", "--json"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 1
    assert any(c["status"] == "fail" and c["name"] == "default model" for c in __import__("json").loads(result.stdout))


def test_budget_near_its_limit_warns(sandbox_env) -> None:
    import conduit

    # one call capped at 40 output tokens costs ~$0.0000234 of a $0.000028 budget: over 80 %
    conduit.Budget("global", "0.000028").save()
    conduit.OpenAI().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hola"}], max_completion_tokens=40
    )
    check = _by_name(run_checks(get_settings()))["global@total"]
    assert check.status == "warn" and "spent" in check.detail and check.hint


def test_mcp_least_privilege_findings(sandbox_env, monkeypatch, tmp_path) -> None:
    (tmp_path / "conduit.toml").write_text(
        '[mcp.servers.open]\ncommand = "definitely-not-installed-xyz"\n'
        '[mcp.servers.leaky]\ncommand = "python3"\nallow = ["read_*"]\npass_env = ["OPENAI_API_KEY"]\n'
    )
    monkeypatch.setenv("CONDUIT_CONFIG", str(tmp_path / "conduit.toml"))
    get_settings.cache_clear()
    named = _by_name(run_checks(get_settings()))
    assert named["open"].status == "fail" and "not found" in named["open"].detail
    assert "every tool" in named["open"].detail
    assert named["leaky"].status == "warn" and "OpenAI key" in named["leaky"].detail


def test_guard_self_test_passes(sandbox_env) -> None:
    assert _by_name(run_checks(get_settings()))["guard self-test"].status == "ok"
