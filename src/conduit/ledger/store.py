"""The SQLite ledger: durable, off the call path, safe across threads and processes.

Writes go through a queue to one writer thread per process, which commits in
batches (WAL mode), so recording an exchange costs the caller a queue put.
``flush()`` waits for the queue to drain; an ``atexit`` hook flushes on normal
interpreter exit so rows are not lost when a script ends right after a call.
"""

from __future__ import annotations

import atexit
import os
import queue
import sqlite3
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator
from contextlib import contextmanager

from conduit.errors import LedgerError
from conduit.ledger.records import ExchangeRecord, ToolCallRecord
from conduit.ledger.schema import MIGRATIONS
from conduit.observability.redact import redact

_BATCH = 256
_STOP = object()


def _sqlite_path(url: str) -> str:
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///") :]
    if url.startswith("sqlite://"):
        return url[len("sqlite://") :]
    return url


def connect_sqlite(path: str) -> sqlite3.Connection:
    """A connection with the pragmas every ledger user needs (WAL, busy wait)."""
    if path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
    except sqlite3.Error as exc:
        raise LedgerError(
            f"Cannot open the ledger database at {path}: {exc}",
            "Check that the directory is writable, or point CONDUIT_DB at another file.",
        ) from exc
    conn.row_factory = sqlite3.Row
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Apply pending migrations; returns the schema version."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at DOUBLE PRECISION)"
    )
    conn.execute("BEGIN IMMEDIATE")
    try:
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        for version, name, sql in MIGRATIONS:
            if version in done:
                continue
            for statement in (s.strip() for s in sql.split(";")):
                if statement:
                    conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", (version, name, time.time())
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return max(v for v, _, _ in MIGRATIONS)


class Ledger:
    """Exchanges and tool calls of every process that shares one database file."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = _sqlite_path(url)
        with self._connection() as conn:
            self.schema_version = migrate(conn)
        self._queue: queue.Queue[Any] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._writer_pid = 0
        self._lock = threading.Lock()
        self._error: BaseException | None = None
        atexit.register(self.flush)

    # -- connections -------------------------------------------------------
    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        conn = connect_sqlite(self.path)
        try:
            yield conn
        finally:
            conn.close()

    def connect(self) -> sqlite3.Connection:
        """A fresh connection for modules that keep their own tables here (budgets, pins)."""
        return connect_sqlite(self.path)

    # -- writing -----------------------------------------------------------
    def record(self, record: ExchangeRecord) -> str:
        """Queue one exchange row; returns its id. Error text is redacted first."""
        record.error_message = redact(record.error_message)
        self._put(("exchanges", record.to_row()))
        return record.id

    def record_tool_call(self, record: ToolCallRecord | None = None, **fields: Any) -> str:
        rec = record or ToolCallRecord(**fields)
        rec.error = redact(rec.error)
        self._put(("tool_calls", rec.to_row()))
        return rec.id

    def _put(self, item: tuple[str, dict[str, object]]) -> None:
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

    def _write_loop(self) -> None:
        conn = connect_sqlite(self.path)
        while True:
            item = self._queue.get()
            batch = [item]
            while len(batch) < _BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            rows = [b for b in batch if isinstance(b, tuple)]
            try:
                if rows:
                    self._write_batch(conn, rows)
            except BaseException as exc:  # keep the thread alive; surface on flush
                self._error = exc
            finally:
                for b in batch:
                    if isinstance(b, threading.Event):
                        b.set()
                    self._queue.task_done()

    @staticmethod
    def _write_batch(conn: sqlite3.Connection, rows: list[tuple[str, dict[str, object]]]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table, row in rows:
                columns = ", ".join(row)
                marks = ", ".join("?" for _ in row)
                conn.execute(f"INSERT OR REPLACE INTO {table} ({columns}) VALUES ({marks})", tuple(row.values()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def flush(self, timeout: float = 10.0) -> None:
        """Block until every queued row is committed."""
        if self._writer is None or self._writer_pid != os.getpid() or not self._writer.is_alive():
            return
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout)
        if self._error is not None:
            error, self._error = self._error, None
            raise LedgerError(f"Writing to the ledger at {self.path} failed: {error}", "Check disk space and permissions.")

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
            rows = [dict(r) for r in conn.execute(sql, params)]
        for row in rows:
            for key in ("cost_usd", "estimate_usd"):
                if row[key] is not None:
                    row[key] = Decimal(row[key])
            row["stream"] = bool(row["stream"])
        return rows

    def exchange(self, exchange_id: str) -> dict[str, Any] | None:
        self.flush()
        with self._connection() as conn:
            row = conn.execute("SELECT * FROM exchanges WHERE id = ?", (exchange_id,)).fetchone()
        if row is None:
            return None
        result = dict(row)
        for key in ("cost_usd", "estimate_usd"):
            if result[key] is not None:
                result[key] = Decimal(result[key])
        return result

    def tool_calls(self, since: float | None = None) -> list[dict[str, Any]]:
        self.flush()
        with self._connection() as conn:
            return [
                dict(r)
                for r in conn.execute(
                    "SELECT * FROM tool_calls WHERE created_at >= ? ORDER BY created_at DESC", (since or 0.0,)
                )
            ]

    def totals(self, since: float | None = None) -> dict[str, Any]:
        """Sums over exchanges; cost sums are exact (integer nano-USD)."""
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
                          SUM(CASE WHEN status NOT IN ('ok', 'retried') THEN 1 ELSE 0 END) AS failed
                   FROM exchanges WHERE created_at >= ?""",
                (since or 0.0,),
            ).fetchone()
        totals = dict(row)
        totals["cost_usd"] = Decimal(totals.pop("cost_nanousd")) / Decimal(1_000_000_000)
        totals["unpriced"] = totals["unpriced"] or 0
        totals["failed"] = totals["failed"] or 0
        totals["exchanges"] = totals["exchanges"] or 0  # retried attempts are rows, not exchanges
        return totals
