"""What a budget is: a scope, a period, a limit in USD, alert thresholds and an action.

Budgets are plain, frozen data. Where they come from (``conduit.toml``, the
CLI, Python) and how spend is counted against them live elsewhere; this module
only knows how to parse and check a definition and which period window a
moment falls in. Money is ``Decimal`` at the edges and integer nano-USD inside
the store, so sums are exact on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Callable, Literal

from conduit.errors import ConfigurationError

if TYPE_CHECKING:  # pragma: no cover
    from conduit.budget.alerts import BudgetAlert

Period = Literal["total", "day", "month"]
Action = Literal["block", "downgrade", "warn"]

PERIODS: tuple[str, ...] = ("total", "day", "month")
ACTIONS: tuple[str, ...] = ("block", "downgrade", "warn")
SCOPE_KINDS: tuple[str, ...] = ("project", "user", "session", "model", "tool")
DEFAULT_ALERTS: tuple[int, ...] = (50, 80, 100)
NANO = Decimal(1_000_000_000)

_SCOPE_HINT = (
    "Use global, project:<name>, user:<id>, session:<id>, model:<name> or tool:<server>/<tool> "
    "(model and tool names may use * wildcards)."
)


def to_nano_ceiling(usd: Decimal) -> int:
    """USD → nano-USD, rounded up: a reservation must stay an upper bound."""
    return int((usd * NANO).to_integral_value(rounding=ROUND_CEILING))


def to_nano(usd: Decimal) -> int:
    """USD → nano-USD exactly as the ledger rounds ``cost_nanousd`` (so the sums agree)."""
    return int((usd * NANO).to_integral_value())


def from_nano(nano: int) -> Decimal:
    return Decimal(int(nano)) / NANO


def parse_usd(value: Any, where: str = "limit") -> Decimal:
    """A non-negative USD amount from a number or a string like ``"5"``, ``"$2.50"``."""
    if isinstance(value, bool):
        raise ConfigurationError(f"{where} must be an amount in USD, got {value!r}.", "Write e.g. 5 or \"2.50\".")
    text = str(value).strip().lstrip("$").replace("_", "")
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ConfigurationError(f"{where} must be an amount in USD, got {value!r}.", "Write e.g. 5 or \"2.50\".") from None
    if not amount.is_finite() or amount < 0:
        raise ConfigurationError(f"{where} must be a finite amount >= 0, got {value!r}.", "Write e.g. 5 or \"2.50\".")
    return amount


def normalize_scope(scope: str) -> str:
    """Check a scope string and return its canonical spelling (``Global`` → ``global``)."""
    text = (scope or "").strip()
    if text.lower() == "global":
        return "global"
    kind, sep, value = text.partition(":")
    kind = kind.strip().lower()
    value = value.strip()
    if not sep or kind not in SCOPE_KINDS or not value:
        raise ConfigurationError(f"Unknown budget scope {scope!r}.", _SCOPE_HINT)
    if kind == "tool" and "/" not in value:
        raise ConfigurationError(f"Tool scope {scope!r} must name a server and a tool.", "Write tool:<server>/<tool>, e.g. tool:github/create_issue.")
    return f"{kind}:{value}"


def parse_alerts(value: Any) -> tuple[int, ...]:
    """``"50,80,100"`` or ``[50, 80, 100]`` → sorted unique percentages in 1..1000."""
    if value is None:
        return DEFAULT_ALERTS
    items = value.split(",") if isinstance(value, str) else list(value)
    result: set[int] = set()
    for item in items:
        text = str(item).strip().rstrip("%")
        if not text:
            continue
        try:
            number = int(text)
        except ValueError:
            raise ConfigurationError(f"Alert threshold {item!r} is not a whole percentage.", "Write e.g. 50,80,100.") from None
        if not 1 <= number <= 1000:
            raise ConfigurationError(f"Alert threshold {number}% is out of range.", "Use percentages from 1 to 1000.")
        result.add(number)
    return tuple(sorted(result))


def check_timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"Unknown time zone {name!r}.", "Use an IANA name such as UTC or Europe/Paris.") from None
    return name


@dataclass(frozen=True, slots=True)
class Window:
    """One period of one budget: its key in the store and its bounds (epoch seconds)."""

    key: str
    start: float | None
    end: float | None


@dataclass(frozen=True, slots=True)
class Charge:
    """Who a reservation is for: the tags budgets match against."""

    project: str | None = None
    user: str | None = None
    session: str | None = None
    model: str | None = None
    tool: str | None = None  # "<server>/<tool>"


@dataclass(frozen=True, slots=True)
class Budget:
    """A spending limit: ``Budget("global", 5, period="month")``.

    ``activate()`` (or ``with Budget(...):``) applies it to every call this
    process makes; ``save()`` stores it in the ledger database, where the CLI
    and every other process sharing that database see it too.
    """

    scope: str
    limit: Decimal
    period: str = "total"
    alerts: tuple[int, ...] = DEFAULT_ALERTS
    action: str = "block"
    timezone: str = "UTC"
    webhook: str | None = None
    on_alert: Callable[["BudgetAlert"], None] | None = field(default=None, compare=False, repr=False)
    source: str = field(default="python", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "scope", normalize_scope(self.scope))
        object.__setattr__(self, "limit", parse_usd(self.limit, f"The limit of budget {self.scope}"))
        if self.period not in PERIODS:
            raise ConfigurationError(f"Unknown budget period {self.period!r}.", "Use total, day or month.")
        if self.action not in ACTIONS:
            raise ConfigurationError(f"Unknown budget action {self.action!r}.", "Use block, downgrade or warn.")
        object.__setattr__(self, "alerts", parse_alerts(self.alerts))
        check_timezone(self.timezone)

    # -- identity ----------------------------------------------------------
    @property
    def key(self) -> str:
        """``scope@period``: one scope may have a daily and a monthly budget."""
        return f"{self.scope}@{self.period}"

    @property
    def limit_nano(self) -> int:
        return to_nano(self.limit)

    def describe(self) -> str:
        per = "" if self.period == "total" else f"/{self.period}"
        return f"{self.scope} (${self.limit}{per}, {self.action})"

    # -- matching ----------------------------------------------------------
    def applies_to(self, charge: Charge) -> bool:
        """Whether a call tagged ``charge`` counts against this budget."""
        if self.scope == "global":
            return True
        kind, _, value = self.scope.partition(":")
        if kind == "project":
            return charge.project == value
        if kind == "user":
            return charge.user == value
        if kind == "session":
            return charge.session == value
        if kind == "model":
            return charge.model is not None and _model_matches(value, charge.model)
        if kind == "tool":
            return charge.tool is not None and fnmatch.fnmatchcase(charge.tool, value)
        return False

    # -- periods -----------------------------------------------------------
    def window(self, now: float) -> Window:
        """The period ``now`` falls in, in this budget's time zone."""
        if self.period == "total":
            return Window("total", None, None)
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(self.timezone)
        local = _dt.datetime.fromtimestamp(now, zone)
        if self.period == "day":
            start = local.replace(hour=0, minute=0, second=0, microsecond=0)
            end = (start + _dt.timedelta(days=1, hours=2)).replace(hour=0)  # DST-safe next midnight
            return Window(start.strftime("%Y-%m-%d"), _wall(start, zone), _wall(end, zone))
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        nxt = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
        return Window(start.strftime("%Y-%m"), _wall(start, zone), _wall(nxt, zone))

    # -- applying ----------------------------------------------------------
    def activate(self) -> "Budget":
        """Apply this budget to every call this process makes (until ``deactivate``)."""
        from conduit.budget.config import activate

        activate(self)
        return self

    def deactivate(self) -> None:
        from conduit.budget.config import deactivate

        deactivate(self)

    def __enter__(self) -> "Budget":
        return self.activate()

    def __exit__(self, *exc: Any) -> None:
        self.deactivate()

    def save(self, db: str | None = None) -> "Budget":
        """Store this budget in the ledger database (shared with the CLI and other processes)."""
        from conduit.budget.store import store_for

        store_for(db).save_budget(self)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "period": self.period,
            "limit_usd": str(self.limit),
            "alerts": list(self.alerts),
            "action": self.action,
            "timezone": self.timezone,
            "webhook": self.webhook,
            "source": self.source,
        }


def _wall(moment: _dt.datetime, zone: Any) -> float:
    """Epoch seconds of a local wall-clock time (re-attached to the zone after arithmetic)."""
    return moment.replace(tzinfo=None).replace(tzinfo=zone).timestamp()


def _model_matches(pattern: str, model: str) -> bool:
    """``model:gpt-4o`` covers its snapshots (``gpt-4o-2024-08-06``); ``*`` wildcards allowed."""
    if fnmatch.fnmatchcase(model, pattern):
        return True
    from conduit.catalog import resolve_family

    family = resolve_family(model)
    return family is not None and fnmatch.fnmatchcase(family, pattern)
