"""The budget stage of the pipeline: reserve before sending, settle after, release on refusal.

``BudgetGate`` fills the pipeline's ``BudgetGate`` seam. For each exchange it
finds the budgets that apply (scope tags from the client defaults and
``conduit.scope(...)``, plus the model), reserves the meter's worst-case cost
on all of them in one transaction, and then:

- ``block``: refuses with :class:`~conduit.errors.BudgetExceeded` before
  anything is sent (the message names budget, spent, reserved, limit, estimate);
- ``downgrade``: re-plans the request on the cheapest catalog model that still
  meets its needs and fits, and notes it on the exchange (the ledger row says so);
- ``warn``: proceeds, holds the reservation anyway, and alerts.

Unknown prices (``estimate.usd is None``) cannot be reserved. Under a
``block`` budget the call is refused with a hint to add a price to
``conduit.toml [prices]``; under ``downgrade`` it is re-planned on a priced
model; under ``warn`` it proceeds with a zero hold, and its actual cost, if
the response makes it known, is still charged at settlement. Requests that
OpenAI does not bill (GET/DELETE such as listing models, and moderations)
pass without a reservation.
"""

from __future__ import annotations

import datetime as _dt
import logging
import threading
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterable

from conduit.budget.alerts import BudgetAlert, dispatch
from conduit.budget.config import (
    BudgetSettings,
    active_budgets,
    budget_settings,
    toml_budgets,
    with_default_webhook,
)
from conduit.budget.spec import Budget, Charge, from_nano, to_nano, to_nano_ceiling
from conduit.budget.store import BudgetStore, Outcome, Reservation, Shortfall, store_for
from conduit.errors import BudgetExceeded

if TYPE_CHECKING:  # pragma: no cover
    from conduit.pipeline.exchange import Exchange

log = logging.getLogger("conduit.budget")

RECOVERY_INTERVAL = 30.0  # seconds between opportunistic sweeps for crashed processes' reservations
_DOWNGRADE_TRIES = 3


