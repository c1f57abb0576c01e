"""Where budget definitions come from: ``conduit.toml``, Python, and the ledger database.

Three sources, one set of budgets per call. On the same ``scope@period`` key
Python (``Budget(...).activate()``) wins over ``conduit.toml``, which wins
over budgets stored with ``conduit budget set`` / ``Budget.save()``. The
spend itself is always counted in the database, keyed by ``scope@period``
and period window, so every process and host sharing it sees one total.

``conduit.toml``::

    [budgets]
    timezone = "UTC"                 # default time zone for day/month periods
    webhook = "https://example.com/hooks/conduit"   # optional, POSTed JSON alerts
    reservation_ttl = 3600           # seconds before a crashed process's reservation is settled

    [budgets.global]
    limit = 20
    period = "month"

    [budgets."user:ana"]
    limit = "1.50"
    period = "day"
    action = "downgrade"             # block | downgrade | warn
    alerts = [50, 80, 100]

    [[budgets.limits]]               # the list form, for several periods of one scope
    scope = "global"
    limit = 2
    period = "day"
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any

from conduit.budget.spec import DEFAULT_ALERTS, Budget, check_timezone, parse_alerts
from conduit.errors import ConfigurationError

DEFAULT_TTL = 3600.0

_registry: dict[str, Budget] = {}
_registry_lock = threading.Lock()


def activate(budget: Budget) -> None:
    """Apply ``budget`` to every call of this process (replacing one with the same key)."""
    with _registry_lock:
        _registry[budget.key] = budget


def deactivate(budget: Budget) -> None:
    with _registry_lock:
        if _registry.get(budget.key) is budget or _registry.get(budget.key) == budget:
            del _registry[budget.key]


def active_budgets() -> list[Budget]:
    """Budgets applied from Python in this process."""
    with _registry_lock:
        return list(_registry.values())


@dataclass(frozen=True, slots=True)
class BudgetSettings:
    """The non-budget keys of ``[budgets]``."""

    timezone: str = "UTC"
    webhook: str | None = None
    reservation_ttl: float = DEFAULT_TTL
    alerts: tuple[int, ...] = DEFAULT_ALERTS


_FORMAT_HINT = (
    'Write budgets as tables, e.g. [budgets.global] with limit = 5 and period = "month", '
    'or [budgets."user:ana"] with limit = "1.50", period = "day", action = "downgrade"; '
    "several periods of one scope go in [[budgets.limits]] entries with a scope key."
)
_SETTING_KEYS = {"timezone", "webhook", "reservation_ttl", "alerts"}
_BUDGET_KEYS = {"scope", "limit", "period", "alerts", "action", "timezone", "webhook"}


def _section() -> dict[str, Any]:
    from conduit.settings import get_settings

    section = get_settings().config.get("budgets", {})
    if not isinstance(section, dict):
        raise ConfigurationError("[budgets] in conduit.toml must be a table.", _FORMAT_HINT)
    return section


def budget_settings(section: dict[str, Any] | None = None) -> BudgetSettings:
    section = _section() if section is None else section
    ttl = section.get("reservation_ttl", DEFAULT_TTL)
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or ttl <= 0:
        raise ConfigurationError(
            f"[budgets] reservation_ttl must be a positive number of seconds, got {ttl!r}.", "Write e.g. reservation_ttl = 3600."
        )
    webhook = section.get("webhook")
    if webhook is not None and not (isinstance(webhook, str) and webhook.startswith(("http://", "https://"))):
        raise ConfigurationError(f"[budgets] webhook must be an http(s) URL, got {webhook!r}.", "Write e.g. webhook = \"https://...\".")
    return BudgetSettings(
        timezone=check_timezone(str(section.get("timezone", "UTC"))),
        webhook=webhook,
        reservation_ttl=float(ttl),
        alerts=parse_alerts(section.get("alerts")),
    )


def toml_budgets(section: dict[str, Any] | None = None) -> list[Budget]:
    """Budgets declared in ``[budgets]`` of ``conduit.toml``."""
    section = _section() if section is None else section
    defaults = budget_settings(section)
    entries: list[tuple[str, dict[str, Any]]] = []
    for key, value in section.items():
        if key in _SETTING_KEYS:
            continue
        if key == "limits":
            if not isinstance(value, list):
                raise ConfigurationError("[budgets] limits must be an array of tables ([[budgets.limits]]).", _FORMAT_HINT)
            for index, item in enumerate(value):
                if not isinstance(item, dict) or "scope" not in item:
                    raise ConfigurationError(f"[[budgets.limits]] entry {index + 1} needs a scope.", 'Add scope = "global" (or project:<name>, ...).')
                entries.append((str(item["scope"]), item))
        elif isinstance(value, dict):
            entries.append((key, value))
        else:
            raise ConfigurationError(
                f"Unknown key [budgets] {key} in conduit.toml.",
                f"Budgets are tables like [budgets.\"{key}\"] with a limit; settings are {sorted(_SETTING_KEYS)}.",
            )
    budgets = []
    for scope, item in entries:
        unknown = set(item) - _BUDGET_KEYS
        if unknown:
            raise ConfigurationError(f"Unknown key(s) {sorted(unknown)} in budget {scope!r} of conduit.toml.", f"Allowed: {sorted(_BUDGET_KEYS)}.")
        if "limit" not in item:
            raise ConfigurationError(f"Budget {scope!r} in conduit.toml has no limit.", "Add limit = <USD>, e.g. limit = 5.")
        budgets.append(
            Budget(
                scope=scope,
                limit=item["limit"],
                period=str(item.get("period", "total")),
                alerts=item.get("alerts", defaults.alerts),
                action=str(item.get("action", "block")),
                timezone=str(item.get("timezone", defaults.timezone)),
                webhook=item.get("webhook", defaults.webhook),
                source="conduit.toml",
            )
        )
    return budgets


def merge(stored: list[Budget], from_toml: list[Budget], from_python: list[Budget]) -> dict[str, Budget]:
    """One budget per key; later sources win (database < conduit.toml < Python)."""
    merged: dict[str, Budget] = {}
    for source in (stored, from_toml, from_python):
        for budget in source:
            merged[budget.key] = budget
    return merged


def with_default_webhook(budget: Budget, settings: BudgetSettings) -> Budget:
    if budget.webhook is None and settings.webhook is not None:
        return replace(budget, webhook=settings.webhook)
    return budget
