"""Budgets end to end: the official SDK client, through conduit's pipeline, against the sandbox."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

import conduit
from conduit.budget import Budget, BudgetGate, store_for, wait_for_webhooks
from conduit.budget.alerts import BudgetAlert
from conduit.errors import BudgetExceeded
from conduit.ledger import open_ledger

MESSAGES = [{"role": "user", "content": "Say hello to the budget."}]


NO_PG = "CONDUIT_TEST_POSTGRES is not set: no PostgreSQL server to test the Postgres backend (.ci/postgres starts one)"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request: pytest.FixtureRequest, sandbox_env: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The sandbox, with the ledger (and so the budgets) on SQLite or on PostgreSQL."""
    if request.param == "sqlite":
        yield sandbox_env
        return
    base = os.environ.get("CONDUIT_TEST_POSTGRES")
    if not base:
        pytest.skip(NO_PG)
    from conduit.ledger.postgres import scratch_schema

    with scratch_schema(base, "t_e2e") as url:
        monkeypatch.setenv("CONDUIT_DB", url)
        conduit.get_settings.cache_clear()
        yield sandbox_env
        open_ledger(url).flush()  # rows still queued must land before the schema is dropped


def _rows() -> list[dict[str, Any]]:
    return list(reversed(open_ledger().exchanges()))


def _spent(key: str = "global@total") -> Decimal:
    return Decimal(store_for().usage(key, "total").spent) / 10**9


def test_block_refuses_before_anything_reaches_the_model(env: Any) -> None:
    client = conduit.OpenAI()
    with Budget("global", "0.01"):
        with pytest.raises(BudgetExceeded) as caught:
            client.chat.completions.create(model="gpt-5.4", messages=MESSAGES, max_completion_tokens=20_000)
    assert env.requests == []  # nothing was sent
    message = caught.value.message
    for part in ("global@total", "spent $0.00", "reserved $0.00", "limit $0.01", "worst-case estimate $0.30", "gpt-5.4"):
        assert part in message
    assert "conduit budget set global" in caught.value.hint
    [row] = _rows()
    assert (row["status"], row["error_class"], row["cost_usd"]) == ("refused", "BudgetExceeded", Decimal(0))
    assert store_for().reservations() == []


def test_block_lets_calls_through_until_the_limit_then_refuses(env: Any) -> None:
    client = conduit.OpenAI()
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=2000)  # learn one call's numbers
    [first] = _rows()
    cost, estimate = first["cost_usd"], first["estimate_usd"]
    assert 0 < cost < estimate
    # room for the worst case plus 2.5 actual calls: calls 1-3 fit, the 4th's worst case does not
    with Budget("project:p", estimate + cost * Decimal("2.5")):
        outcomes = []
        for _ in range(5):
            try:
                with conduit.scope(project="p"):
                    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=2000)
                outcomes.append("ok")
            except BudgetExceeded:
                outcomes.append("refused")
    assert outcomes == ["ok", "ok", "ok", "refused", "refused"]
    assert len(env.requests) == 1 + 3
    assert _spent("project:p@total") == cost * 3  # the ledger's cost of the settled calls, exactly


def test_downgrade_replans_on_the_cheapest_model_that_meets_the_request(env: Any) -> None:
    client = conduit.OpenAI()
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}]
    with Budget("global", "0.02", action="downgrade"):
        reply = client.chat.completions.create(model="gpt-5.4", messages=MESSAGES, tools=tools, max_completion_tokens=8000)
    [sent] = env.requests
    cheaper = sent.json["model"]
    assert cheaper != "gpt-5.4" and reply.model.startswith(cheaper)
    spec = conduit.lookup_model(cheaper)
    assert spec is not None and spec.features.tools and spec.status() == "active"
    assert sent.json["tools"] == tools  # the request's needs are kept
    [row] = _rows()
    assert row["requested_model"] == "gpt-5.4" and row["model"].startswith(cheaper)
    assert "budget downgrade: gpt-5.4 -> " + cheaper in row["note"]
    assert 0 < _spent() <= Decimal("0.02")


