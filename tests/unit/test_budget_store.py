"""The budget store on SQLite and PostgreSQL: reserve, settle, release, extend, recover, alerts."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest

from conduit.budget import Budget, BudgetGate, Charge, on_alert, remove_alert_callback
from conduit.budget.alerts import BudgetAlert
from conduit.budget.spec import to_nano
from conduit.budget.store import BudgetStore, store_for
from conduit.errors import BudgetExceeded

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
NO_PG = "CONDUIT_TEST_POSTGRES is not set: no PostgreSQL server to test the Postgres backend (.ci/postgres starts one)"


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty ledger database per test, on each backend."""
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.db")
        return
    base = os.environ.get("CONDUIT_TEST_POSTGRES")
    if not base:
        pytest.skip(NO_PG)
    from conduit.ledger.postgres import scratch_schema

    with scratch_schema(base, "t_budget") as url:
        yield url


@pytest.fixture
def store(db_url: str) -> BudgetStore:
    return store_for(db_url)


def usd(text: str) -> int:
    return to_nano(Decimal(text))


def usage(store: BudgetStore, budget: Budget) -> tuple[Decimal, Decimal]:
    row = store.usage(budget.key, budget.window(__import__("time").time()).key)
    return Decimal(row.spent) / 10**9, Decimal(row.reserved) / 10**9


def test_reserve_then_settle_replaces_the_estimate_with_the_actual(store: BudgetStore) -> None:
    budget = Budget("global", "1.00")
    outcome = store.reserve(Charge(), usd("0.30"), {budget.key: budget})
    assert outcome.reservation is not None and not outcome.refused
    assert usage(store, budget) == (Decimal(0), Decimal("0.30"))
    store.settle(outcome.reservation.id, usd("0.12"))
    assert usage(store, budget) == (Decimal("0.12"), Decimal(0))
    store.settle(outcome.reservation.id, usd("0.12"))  # idempotent: settled exactly once
    assert usage(store, budget) == (Decimal("0.12"), Decimal(0))
    [row] = store.reservations()
    assert row["state"] == "settled" and row["actual_nanousd"] == usd("0.12")


def test_a_reservation_that_would_pass_the_limit_is_refused_and_writes_nothing(store: BudgetStore) -> None:
    budget = Budget("global", "1.00")
    first = store.reserve(Charge(), usd("0.70"), {budget.key: budget})
    assert first.reservation is not None
    second = store.reserve(Charge(), usd("0.31"), {budget.key: budget})
    assert second.reservation is None
    [short] = second.refused
    assert (short.spent, short.reserved, short.estimate) == (0, usd("0.70"), usd("0.31"))
    assert usage(store, budget) == (Decimal(0), Decimal("0.70"))
    assert len(store.reservations()) == 1
    exact = store.reserve(Charge(), usd("0.30"), {budget.key: budget})  # exactly up to the limit is allowed
    assert exact.reservation is not None


def test_all_applicable_budgets_are_held_or_none(store: BudgetStore) -> None:
    """One transaction: if the user budget refuses, the global one is not touched either."""
    glob, ana = Budget("global", "10"), Budget("user:ana", "0.50")
    local = {glob.key: glob, ana.key: ana}
    assert store.reserve(Charge(user="bob"), usd("0.60"), local).reservation is not None  # ana's budget does not apply
    refused = store.reserve(Charge(user="ana"), usd("0.60"), local)
    assert refused.reservation is None and [s.budget.key for s in refused.refused] == ["user:ana@total"]
    assert usage(store, glob) == (Decimal(0), Decimal("0.60"))
    ok = store.reserve(Charge(user="ana"), usd("0.40"), local)
    assert ok.reservation is not None and {h.budget.key for h in ok.reservation.holds} == {glob.key, ana.key}
    assert usage(store, glob)[1] == Decimal("1.00") and usage(store, ana)[1] == Decimal("0.40")


def test_release_gives_the_hold_back(store: BudgetStore) -> None:
    budget = Budget("global", "1")
    outcome = store.reserve(Charge(), usd("0.9"), {budget.key: budget})
    assert outcome.reservation is not None
    store.release(outcome.reservation.id)
    assert usage(store, budget) == (Decimal(0), Decimal(0))
    assert store.reservations()[0]["state"] == "released"


