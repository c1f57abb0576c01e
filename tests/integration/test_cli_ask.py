"""`conduit ask` and `conduit usage` as a user runs them (real processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conduit.cli.app", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
    )


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CONDUIT_"))}
    env["CONDUIT_DB"] = str(tmp_path / "ledger.db")
    return env


def test_ask_without_key_runs_simulation_and_says_so(cli_env, tmp_path) -> None:
    result = _run(["ask", "¿Cuál es la capital de Francia?", "--model", "gpt-4o-mini", "--json"], cli_env, tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["simulated"] is True
    assert "simulation" in result.stderr
    assert data["model"] == "gpt-4o-mini"
    assert data["usage"]["prompt_tokens"] > 0 and data["usage"]["completion_tokens"] > 0
    assert float(data["cost_usd"]) > 0 and data["exchange_id"].startswith("ex_")

    usage = _run(["usage", "--json"], cli_env, tmp_path)
    assert usage.returncode == 0, usage.stderr
    rows = json.loads(usage.stdout)
    assert [r["id"] for r in rows] == [data["exchange_id"]]
    assert rows[0]["cost_usd"] == data["cost_usd"]


def test_ask_streams_text_and_prints_cost(cli_env, tmp_path) -> None:
    result = _run(["ask", "hola", "--stream", "--model", "gpt-4o", "--system", "Be brief."], cli_env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "simulated reply" in result.stdout
    assert "$" in result.stderr and "in /" in result.stderr
    table = _run(["usage"], cli_env, tmp_path)
    assert "chat.completions" in table.stdout and "1 exchanges" in table.stdout
    # issue 7: estimate accuracy is reported next to the actuals
    assert "input-token estimates exact in 1/1" in table.stdout and "reserved worst case" in table.stdout


def test_retired_model_fails_before_any_call_with_successor_hint(cli_env, tmp_path) -> None:
    result = _run(["ask", "hola", "--model", "gpt-4"], cli_env, tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "shut down" in result.stderr and "gpt-4.1" in result.stderr
    assert "[models]" in result.stderr  # hint text survives rich markup


def test_bad_option_is_a_usage_error_not_a_traceback(cli_env, tmp_path) -> None:
    result = _run(["ask", "hola", "--max-tokens", "0"], cli_env, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "--max-tokens" in result.stderr


def test_log_settings_write_redacted_json_lines(cli_env, tmp_path) -> None:
    log = tmp_path / "conduit.log"
    env = {**cli_env, "CONDUIT_LOG_LEVEL": "INFO", "CONDUIT_LOG_FILE": str(log)}
    result = _run(["ask", "hola", "--no-stream", "--json"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    exchange = json.loads(result.stdout)["exchange_id"]
    assert any(line.get("exchange_id") == exchange and line["level"] == "info" for line in lines)


def test_cut_off_answer_warns(cli_env, tmp_path) -> None:
    result = _run(["ask", "hola", "--no-stream", "--max-tokens", "50"], cli_env, tmp_path)
    assert result.returncode == 0 and "cut off" in result.stderr and "--max-tokens 50" in result.stderr
    data = json.loads(_run(["ask", "hola", "--max-tokens", "50", "--json"], cli_env, tmp_path).stdout)
    assert data["finish_reason"] == "length"


def test_a_running_sandbox_reached_by_url_is_reported_as_simulated(cli_env, tmp_path, sandbox) -> None:
    env = {**cli_env, "OPENAI_BASE_URL": sandbox.base_url, "OPENAI_API_KEY": sandbox.api_key}
    data = json.loads(_run(["ask", "hola", "--json"], env, tmp_path).stdout)
    assert data["simulated"] is True
