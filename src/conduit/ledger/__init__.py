"""The ledger: every exchange and tool call, with tokens, units and USD cost."""

from __future__ import annotations

import threading

from conduit.ledger.records import ExchangeRecord, ToolCallRecord, new_id
from conduit.ledger.store import Ledger

__all__ = ["ExchangeRecord", "Ledger", "ToolCallRecord", "new_id", "open_ledger"]

_ledgers: dict[str, Ledger] = {}
_lock = threading.Lock()


def open_ledger(url: str | None = None) -> Ledger:
    """The process-wide ledger for ``url`` (default: ``CONDUIT_DB`` or the user data dir).

    ``postgres://`` / ``postgresql://`` URLs get :class:`conduit.ledger.postgres.PostgresLedger`
    (same interface); anything else is a SQLite path.
    """
    if url is None:
        from conduit.settings import get_settings

        url = get_settings().db_url
    with _lock:
        ledger = _ledgers.get(url)
        if ledger is None:
            if url.startswith(("postgres://", "postgresql://")):
                from conduit.ledger.postgres import PostgresLedger

                ledger = _ledgers[url] = PostgresLedger(url)  # type: ignore[assignment]  # same interface
            else:
                ledger = _ledgers[url] = Ledger(url)
        return ledger
