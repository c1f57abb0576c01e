"""Budget alerts: a log line, Python callbacks and an optional webhook, once per threshold per period.

"Once" is decided by the database, not by this process: the store inserts the
alert row (primary key budget + period window + threshold) in the same
transaction that moved the spend, and only the transaction whose insert
succeeded hands the alert to :func:`dispatch`. Many processes crossing 80 %
together therefore send one alert, and the ledger keeps a record of it.
"""

from __future__ import annotations

import datetime as _dt
import logging
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

log = logging.getLogger("conduit.budget")

AlertCallback = Callable[["BudgetAlert"], None]

_callbacks: list[AlertCallback] = []
_callbacks_lock = threading.Lock()
_pending: set[threading.Thread] = set()
_pending_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class BudgetAlert:
    """One threshold crossed (``kind="threshold"``) or a ``warn`` budget run over (``kind="exceeded"``)."""

    budget: str  # scope@period
    scope: str
    period: str
    window: str
    threshold: int
    spent: Decimal
    reserved: Decimal
    limit: Decimal
    kind: str
    at: float

    @property
    def percent(self) -> Decimal:
        return (self.spent / self.limit * 100).quantize(Decimal("0.1")) if self.limit else Decimal(0)

    @property
    def message(self) -> str:
        if self.kind == "exceeded":
            # raised at reservation time, against the call's worst case -- not (yet) actual spend; the
            # threshold alerts (50/80/100 %) report what was really spent
            return (
                f"budget {self.budget} ({self.window}) may be exceeded: spent ${self.spent} + reserved ${self.reserved} "
                f"(including this call's worst case) passes the ${self.limit} limit; the call proceeds (action warn)"
            )
        return f"budget {self.budget} ({self.window}) reached {self.threshold}%: spent ${self.spent} of ${self.limit}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": "conduit.budget.alert",
            "kind": self.kind,
            "budget": self.budget,
            "scope": self.scope,
            "period": self.period,
            "window": self.window,
            "threshold": self.threshold,
            "percent": str(self.percent),
            "spent_usd": str(self.spent),
            "reserved_usd": str(self.reserved),
            "limit_usd": str(self.limit),
            "at": _dt.datetime.fromtimestamp(self.at, _dt.timezone.utc).isoformat(),
            "message": self.message,
        }


def on_alert(callback: AlertCallback) -> AlertCallback:
    """Call ``callback(alert)`` for every budget alert this process fires (usable as a decorator)."""
    with _callbacks_lock:
        _callbacks.append(callback)
    return callback


def remove_alert_callback(callback: AlertCallback) -> None:
    with _callbacks_lock:
        if callback in _callbacks:
            _callbacks.remove(callback)


def dispatch(alert: BudgetAlert, *, callback: AlertCallback | None = None, webhook: str | None = None) -> None:
    """Log, call back, and POST the alert. Never raises: an alert must not fail the call it rides on."""
    log.warning(
        "budget alert: %s",
        alert.message,
        extra={"budget": alert.budget, "threshold": alert.threshold, "spent_usd": str(alert.spent), "limit_usd": str(alert.limit)},
    )
    with _callbacks_lock:
        callbacks = list(_callbacks)
    if callback is not None:
        callbacks.insert(0, callback)
    for fn in callbacks:
        try:
            fn(alert)
        except Exception:  # a broken callback must not break model calls
            log.exception("budget alert callback %r failed", fn)
    if webhook:
        thread = threading.Thread(target=_post, args=(webhook, alert), name="conduit-budget-webhook", daemon=True)
        with _pending_lock:
            _pending.add(thread)
        thread.start()


def _post(url: str, alert: BudgetAlert) -> None:
    """POST the alert as JSON off the call path (short timeout; failures are logged)."""
    try:
        import httpx2

        response = httpx2.post(url, json=alert.to_dict(), timeout=5.0)
        if response.status_code >= 400:
            log.warning("budget webhook %s answered %s", url, response.status_code)
    except Exception as exc:  # network trouble is logged, never raised into a model call
        log.warning("budget webhook %s failed: %s", url, exc)
    finally:
        with _pending_lock:
            _pending.discard(threading.current_thread())


def wait_for_webhooks(timeout: float = 10.0) -> None:
    """Wait until alerts already handed to webhooks are delivered (tests, short scripts)."""
    with _pending_lock:
        threads = list(_pending)
    for thread in threads:
        thread.join(timeout)