class BudgetGate:
    """Reservations against every applicable budget, for one pipeline (or any caller).

    ``db`` is the ledger URL (default ``CONDUIT_DB``); ``budgets`` apply to
    this gate only, on top of ``conduit.toml``, ``Budget.activate()`` and the
    budgets stored in the database. ``use_config=False`` ignores ``conduit.toml``.
    """

    def __init__(
        self,
        db: str | None = None,
        *,
        budgets: Iterable[Budget] = (),
        use_config: bool = True,
        settings: BudgetSettings | None = None,
        recovery_interval: float = RECOVERY_INTERVAL,
    ) -> None:
        self._db = db
        self._own = {b.key: b for b in budgets}
        self._use_config = use_config
        self._settings = settings
        self._recovery_interval = recovery_interval
        self._store: BudgetStore | None = None
        self._lock = threading.Lock()
        self._toml_cache: tuple[int, list[Budget], BudgetSettings] | None = None

    # -- configuration ----------------------------------------------------------
    @property
    def store(self) -> BudgetStore:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = store_for(self._db)
        return self._store

    def _config(self) -> tuple[list[Budget], BudgetSettings]:
        if not self._use_config:
            return [], self._settings or BudgetSettings()
        from conduit.settings import get_settings

        config = get_settings().config
        cached = self._toml_cache
        if cached is None or cached[0] != id(config):
            section = config.get("budgets", {}) if isinstance(config, dict) else {}
            settings = self._settings or budget_settings(section if isinstance(section, dict) else None)
            cached = (id(config), toml_budgets(section if isinstance(section, dict) else None), settings)
            self._toml_cache = cached
        return cached[1], cached[2]

    @property
    def settings(self) -> BudgetSettings:
        return self._config()[1]

    def local_budgets(self) -> dict[str, Budget]:
        """This process's budgets (conduit.toml < Python-activated < this gate's own), by key."""
        from_toml, settings = self._config()
        merged: dict[str, Budget] = {}
        for budget in (*from_toml, *active_budgets(), *self._own.values()):
            merged[budget.key] = with_default_webhook(budget, settings)
        return merged

    def budgets(self) -> dict[str, Budget]:
        """Every budget this gate enforces, stored ones included."""
        settings = self.settings
        merged = {b.key: with_default_webhook(b, settings) for b in self.store.stored_budgets()}
        merged.update(self.local_budgets())
        return merged

    # -- the pipeline seam --------------------------------------------------------
    def reserve(self, exchange: "Exchange") -> Reservation | None:
        """Hold the exchange's worst case on every applicable budget, or refuse / downgrade."""
        if _free(exchange):
            return None  # reads, deletes and moderations cost nothing: no budget applies
        charge = Charge(
            project=exchange.scope.project,
            user=exchange.scope.user,
            session=exchange.scope.session,
            model=exchange.model,
        )
        local = self.local_budgets()
        store = self.store
        if not local and not store.cached_stored_budgets():
            return None  # no budgets anywhere: nothing to hold
        self._maybe_recover()
        usd = exchange.estimate.usd if exchange.estimate is not None else None
        if usd is None:
            return self._reserve_unpriced(exchange, charge, local)
        outcome = self._try(charge, to_nano_ceiling(usd), local, exchange)
        if outcome.reservation is not None or not outcome.refused:
            return outcome.reservation
        if all(s.budget.action == "downgrade" for s in outcome.refused):
            reservation = self._downgrade(exchange, charge, local, outcome.refused)
            if reservation is not None:
                return reservation
        raise _exceeded(outcome.refused, exchange.model, downgrade_tried=any(s.budget.action == "downgrade" for s in outcome.refused))

    def settle(self, reservation: Reservation | None, usd: Decimal | None) -> None:
        """Replace the held worst case by the actual cost (None: unknown, charge the estimate)."""
        if reservation is None or reservation.done:
            return
        reservation.done = True
        try:
            alerts = self.store.settle(reservation.id, None if usd is None else to_nano(usd))
        except Exception as exc:  # the response is already here: record it; recovery settles the hold later
            log.error(
                "budget: could not settle reservation %s (%s); it stays held and will be settled at its estimate "
                "when it expires", reservation.id, exc,
            )
            return
        self._dispatch(alerts, reservation)

    def release(self, reservation: Reservation | None) -> None:
        """Give the hold back: the call was refused after reserving and never sent."""
        if reservation is None or reservation.done:
            return
        reservation.done = True
        try:
            alerts = self.store.release(reservation.id)
        except Exception as exc:  # conservative: an unreleased hold is settled at its estimate on expiry
            log.error("budget: could not release reservation %s (%s); it expires later", reservation.id, exc)
            return
        self._dispatch(alerts, reservation)

    def extend(self, reservation: Reservation | None, usd: Decimal | None, *, billed: bool = True) -> None:
        """Count ``usd`` more on the same reservation: a retried attempt that may have been billed.

        For the resilience layer: before sending a retry whose previous attempt
        may have been processed upstream (read timeout, connection dropped after
        the body was sent), call ``extend(exchange.reservation, exchange.estimate.usd)``.
        The amount is held against every budget of the reservation (``block``/
        ``downgrade`` budgets must still fit, else :class:`BudgetExceeded` and the
        retry must not be sent) and charged at settlement on top of the final
        attempt's actual cost -- the exchange keeps ONE reservation, settled once.

        ``billed=False`` only grows the hold (e.g. a fallback to a pricier model:
        ``extend(r, new_worst - old_worst, billed=False)``, or :meth:`grow`); the
        settlement then charges just the actual cost.
        """
        if reservation is None or usd is None or usd <= 0:
            return
        refused = self.store.extend(reservation, to_nano_ceiling(usd), billed=billed)
        if refused:
            raise _exceeded(refused, None, retry=True)

    def grow(self, reservation: Reservation | None, usd: Decimal | None) -> None:
        """Hold ``usd`` more without charging it (a fallback to a model with a higher worst case)."""
        self.extend(reservation, usd, billed=False)

    # -- other callers (tools, agents) --------------------------------------------
    def reserve_charge(self, charge: Charge, usd: Decimal, *, label: str | None = None) -> Reservation | None:
        """Reserve ``usd`` for any metered action tagged ``charge`` (e.g. ``tool="github/create_issue"``).

        Refuses with :class:`BudgetExceeded` when a ``block``/``downgrade`` budget
        would go over; settle with :meth:`settle`, or :meth:`release` if not done.
        """
        outcome = self.store.reserve(
            charge, to_nano_ceiling(usd), self.local_budgets(), label=label, ttl=self.settings.reservation_ttl
        )
        self._dispatch(outcome.alerts, outcome.reservation)
        if outcome.refused:
            raise _exceeded(outcome.refused, charge.model)
        return outcome.reservation

    def recover(self) -> list[str]:
        """Settle (at their estimate) reservations left by crashed or timed-out processes now."""
        recovered, alerts = self.store.recover()
        self._dispatch(alerts, None)
        if recovered:
            log.warning("budget: recovered %d reservation(s) of crashed or timed-out calls at their estimate", len(recovered))
        return recovered

    # -- internals --------------------------------------------------------------------
    def _try(self, charge: Charge, nano: int, local: dict[str, Budget], exchange: "Exchange", *, enforce: bool = True) -> Outcome:
        outcome = self.store.reserve(
            charge,
            nano,
            local,
            exchange_id=exchange.id,
            label=f"{exchange.endpoint} {exchange.model or ''}".strip(),
            ttl=self.settings.reservation_ttl,
            enforce=enforce,
        )
        self._dispatch(outcome.alerts, outcome.reservation)
        return outcome

    def _reserve_unpriced(self, exchange: "Exchange", charge: Charge, local: dict[str, Budget]) -> Reservation | None:
        merged = {b.key: b for b in self.store.cached_stored_budgets()}
        merged.update(local)
        applicable = [b for b in merged.values() if b.applies_to(charge)]
        if not applicable:
            return None
        blocking = [b for b in applicable if b.action == "block"]
        if not blocking and any(b.action == "downgrade" for b in applicable):
            reservation = self._downgrade(exchange, charge, local, [])
            if reservation is not None:
                return reservation
            blocking = [b for b in applicable if b.action == "downgrade"]
        if blocking:
            raise _unpriced(exchange.model, blocking[0], exchange.endpoint)
        log.warning(
            "budget: the price of %s is unknown; the call proceeds under warn budget(s) %s without a worst-case hold",
            exchange.model,
            ", ".join(b.key for b in applicable),
        )
        return self._try(charge, 0, local, exchange, enforce=False).reservation

    def _downgrade(
        self, exchange: "Exchange", charge: Charge, local: dict[str, Budget], refused: list[Shortfall]
    ) -> Reservation | None:
        from conduit.budget.downgrade import cheaper_plans

        original = exchange.model
        plans = cheaper_plans(exchange.endpoint, exchange.meter, exchange.payload, original, exchange.estimate)
        for plan in plans[:_DOWNGRADE_TRIES]:
            assert plan.estimate.usd is not None
            outcome = self._try(replace(charge, model=plan.model), to_nano_ceiling(plan.estimate.usd), local, exchange)
            if outcome.refused:
                if any(s.budget.action == "block" for s in outcome.refused):
                    raise _exceeded(outcome.refused, plan.model)
                continue
            try:
                exchange.payload.set_json(plan.body)
                exchange.model = plan.model
                exchange.estimate = exchange.meter.estimate(exchange.payload, plan.model)
            except BaseException:
                self.release(outcome.reservation)  # the exchange never got the handle: give the hold back here
                raise
            why = ", ".join(f"{s.budget.key} had ${from_nano(max(s.remaining, 0))} left" for s in refused) or "price unknown"
            note = f"budget downgrade: {original} -> {plan.model} ({why})"
            exchange.note = f"{exchange.note}; {note}" if exchange.note else note
            log.warning("%s", note, extra={"exchange_id": exchange.id})
            return outcome.reservation
        return None

    def _maybe_recover(self) -> None:
        if not self.store.recovery_due(self._recovery_interval):
            return
        try:
            self.recover()
        except Exception as exc:  # recovery is housekeeping; the call itself must not fail on it
            log.warning("budget: recovery of stale reservations failed: %s", exc)

    def _dispatch(self, alerts: list[Any], reservation: Reservation | None) -> None:
        if not alerts:
            return
        by_key: dict[str, Budget] = {}
        if reservation is not None:
            by_key.update({hold.budget.key: hold.budget for hold in reservation.holds})
        settings = self.settings
        for item in alerts:
            budget, alert = item if isinstance(item, tuple) else (None, item)
            assert isinstance(alert, BudgetAlert)
            if budget is None:
                budget = by_key.get(alert.budget) or self.local_budgets().get(alert.budget)
            budget = with_default_webhook(budget, settings) if budget is not None else None
            dispatch(
                alert,
                callback=budget.on_alert if budget is not None else None,
                webhook=budget.webhook if budget is not None else settings.webhook,
            )


