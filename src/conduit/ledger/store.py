"""The SQLite ledger: durable, off the call path, safe across threads and processes.

Writes go through a queue to one writer thread per process, which commits in
batches (WAL mode), so recording an exchange costs the caller a queue put.
``flush()`` waits for the queue to drain; an ``atexit`` hook flushes on normal
interpreter exit so rows are not lost when a script ends right after a call.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from conduit.errors import LedgerError
from conduit.ledger.base import LedgerBase
from conduit.ledger.schema import MIGRATIONS


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


@functools.lru_cache(maxsize=64)
def _upsert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"


class Ledger(LedgerBase):
    """Exchanges and tool calls of every process that shares one SQLite database file."""

    backend = "sqlite"

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = _sqlite_path(url)
        with self._connection() as conn:
            self.schema_version = migrate(conn)
        self._start_writer_state()

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

    def _write_batch(self, conn: sqlite3.Connection, rows: list[tuple[str, dict[str, object]]]) -> None:
        groups: dict[tuple[str, tuple[str, ...]], list[tuple[object, ...]]] = {}
        for table, row in rows:
            groups.setdefault((table, tuple(row)), []).append(tuple(row.values()))
        conn.execute("BEGIN IMMEDIATE")
        try:
            for (table, columns), values in groups.items():
                conn.executemany(_upsert_sql(table, columns), values)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