def test_downgrade_refuses_when_no_cheaper_model_fits(env: Any) -> None:
    client = conduit.OpenAI()
    with Budget("global", "0.0000001", action="downgrade"):
        with pytest.raises(BudgetExceeded, match="would be exceeded") as caught:
            client.chat.completions.create(model="gpt-5.4", messages=MESSAGES, max_completion_tokens=8000)
    assert "No cheaper catalog model" in caught.value.hint
    assert env.requests == []


def test_warn_proceeds_and_alerts(env: Any) -> None:
    alerts: list[BudgetAlert] = []
    client = conduit.OpenAI()
    with Budget("global", "0.0001", action="warn", on_alert=alerts.append):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=3000)
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=3000)
    assert len(env.requests) == 2  # warn never blocks
    kinds = [(a.kind, a.threshold) for a in alerts]
    assert kinds[0] == ("exceeded", 100)  # at reservation: this call runs the budget over
    assert kinds.count(("exceeded", 100)) == 1  # once per period
    assert store_for().alerts("global@total")  # recorded in the ledger


def test_budgets_from_conduit_toml_and_scopes(env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "conduit.toml"
    config.write_text(
        '[budgets]\ntimezone = "UTC"\n\n[budgets."user:ana"]\nlimit = "0.0001"\nperiod = "day"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("CONDUIT_CONFIG", str(config))
    conduit.get_settings.cache_clear()
    client = conduit.OpenAI()
    with conduit.scope(user="ana"):
        with pytest.raises(BudgetExceeded, match=r"user:ana@day for \d{4}-\d\d-\d\d"):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=2000)
    with conduit.scope(user="bob"):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=2000)
    assert len(env.requests) == 1
    assert [r["user_id"] for r in _rows()] == ["ana", "bob"]


def test_async_tasks_share_one_budget_without_overshoot(env: Any) -> None:
    limit = Decimal("0.006")

    async def main() -> list[str]:
        client = conduit.AsyncOpenAI()

        async def one(i: int) -> str:
            with conduit.scope(session=f"s{i % 3}"):
                try:
                    await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=2500)
                    return "ok"
                except BudgetExceeded:
                    return "refused"

        return await asyncio.gather(*(one(i) for i in range(12)))

    with Budget("global", limit):
        results = asyncio.run(main())
    assert "ok" in results and "refused" in results
    assert len(env.requests) == results.count("ok")
    assert _spent() <= limit
    assert store_for().usage("global@total", "total").reserved == 0
    assert _spent() == sum(r["cost_usd"] for r in _rows() if r["status"] == "ok")


def test_streaming_calls_settle_to_their_actual_cost(env: Any) -> None:
    client = conduit.OpenAI()
    with Budget("global", "1"):
        chunks = list(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True, max_tokens=500))
    assert chunks
    [row] = _rows()
    assert row["status"] == "ok" and row["cost_usd"] > 0
    assert _spent() == row["cost_usd"]
    assert store_for().reservations()[0]["state"] == "settled"


def test_unknown_price_is_refused_under_block_with_a_hint(env: Any) -> None:
    client = conduit.OpenAI()
    with Budget("global", "5"), pytest.warns(Warning, match="unknown"):
        with pytest.raises(BudgetExceeded, match="price of ft:gpt-4o-mini:acme::abc123 is unknown") as caught:
            client.chat.completions.create(model="ft:gpt-4o-mini:acme::abc123", messages=MESSAGES)
    assert "[prices." in caught.value.hint and env.requests == []


