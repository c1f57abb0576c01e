"""The ledger: every exchange and tool call, with tokens, units and USD cost."""

from __future__ import annotations

import threading

from conduit.errors import ConfigurationError
from conduit.ledger.records import ExchangeRecord, ToolCallRecord, new_id
from conduit.ledger.store import Ledger

__all__ = ["ExchangeRecord", "Ledger", "ToolCallRecord", "new_id", "open_ledger"]

_ledgers: dict[str, Ledger] = {}
_lock = threading.Lock()


def open_ledger(url: str | None = None) -> Ledger:
    """The process-wide ledger for ``url`` (default: ``CONDUIT_DB`` or the user data dir)."""
    if url is None:
        from conduit.settings import get_settings

        url = get_settings().db_url
    if url.startswith(("postgres://", "postgresql://")):
        raise ConfigurationError(
            "The PostgreSQL ledger backend is not available in this build.",
            "Use a SQLite path in CONDUIT_DB, or install conduit with the postgres extra once it ships.",
        )
    with _lock:
        ledger = _ledgers.get(url)
        if ledger is None:
            ledger = _ledgers[url] = Ledger(url)
        return ledger
