"""What every ledger backend shares: the batched writer thread and the reports.

A backend supplies connections (``_connection`` for reads, ``connect`` for
the writer and for modules with their own tables) and ``_write_batch`` (its
upsert dialect); everything else -- queueing, fork safety, flushing at exit,
redaction before storage, and the read queries -- lives here once, so SQLite
and PostgreSQL cannot drift apart.
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
import time
from decimal import Decimal
from typing import Any, ContextManager

from conduit.errors import LedgerError
from conduit.ledger.records import ExchangeRecord, ToolCallRecord
from conduit.observability.redact import redact

_BATCH = 512
_LINGER = 0.025  # seconds the writer waits to gather a batch: one commit for many rows, off the call path
_NANO = Decimal(1_000_000_000)


def _decimals(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("cost_usd", "estimate_usd"):
        if row.get(key) is not None:
            row[key] = Decimal(row[key])
    return row


def _as_dict(row: Any) -> dict[str, Any]:
    """sqlite3.Row and the Postgres Row both expose keys() and positions."""
    return dict(zip(row.keys(), row))


class LedgerBase:
    """Exchanges and tool calls, written off the call path and read back as reports."""

    path: str
    write_hint = "Check disk space and permissions."

    def _start_writer_state(self) -> None:
        self._queue: queue.Queue[Any] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._writer_pid = 0
        self._lock = threading.Lock()
        self._error: BaseException | None = None
        atexit.register(self.flush)

    # -- backend hooks -----------------------------------------------------
    def _connection(self) -> ContextManager[Any]:
        raise NotImplementedError

    def connect(self) -> Any:
        raise NotImplementedError

    def _write_batch(self, conn: Any, rows: list[tuple[str, dict[str, object]]]) -> None:
        raise NotImplementedError

    def _usable(self, conn: Any) -> bool:
        return conn is not None

    # -- writing -----------------------------------------------------------
    def record(self, record: ExchangeRecord) -> str:
        """Queue one exchange row; returns its id. Error text is redacted first.

        The caller hands the record over: the writer thread turns it into a row."""
        record.error_message = redact(record.error_message)
        self._put(("exchanges", record))
        return record.id

    def record_tool_call(self, record: ToolCallRecord | None = None, **fields: Any) -> str:
        rec = record or ToolCallRecord(**fields)
        rec.error = redact(rec.error)
        self._put(("tool_calls", rec))
        return rec.id

    def _put(self, item: tuple[str, Any]) -> None:
        self._ensure_writer()
        self._queue.put(item)

    def _ensure_writer(self) -> None:
        pid = os.getpid()
        if self._writer is not None and self._writer_pid == pid and self._writer.is_alive():
            return
        with self._lock:
            if self._writer is not None and self._writer_pid == pid and self._writer.is_alive():
                return
            if self._writer_pid != pid:  # forked child: the parent's queue and thread are not ours
                self._queue = queue.Queue()
            self._writer_pid = pid
            self._writer = threading.Thread(target=self._write_loop, name="conduit-ledger-writer", daemon=True)
            self._writer.start()

    def _gather(self) -> list[Any]:
        """One item, then -- after a short sleep -- everything that queued up meanwhile.

        Sleeping rather than waiting on the queue means callers' puts do not wake this thread
        one by one (each wake-up competes with the caller for the GIL); a flush waits at most
        the linger."""
        batch = [self._queue.get()]
        if not isinstance(batch[0], threading.Event):
            time.sleep(_LINGER)
        while len(batch) < _BATCH:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _write_loop(self) -> None:
        conn: Any = None
        while True:
            batch = self._gather()
            try:
                rows = [(table, record.to_row()) for table, record in (b for b in batch if isinstance(b, tuple))]
                if rows:
                    if not self._usable(conn):
                        conn = self.connect()
                    self._write_batch(conn, rows)
            except BaseException as exc:  # keep the thread alive; surface on flush; reconnect next time
                self._error = exc
                try:
                    if conn is not None:
                        conn.close()
                except Exception:
                    pass
                conn = None
            finally:
                for b in batch:
                    if isinstance(b, threading.Event):
                        b.set()
                    self._queue.task_done()

    def flush(self, timeout: float = 10.0) -> None:
        """Block until every queued row is committed."""
        if self._writer is None or self._writer_pid != os.getpid() or not self._writer.is_alive():
            return
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout)
        if self._error is not None:
            error, self._error = self._error, None
            raise LedgerError(f"Writing to the ledger at {self.path} failed: {error}", self.write_hint)

    # -- reading -----------------------------------------------------------
    def exchanges(
        self,
        since: float | None = None,
        limit: int | None = None,
        session: str | None = None,
        include_retried: bool = True,
    ) -> list[dict[str, Any]]:
        """Rows newest first, as dicts with ``cost_usd``/``estimate_usd`` as Decimal.

        ``include_retried=False`` leaves out attempts that were retried, giving
        one row per exchange (the settled one)."""
        self.flush()
        sql = "SELECT * FROM exchanges WHERE created_at >= ?"
        params: list[Any] = [since or 0.0]
        if not include_retried:
            sql += " AND status != 'retried'"
        if session is not None:
            sql += " AND session = ?"
            params.append(session)
        sql += " ORDER BY created_at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._connection() as conn:
            rows = [_as_dict(r) for r in conn.execute(sql, params).fetchall()]
        for row in rows:
            _decimals(row)
            row["stream"] = bool(row["stream"])
        return rows

    def exchange(self, exchange_id: str) -> dict[str, Any] | None:
        self.flush()
        with self._connection() as conn:
            row = conn.execute("SELECT * FROM exchanges WHERE id = ?", (exchange_id,)).fetchone()
        return None if row is None else _decimals(_as_dict(row))

    def tool_calls(self, since: float | None = None) -> list[dict[str, Any]]:
        self.flush()
        with self._connection() as conn:
            return [
                _as_dict(r)
                for r in conn.execute(
                    "SELECT * FROM tool_calls WHERE created_at >= ? ORDER BY created_at DESC", (since or 0.0,)
                ).fetchall()
            ]

    def totals(self, since: float | None = None) -> dict[str, Any]:
        """Sums over exchanges; cost sums are exact (integer nano-USD). Retried attempts are
        rows (``attempts``), not exchanges."""
        self.flush()
        with self._connection() as conn:
            row = conn.execute(
                """SELECT COUNT(*) AS attempts,
                          SUM(CASE WHEN status != 'retried' THEN 1 ELSE 0 END) AS exchanges,
                          COALESCE(SUM(input_tokens), 0) AS input_tokens,
                          COALESCE(SUM(cached_input_tokens), 0) AS cached_input_tokens,
                          COALESCE(SUM(output_tokens), 0) AS output_tokens,
                          COALESCE(SUM(reasoning_tokens), 0) AS reasoning_tokens,
                          COALESCE(SUM(cost_nanousd), 0) AS cost_nanousd,
                          SUM(CASE WHEN cost_usd IS NULL AND status = 'ok' THEN 1 ELSE 0 END) AS unpriced,
                          SUM(CASE WHEN status NOT IN ('ok', 'retried', 'cached') THEN 1 ELSE 0 END) AS failed
                   FROM exchanges WHERE created_at >= ?""",
                (since or 0.0,),
            ).fetchone()
        totals = {k: (int(v) if isinstance(v, Decimal) else v) for k, v in _as_dict(row).items()}
        totals["cost_usd"] = Decimal(totals.pop("cost_nanousd")) / _NANO
        for key in ("unpriced", "failed", "exchanges"):
            totals[key] = totals[key] or 0
        return totals
