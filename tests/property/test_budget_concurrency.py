"""Property: budgets never overshoot under concurrency, on SQLite and PostgreSQL.

Hypothesis draws a workload -- limits for a global and two user budgets, and
for 3 worker processes x 3 threads a list of chat calls with random
``max_tokens`` (the worst case reserved), random actual output (<= the
worst case) and random failures (a connection error, an HTTP 500). Every call
goes through the real pipeline (meter → budget gate → ledger) at once from
all threads of all processes against one database. Afterwards:

- settled spend <= limit on every budget;
- nothing is left reserved and no reservation is still active (none leaked);
- the ledger's cost sum equals each budget's settled spend, exactly (nano-USD);
- every call is in the ledger (ok, error or refused).

The worker processes are started once per test and fed one workload per
example over stdin, so an example costs milliseconds, not process start-ups.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MODEL = "gpt-4o-mini"
PROCESSES = 3
THREADS = 3
NO_PG = "CONDUIT_TEST_POSTGRES is not set: no PostgreSQL server to test the Postgres backend (.ci/postgres starts one)"


# --------------------------------------------------------------------------- worker side
def _run_calls(db: str, calls: list[dict[str, Any]], gate_budgets: list[Any]) -> dict[str, int]:
    from conduit.budget import BudgetGate
    from conduit.errors import BudgetExceeded
    from conduit.ledger import open_ledger
    from conduit.pipeline.context import scope
    from conduit.pipeline.core import Pipeline

    pipeline = Pipeline(open_ledger(db), budget=BudgetGate(db, use_config=False, recovery_interval=1e9))
    counts = {"ok": 0, "refused": 0, "failed": 0}
    for call in calls:
        body = {
            "model": MODEL,
            "messages": [{"role": "user", "content": call["prompt"]}],
            "max_tokens": call["max_tokens"],
        }
        with scope(user=call["user"]):
            try:
                exchange = pipeline.begin("POST", "/v1/chat/completions", json.dumps(body).encode(), "application/json")
            except BudgetExceeded:
                counts["refused"] += 1
                continue
        if call["fail"] == "raise":
            pipeline.fail(exchange, ConnectionError("connection reset by peer"))
            counts["failed"] += 1
        elif call["fail"] == "http500":
            pipeline.complete(exchange, 500, {}, b'{"error": {"message": "boom", "type": "server_error"}}')
            counts["failed"] += 1
        else:
            assert exchange.estimate is not None
            output = int(call["max_tokens"] * call["fraction"])
            prompt = exchange.estimate.usage.input_tokens
            response = {
                "id": "chatcmpl-x",
                "object": "chat.completion",
                "model": MODEL,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": prompt, "completion_tokens": output, "total_tokens": prompt + output},
            }
            pipeline.complete(exchange, 200, {}, json.dumps(response).encode())
            counts["ok"] += 1
    return counts


def _worker_main() -> None:
    """One worker process: read a workload per line, run its threads at once, answer with counts."""
    for line in sys.stdin:
        job = json.loads(line)
        results: list[dict[str, int]] = []
        errors: list[str] = []
        barrier = threading.Barrier(len(job["threads"]))

        def run(calls: list[dict[str, Any]]) -> None:
            try:
                barrier.wait()
                results.append(_run_calls(job["db"], calls, []))
            except BaseException as exc:  # reported to the test, which fails
                errors.append(f"{type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=run, args=(calls,)) for calls in job["threads"]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        from conduit.ledger import open_ledger

        open_ledger(job["db"]).flush()
        totals = {k: sum(r[k] for r in results) for k in ("ok", "refused", "failed")}
        print(json.dumps({"pid": os.getpid(), "errors": errors, **totals}), flush=True)


# --------------------------------------------------------------------------- test side
class Workers:
    """``PROCESSES`` long-lived worker processes fed over stdin."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("CONDUIT_CONFIG", None)
        self.procs = [
            subprocess.Popen(
                [sys.executable, __file__, "--worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
                cwd=str(Path(__file__).parent),
            )
            for _ in range(PROCESSES)
        ]

    def run(self, db: str, plans: list[list[list[dict[str, Any]]]]) -> list[dict[str, Any]]:
        for proc, threads in zip(self.procs, plans):
            assert proc.stdin is not None
            proc.stdin.write(json.dumps({"db": db, "threads": threads}) + "\n")
            proc.stdin.flush()
        answers = []
        for proc in self.procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line, f"worker {proc.pid} died (exit {proc.poll()})"
            answers.append(json.loads(line))
        return answers

    def close(self) -> None:
        for proc in self.procs:
            assert proc.stdin is not None
            proc.stdin.close()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def workers() -> Iterator[Workers]:
    pool = Workers()
    try:
        yield pool
    finally:
        pool.close()


_call = st.fixed_dictionaries(
    {
        "max_tokens": st.integers(1, 16_000),
        "fraction": st.floats(0.0, 1.0),
        "fail": st.sampled_from(["none", "none", "none", "raise", "http500"]),
        "user": st.sampled_from(["u0", "u1", "u2"]),
        "prompt": st.sampled_from(["hi", "write a haiku about ledgers", "x " * 200]),
    }
)
_workload = st.lists(
    st.lists(st.lists(_call, min_size=1, max_size=6), min_size=THREADS, max_size=THREADS),
    min_size=PROCESSES,
    max_size=PROCESSES,
)
_limit = st.decimals(min_value="0.0005", max_value="0.03", places=6)


def _check(db: str, budgets: list[Any], answers: list[dict[str, Any]], calls: int) -> None:
    from conduit.budget import store_for
    from conduit.ledger import open_ledger

    assert all(not a["errors"] for a in answers), [a["errors"] for a in answers]
    assert len({a["pid"] for a in answers}) == PROCESSES
    store = store_for(db)
    ledger = open_ledger(db)
    rows = ledger.exchanges()
    assert len(rows) == calls  # every call is in the ledger: ok, error or refused
    assert sum(a["refused"] for a in answers) == sum(1 for r in rows if r["status"] == "refused")
    assert store.reservations("active") == []  # no reservation leaked
    nano = {r["id"]: (r["cost_nanousd"] or 0) for r in ledger_rows_nano(ledger)}
    for budget in budgets:
        usage = store.usage(budget.key, "total")
        assert usage.reserved == 0
        assert usage.spent <= budget.limit_nano, f"{budget.key} overspent: {usage.spent} > {budget.limit_nano}"
        user = budget.scope.partition(":")[2] if budget.scope.startswith("user:") else None
        in_scope = [r for r in rows if user is None or r["user_id"] == user]
        assert usage.spent == sum(nano[r["id"]] for r in in_scope), f"{budget.key}: ledger sum != settled spend"
    assert ledger.totals()["cost_usd"] * 10**9 == store.usage("global@total", "total").spent


def ledger_rows_nano(ledger: Any) -> list[dict[str, Any]]:
    """(id, cost_nanousd) of every exchange, the exact integer the ledger sums."""
    with ledger._connection() as conn:
        return [{"id": r[0], "cost_nanousd": r[1]} for r in conn.execute("SELECT id, cost_nanousd FROM exchanges").fetchall()]


def _exercise(db: str, workers: Workers, plans: list[Any], limits: tuple[Any, Any]) -> None:
    from conduit.budget import Budget, store_for

    budgets = [Budget("global", limits[0]), Budget("user:u1", limits[1])]
    store = store_for(db)
    for budget in budgets:
        store.save_budget(budget)
    answers = workers.run(db, plans)
    _check(db, budgets, answers, sum(len(calls) for threads in plans for calls in threads))


_SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@_SETTINGS
@given(plans=_workload, global_limit=_limit, user_limit=_limit)
def test_sqlite_budgets_never_overshoot(workers: Workers, tmp_path_factory: pytest.TempPathFactory, plans: Any, global_limit: Any, user_limit: Any) -> None:
    db = str(tmp_path_factory.mktemp("budget") / "ledger.db")
    _exercise(db, workers, plans, (global_limit, user_limit))


@pytest.mark.postgres
@_SETTINGS
@given(plans=_workload, global_limit=_limit, user_limit=_limit)
def test_postgres_budgets_never_overshoot(workers: Workers, plans: Any, global_limit: Any, user_limit: Any) -> None:
    base = os.environ.get("CONDUIT_TEST_POSTGRES")
    if not base:
        pytest.skip(NO_PG)
    from conduit.ledger.postgres import scratch_schema

    with scratch_schema(base, "t_prop") as db:
        _exercise(db, workers, plans, (global_limit, user_limit))


def test_contention_actually_happens(workers: Workers, tmp_path: Path) -> None:
    """A fixed heavy workload: many calls race for a small limit, most are refused, none overshoot."""
    db = str(tmp_path / "ledger.db")
    call = {"max_tokens": 4000, "fraction": 1.0, "fail": "none", "user": "u1", "prompt": "hi"}
    plans = [[[call] * 12 for _ in range(THREADS)] for _ in range(PROCESSES)]
    from decimal import Decimal

    _exercise(db, workers, plans, (Decimal("0.02"), Decimal("0.015")))
    from conduit.budget import store_for

    spent = store_for(db).usage("user:u1@total", "total").spent
    per_call = 4000 * 600 + 9 * 150  # nano-USD: 4000 output tokens at $0.60/M + a ~9-token prompt at $0.15/M
    assert spent >= (Decimal("0.015") * 10**9) - 2 * per_call  # the budget was filled, not starved by the races


if __name__ == "__main__" and "--worker" in sys.argv:
    _worker_main()