_FREE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
# endpoints OpenAI does not bill per request: moderations, and uploading/listing files and models
# (a batch or fine-tune is billed later, by its own jobs, not by the request that creates it)
_FREE_ENDPOINTS = frozenset({"moderations", "files", "uploads", "uploads.parts", "models"})


def _free(exchange: "Exchange") -> bool:
    """Requests OpenAI does not bill per call (listing models, reading files, moderation)."""
    return exchange.method.upper() in _FREE_METHODS or exchange.endpoint in _FREE_ENDPOINTS


def _model_priced(model: str) -> bool:
    from conduit.catalog import price
    from conduit.usage import Usage

    return price(model, Usage(input_tokens=1, output_tokens=1), warn=False).usd is not None


# -- messages --------------------------------------------------------------------------
def _usd(nano: int) -> str:
    value = from_nano(nano)
    text = f"{value:.6f}".rstrip("0")
    if text.endswith("."):
        text += "00"
    elif len(text.split(".")[1]) < 2:
        text += "0"
    return f"${text}"


def _next_period(short: Shortfall) -> str:
    if short.window.end is None:
        return ""
    from zoneinfo import ZoneInfo

    moment = _dt.datetime.fromtimestamp(short.window.end, ZoneInfo(short.budget.timezone))
    return f", or wait for the next period (starts {moment:%Y-%m-%d %H:%M} {short.budget.timezone})"