def test_unknown_price_passes_under_warn(env: Any) -> None:
    client = conduit.OpenAI()
    with Budget("global", "5", action="warn"):
        with pytest.warns(Warning, match="unknown"):
            client.chat.completions.create(model="ft:gpt-4o-mini:acme::abc123", messages=MESSAGES)
    assert len(env.requests) == 1
    [reservation] = store_for().reservations()
    assert reservation["state"] == "settled" and reservation["estimate_nanousd"] == 0


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["content-length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    _Hook.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Hook.received
    finally:
        server.shutdown()
        server.server_close()


def test_threshold_alerts_post_json_to_the_webhook(env: Any, webhook: tuple[str, list[dict[str, Any]]]) -> None:
    url, received = webhook
    client = conduit.OpenAI()
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=100)
    assert reply.usage is not None
    [first] = open_ledger().exchanges()
    one_call, estimate = first["cost_usd"], first["estimate_usd"]
    # limit = the worst case (so the call fits); the actual cost crosses the first threshold, not the second
    low = max(int(one_call / estimate * 100) - 1, 1)
    with Budget("session:hook", estimate, alerts=(low, 99), webhook=url):
        with conduit.scope(session="hook"):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=100)
    wait_for_webhooks()
    assert [(p["budget"], p["threshold"], p["kind"]) for p in received] == [("session:hook@total", low, "threshold")]
    assert Decimal(received[0]["spent_usd"]) == one_call and received[0]["event"] == "conduit.budget.alert"


_CRASH_WORKER = """
import sys
from decimal import Decimal
from conduit.budget import Budget
from conduit.pipeline.clients import wire_client
Budget("global", "5").activate()
client = wire_client()
print("calling", flush=True)
client.post("chat/completions", json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1000})
print("finished", flush=True)
"""


def test_a_worker_killed_mid_call_leaves_a_reservation_that_is_recovered(env: Any) -> None:
    from conduit.sandbox import Fault

    env.inject(Fault(kind="slow", delay=20.0, count=1))
    worker = subprocess.Popen([sys.executable, "-c", _CRASH_WORKER], stdout=subprocess.PIPE, text=True)
    store = store_for()
    try:
        deadline = time.monotonic() + 30
        while not (store.reservations("active") and env.requests):
            assert worker.poll() is None, "the worker ended before its call was in flight"
            assert time.monotonic() < deadline, "the worker's call never got in flight"
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    [held] = store.reservations("active")
    assert held["pid"] == worker.pid and store.usage("global@total", "total").reserved == held["estimate_nanousd"]
    assert open_ledger().exchanges() == []  # the crash left no exchange row...
    gate = BudgetGate(use_config=False)
    assert gate.recover() == [held["id"]]  # ...but the reservation is recovered, at its estimate
    usage = store.usage("global@total", "total")
    assert (usage.spent, usage.reserved) == (held["estimate_nanousd"], 0)
    assert gate.recover() == []  # and never counted twice
    assert store.reservations()[0]["state"] == "expired"


def test_a_retried_exchange_keeps_one_reservation_and_counts_a_maybe_billed_attempt(env: Any) -> None:
    """The resilience layer retries a dropped attempt; the budget holds and charges its worst case too."""
    from conduit.sandbox import Fault

    env.inject(Fault(kind="drop", count=1))
    client = conduit.OpenAI()
    with Budget("global", "1"):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=1000)
    assert len(env.requests) == 2
    rows = {r["status"]: r for r in _rows()}
    assert sorted(rows) == ["ok", "retried"]
    [reservation] = store_for().reservations()  # one reservation for the whole exchange...
    assert reservation["state"] == "settled"  # ...settled exactly once
    worst, actual = rows["retried"]["estimate_usd"], rows["ok"]["cost_usd"]
    assert reservation["extra_nanousd"] == int(worst * 10**9)  # the dropped attempt may have been billed
    assert _spent() == actual + worst
    assert store_for().usage("global@total", "total").reserved == 0


def test_free_requests_pass_any_budget(env: Any) -> None:
    """Listing models costs nothing: even an exhausted block budget lets it through."""
    client = conduit.OpenAI()
    with Budget("global", "0"):
        models = client.models.list()
        assert any(m.id == "gpt-4o-mini" for m in models)
        with pytest.raises(BudgetExceeded):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=10)
    assert store_for().reservations() == []


def test_an_endpoint_without_a_meter_is_refused_under_block_with_a_clear_reason(env: Any) -> None:
    from conduit.pipeline.clients import wire_client

    with Budget("global", "5"):
        # the legacy completions endpoint has no meter (embeddings and responses do, since they were added)
        with wire_client() as client, pytest.raises(BudgetExceeded, match="cannot estimate the worst-case cost of completions"):
            client.post("completions", json={"model": "gpt-4o-mini", "prompt": "hola"})
    assert env.requests == []
