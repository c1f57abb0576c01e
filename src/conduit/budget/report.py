"""Where a budget stands: spent, reserved, remaining and burn rate, for the CLI and for Python."""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from conduit.budget.spec import Budget, from_nano
from conduit.budget.store import BudgetStore

_DAY = Decimal(86400)


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """One budget in its current period window."""

    budget: Budget
    window: str
    spent: Decimal
    reserved: Decimal
    calls: int
    burn_per_day: Decimal | None  # spend rate over the elapsed part of the window
    projected: Decimal | None  # spend at the end of the window at that rate (day/month only)
    window_end: float | None

    @property
    def limit(self) -> Decimal:
        return self.budget.limit

    @property
    def remaining(self) -> Decimal:
        return max(self.limit - self.spent - self.reserved, Decimal(0))

    @property
    def percent(self) -> Decimal:
        return ((self.spent + self.reserved) / self.limit * 100) if self.limit else Decimal(100 if self.spent else 0)

    def bar(self, width: int = 20) -> str:
        """``[#######+....]``: spent as ``#``, reserved as ``+``."""
        if self.limit <= 0:
            return "[" + ("#" * width if self.spent else "." * width) + "]"
        spent = min(width, int(self.spent / self.limit * width))
        held = min(width - spent, int((self.spent + self.reserved) / self.limit * width) - spent)
        return "[" + "#" * spent + "+" * max(held, 0) + "." * (width - spent - max(held, 0)) + "]"

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.budget.to_dict(),
            "window": self.window,
            "spent_usd": str(self.spent),
            "reserved_usd": str(self.reserved),
            "remaining_usd": str(self.remaining),
            "percent": str(self.percent.quantize(Decimal("0.1"))),
            "calls": self.calls,
            "burn_usd_per_day": None if self.burn_per_day is None else str(self.burn_per_day.quantize(Decimal("0.000001"))),
            "projected_usd": None if self.projected is None else str(self.projected.quantize(Decimal("0.000001"))),
        }


def status_of(store: BudgetStore, budget: Budget, now: float | None = None) -> BudgetStatus:
    now = time.time() if now is None else now
    window = budget.window(now)
    row = store.usage(budget.key, window.key)
    spent = from_nano(row.spent)
    start = window.start if window.start is not None else row.first_at
    burn = projected = None
    if start is not None and row.spent:
        elapsed = Decimal(str(max(now - start, 60.0)))  # at least a minute, so one call does not read as a huge rate
        burn = spent / elapsed * _DAY
        if window.end is not None:
            projected = spent + spent / elapsed * Decimal(str(max(window.end - now, 0.0)))
    return BudgetStatus(budget, window.key, spent, from_nano(row.reserved), row.settled_count, burn, projected, window.end)