def test_warn_budgets_run_over_and_alert_once(store: BudgetStore) -> None:
    budget = Budget("global", "0.10", action="warn")
    first = store.reserve(Charge(), usd("0.25"), {budget.key: budget})
    assert first.reservation is not None and [a.kind for _, a in first.alerts] == ["exceeded"]
    second = store.reserve(Charge(), usd("0.25"), {budget.key: budget})
    assert second.reservation is not None and second.alerts == []  # once per period
    assert usage(store, budget) == (Decimal(0), Decimal("0.50"))


def test_threshold_alerts_fire_once_per_threshold_and_are_recorded(store: BudgetStore) -> None:
    budget = Budget("global", "1.00", alerts=(50, 80, 100))
    fired: list[int] = []
    for amount in ("0.30", "0.25", "0.10", "0.20", "0.15"):
        outcome = store.reserve(Charge(), usd(amount), {budget.key: budget})
        assert outcome.reservation is not None
        fired += [a.threshold for a in store.settle(outcome.reservation.id, usd(amount))]
    # 0.30, 0.55 (50%), 0.65, 0.85 (80%), 1.00 (100%)
    assert fired == [50, 80, 100]
    recorded = store.alerts(budget.key)
    assert [(r["kind"], r["threshold"]) for r in recorded] == [("threshold", 50), ("threshold", 80), ("threshold", 100)]
    assert recorded[1]["spent_nanousd"] == usd("0.85")


def test_day_budgets_count_per_window(store: BudgetStore) -> None:
    budget = Budget("project:acme", "1", period="day", timezone="Europe/Paris")
    local = {budget.key: budget}
    day1 = 1_790_000_000.0
    a = store.reserve(Charge(project="acme"), usd("0.9"), local, now=day1)
    assert a.reservation is not None
    store.settle(a.reservation.id, usd("0.9"), now=day1 + 5)
    assert store.reserve(Charge(project="acme"), usd("0.2"), local, now=day1 + 10).refused
    next_day = store.reserve(Charge(project="acme"), usd("0.2"), local, now=day1 + 86400)
    assert next_day.reservation is not None
    windows = {row.window: row.spent for row in store.usage_history(budget.key)}
    assert len(windows) == 2 and usd("0.9") in windows.values()


def test_extend_holds_more_and_is_charged_at_settlement(store: BudgetStore) -> None:
    budget = Budget("global", "1.00")
    outcome = store.reserve(Charge(), usd("0.40"), {budget.key: budget})
    reservation = outcome.reservation
    assert reservation is not None
    assert store.extend(reservation, usd("0.40")) == []  # a retry whose first attempt may have been billed
    assert usage(store, budget) == (Decimal(0), Decimal("0.80"))
    refused = store.extend(reservation, usd("0.40"))  # a third attempt would not fit
    assert refused and refused[0].budget.key == budget.key
    store.settle(reservation.id, usd("0.10"))  # final attempt's actual + the maybe-billed attempt's worst case
    assert usage(store, budget) == (Decimal("0.50"), Decimal(0))


def test_gate_extend_raises_budget_exceeded(db_url: str) -> None:
    gate = BudgetGate(db_url, budgets=[Budget("global", "1")], use_config=False)
    reservation = gate.reserve_charge(Charge(), Decimal("0.6"))
    with pytest.raises(BudgetExceeded, match="retrying this call"):
        gate.extend(reservation, Decimal("0.6"))
    gate.settle(reservation, Decimal("0.5"))
    assert gate.store.usage("global@total", "total").spent == usd("0.5")


def test_stored_budgets_apply_to_every_process(store: BudgetStore, db_url: str) -> None:
    store.save_budget(Budget("user:ana", "0.5", period="month", alerts=(90,), action="downgrade"))
    [saved] = store.stored_budgets()
    assert (saved.scope, saved.period, saved.limit, saved.alerts, saved.action, saved.source) == (
        "user:ana", "month", Decimal("0.5"), (90,), "downgrade", "database"
    )
    assert store.reserve(Charge(user="ana"), usd("0.6"), {}).refused  # read inside the transaction
    store.save_budget(Budget("user:ana", "1", period="month"))  # replace
    assert store.reserve(Charge(user="ana"), usd("0.6"), {}).reservation is not None
    assert store.delete_budgets("user:ana") == 1 and store.stored_budgets() == []


def test_tool_and_model_scopes(store: BudgetStore) -> None:
    tool = Budget("tool:github/*", "0.10")
    model = Budget("model:gpt-4o", "0.10")
    local = {tool.key: tool, model.key: model}
    assert store.reserve(Charge(tool="github/create_issue"), usd("0.2"), local).refused
    assert store.reserve(Charge(tool="fs/read"), usd("0.2"), local).reservation is None  # no budget applies
    assert store.reserve(Charge(model="gpt-4o-2024-08-06"), usd("0.2"), local).refused  # a snapshot of gpt-4o
    assert not store.reserve(Charge(model="gpt-4o-mini"), usd("0.2"), local).refused


