"""`conduit ask` under faults: waits shown as they happen, a billing hint for insufficient_quota."""

from __future__ import annotations

import json
import random

import pytest
from typer.testing import CliRunner

from conduit.pipeline.resilience import FakeClock, Resilience, ResilienceConfig, use_resilience
from conduit.sandbox import Fault


@pytest.fixture
def run_cli():
    from conduit.cli.app import app

    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args))

    return run


def _resilience(clock: FakeClock, **section) -> Resilience:
    return Resilience(ResilienceConfig.from_mapping({"hint_jitter": 0.0, **section}), clock=clock, rng=random.Random(1))


def test_ask_prints_each_wait_on_stderr_and_the_attempts_in_the_summary(sandbox_env, run_cli) -> None:
    sandbox_env.inject(Fault("rate_limit", count=2, retry_after=2.1))
    clock = FakeClock()
    with use_resilience(_resilience(clock)):
        result = run_cli("ask", "hola", "--model", "gpt-4o-mini", "--no-stream")
    assert result.exit_code == 0, result.output
    assert "rate limited, retrying in 2.1 s (attempt 2/6)" in result.stderr
    assert "rate limited, retrying in 2.1 s (attempt 3/6)" in result.stderr
    assert "3 attempts" in " ".join(result.stderr.split())  # (rich wraps at the terminal width)
    assert "retrying" not in result.stdout  # stdout stays the answer
    assert clock.sleeps == [2.1, 2.1]


def test_ask_json_reports_the_fallback(sandbox_env, run_cli) -> None:
    sandbox_env.inject(Fault("unavailable", count=None, model="gpt-4o"))
    section = {"max_attempts": 2, "fallbacks": {"gpt-4o": ["gpt-4o-mini"]}}
    with use_resilience(_resilience(FakeClock(), **section)):
        result = run_cli("ask", "hola", "--model", "gpt-4o", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["fallback_from"] == "gpt-4o" and data["model"].startswith("gpt-4o-mini")
    assert data["attempts"] == 3
    assert "falling back to gpt-4o-mini" in result.stderr


def test_insufficient_quota_fails_at_once_with_a_billing_hint(sandbox_env, run_cli) -> None:
    from conduit.errors import UpstreamError

    sandbox_env.inject(Fault("insufficient_quota", count=1))
    clock = FakeClock()
    with use_resilience(_resilience(clock)):
        result = run_cli("ask", "hola", "--model", "gpt-4o-mini", "--no-stream")
    assert isinstance(result.exception, UpstreamError)
    assert "billing" in result.exception.hint and "did not retry" in result.exception.hint
    assert len(sandbox_env.requests) == 1 and clock.sleeps == []