def _exceeded(refused: list[Shortfall], model: str | None, *, downgrade_tried: bool = False, retry: bool = False) -> BudgetExceeded:
    worst = max(refused, key=lambda s: s.spent + s.reserved + s.estimate - s.budget.limit_nano)
    budget = worst.budget
    window = "" if worst.window.key == "total" else f" for {worst.window.key}"
    what = "retrying this call" if retry else "this call"
    others = [s.budget.key for s in refused if s is not worst]
    message = (
        f"Budget {budget.key}{window} would be exceeded by {what}: spent {_usd(worst.spent)}, "
        f"reserved {_usd(worst.reserved)}, limit {_usd(budget.limit_nano)}, "
        f"this call's worst-case estimate {_usd(worst.estimate)}"
        + (f" ({model})" if model else "")
        + (f"; also over: {', '.join(others)}" if others else "")
        + ". Nothing was sent."
    )
    hint = (
        ("No cheaper catalog model meeting the request's needs fits either. " if downgrade_tried else "")
        + f"Raise the limit (conduit budget set {budget.scope} <USD> --period {budget.period}), lower max_tokens "
        "to shrink the worst case, or use a cheaper model"
        + _next_period(worst)
        + "."
    )
    return BudgetExceeded(message, hint)


def _unpriced(model: str | None, budget: Budget, endpoint: str) -> BudgetExceeded:
    if model and _model_priced(model):
        # the model has a price, but this endpoint has no meter yet to estimate a worst case
        return BudgetExceeded(
            f"conduit cannot estimate the worst-case cost of {endpoint} requests yet, so this call cannot be "
            f"reserved against budget {budget.key} (action {budget.action}). Nothing was sent.",
            "Use an endpoint conduit meters (chat.completions, images, audio), or make the budget warn-only "
            f"(conduit budget set {budget.scope} {budget.limit} --period {budget.period} --action warn).",
        )
    name = model or "this endpoint"
    return BudgetExceeded(
        f"The price of {name} is unknown, so its worst-case cost cannot be reserved against budget "
        f"{budget.key} (action {budget.action}). Nothing was sent.",
        f'Add its price to conduit.toml, e.g. [prices."{model or "<model>"}"] with input_mtok = ... and '
        "output_mtok = ... (USD per million tokens), or use a model from `conduit models`, "
        f"or make the budget warn-only (conduit budget set {budget.scope} {budget.limit} --period {budget.period} --action warn).",
    )