def test_recovery_settles_expired_reservations_at_their_estimate_once(store: BudgetStore) -> None:
    budget = Budget("global", "1")
    outcome = store.reserve(Charge(), usd("0.3"), {budget.key: budget}, ttl=10, now=1000.0)
    assert outcome.reservation is not None
    assert store.recover(now=1005.0)[0] == []  # not expired yet, and our own process is alive
    recovered, _ = store.recover(now=1011.0)
    assert recovered == [outcome.reservation.id]
    assert usage(store, budget) == (Decimal("0.3"), Decimal(0))
    assert store.recover(now=2000.0)[0] == []  # never counted twice
    # the slow process finally settles: the estimate is corrected to the actual, not added again
    store.settle(outcome.reservation.id, usd("0.1"))
    assert usage(store, budget) == (Decimal("0.1"), Decimal(0))


def test_recovery_finds_reservations_of_dead_processes_without_waiting(store: BudgetStore, db_url: str) -> None:
    budget = Budget("global", "1")
    budget.activate()
    try:
        script = (
            "import sys; from decimal import Decimal; from conduit.budget import BudgetGate, Charge;"
            "g = BudgetGate(sys.argv[1], use_config=False); r = g.reserve_charge(Charge(), Decimal('0.25')); print(r.id)"
        )
        # the child has no Python budgets: store one so it has something to reserve against
        store.save_budget(budget)
        child = subprocess.run([sys.executable, "-c", script, db_url], capture_output=True, text=True, timeout=60, check=True)
        reservation_id = child.stdout.strip()
    finally:
        budget.deactivate()
    [row] = store.reservations("active")
    assert row["id"] == reservation_id and row["pid"] != os.getpid()
    recovered, _ = store.recover()  # the child exited without settling: recovered now, not after the TTL
    assert recovered == [reservation_id]
    assert store.reservations()[0]["state"] == "expired"
    assert usage(store, budget) == (Decimal("0.25"), Decimal(0))


def test_gate_dispatches_alerts_to_callbacks(db_url: str) -> None:
    seen: list[BudgetAlert] = []
    everywhere: list[BudgetAlert] = []
    callback = on_alert(everywhere.append)
    try:
        gate = BudgetGate(db_url, budgets=[Budget("session:s1", "0.10", alerts=(50,), on_alert=seen.append)], use_config=False)
        reservation = gate.reserve_charge(Charge(session="s1"), Decimal("0.08"))
        gate.settle(reservation, Decimal("0.06"))
    finally:
        remove_alert_callback(callback)
    assert [(a.budget, a.threshold, a.spent) for a in seen] == [("session:s1@total", 50, Decimal("0.06"))]
    assert everywhere == seen
    assert "reached 50%" in seen[0].message and seen[0].to_dict()["spent_usd"] == "0.06"


def test_a_failed_settlement_never_breaks_the_call_and_stays_recoverable(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from conduit.errors import LedgerError

    gate = BudgetGate(db_url, budgets=[Budget("global", "1")], use_config=False)
    reservation = gate.reserve_charge(Charge(), Decimal("0.4"))
    assert reservation is not None

    def broken(*args: object, **kwargs: object) -> None:
        raise LedgerError("database is gone", "")

    monkeypatch.setattr(gate.store, "settle", broken)
    gate.settle(reservation, Decimal("0.1"))  # logged, not raised: the response still gets recorded
    monkeypatch.undo()
    [row] = gate.store.reservations("active")
    assert row["id"] == reservation.id  # still held: recovery will settle it at its estimate, never lose it
    recovered, _ = gate.store.recover(now=row["expires_at"] + 1)
    assert recovered == [reservation.id]
    assert gate.store.usage("global@total", "total").spent == usd("0.4")


def test_growing_a_hold_is_not_charged(store: BudgetStore) -> None:
    """A fallback to a pricier model grows the hold; settlement charges only the actual."""
    budget = Budget("global", "1.00")
    reservation = store.reserve(Charge(), usd("0.30"), {budget.key: budget}).reservation
    assert reservation is not None
    assert store.extend(reservation, usd("0.20"), billed=False) == []
    assert usage(store, budget) == (Decimal(0), Decimal("0.50"))
    store.settle(reservation.id, usd("0.45"))
    assert usage(store, budget) == (Decimal("0.45"), Decimal(0))
