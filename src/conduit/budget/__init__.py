"""Budgets that never overspend: scopes, periods, atomic reservations, alerts, downgrade.

``Budget`` defines a limit; ``BudgetGate`` is the pipeline stage that reserves
each call's worst case on every applicable budget in one transaction (SQLite
or PostgreSQL) and settles it to the actual cost. See ``conduit budget --help``
and the ``[budgets]`` section of ``conduit.toml`` (:mod:`conduit.budget.config`).
"""

from __future__ import annotations

from conduit.budget.alerts import BudgetAlert, on_alert, remove_alert_callback, wait_for_webhooks
from conduit.budget.config import active_budgets, toml_budgets
from conduit.budget.gate import BudgetGate
from conduit.budget.report import BudgetStatus, status_of
from conduit.budget.spec import Budget, Charge
from conduit.budget.store import BudgetStore, Reservation, store_for

__all__ = [
    "Budget",
    "BudgetAlert",
    "BudgetGate",
    "BudgetStatus",
    "BudgetStore",
    "Charge",
    "Reservation",
    "active_budgets",
    "budget_status",
    "on_alert",
    "remove_alert_callback",
    "store_for",
    "toml_budgets",
    "wait_for_webhooks",
]


def budget_status(scope: str | None = None, db: str | None = None) -> list[BudgetStatus]:
    """Where each budget (or those of ``scope``) stands in its current period."""
    from conduit.budget.spec import normalize_scope

    gate = BudgetGate(db)
    gate.recover()
    wanted = normalize_scope(scope) if scope else None
    budgets = sorted(gate.budgets().values(), key=lambda b: b.key)
    return [status_of(gate.store, b) for b in budgets if wanted is None or b.scope == wanted]
