"""The PostgreSQL ledger: the same interface and semantics as the SQLite one, for many hosts.

Selected by ``CONDUIT_DB=postgresql://user@host:port/db`` (``open_ledger``
dispatches here). Writes go through a queue to one writer thread per process
that commits in batches, so recording an exchange costs the caller a queue
put, exactly like the SQLite ledger. Migrations are the shared list in
``conduit.ledger.schema``, applied under an advisory lock so many processes
starting at once migrate once.

``connect()`` returns a :class:`PgConnection`: a psycopg 3 connection that
speaks the dialect the SQLite callers already use (``?`` placeholders,
autocommit, rows readable by index and by column name), so modules keeping
their own tables in the ledger (budgets, MCP pins) run unchanged on both.
"""

from __future__ import annotations

import functools
import time
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from conduit.errors import LedgerError
from conduit.ledger.base import LedgerBase
from conduit.ledger.schema import MIGRATIONS

_MIGRATION_LOCK = 0x636F6E64  # "cond": one advisory lock id for schema migrations


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


@functools.lru_cache(maxsize=512)
def qmark_to_pyformat(sql: str) -> str:
    """``?`` placeholders → ``%s`` (and literal ``%`` → ``%%``), leaving quoted text alone."""
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if quote is not None:
            out.append("%%" if char == "%" else char)
            if char == quote:
                quote = None
            continue
        if char in ("'", '"'):
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out)


class Row(tuple):  # type: ignore[type-arg]
    """A result row readable by position and by column name, like ``sqlite3.Row``."""

    _index: dict[str, int]

    def __new__(cls, values: Sequence[Any], index: dict[str, int]) -> "Row":
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor: Any) -> Any:
    description = cursor.description
    if description is None:
        return tuple
    index = {column.name: i for i, column in enumerate(description)}
    return lambda values: Row(values, index)


def _import_psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise LedgerError(
            "The PostgreSQL ledger needs psycopg 3, which is not installed.",
            'Install it with: pip install "conduit[postgres]" (or pip install "psycopg[binary]").',
        ) from exc
    return psycopg


def connect_postgres(url: str) -> Any:
    """A raw psycopg connection in autocommit mode with name-and-index rows."""
    psycopg = _import_psycopg()
    try:
        return psycopg.connect(url, autocommit=True, row_factory=_row_factory, connect_timeout=30)
    except psycopg.Error as exc:
        raise LedgerError(
            f"Cannot connect to the PostgreSQL ledger at {_safe_url(url)}: {str(exc).strip()}",
            "Check that the server is running and CONDUIT_DB names a reachable database and user.",
        ) from exc


def _safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    head, sep, tail = url.partition("://")
    if "@" in tail:
        creds, _, host = tail.rpartition("@")
        user = creds.split(":", 1)[0]
        return f"{head}{sep}{user}@{host}"
    return url


class PgConnection:
    """A psycopg connection with the sqlite3-style surface conduit's stores use.

    ``execute`` takes ``?`` placeholders; the connection is in autocommit mode,
    so callers control transactions with explicit ``BEGIN``/``COMMIT`` as they
    do with SQLite's ``isolation_level=None``. ``raw`` is the psycopg connection.
    """

    backend = "postgres"

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.raw.execute(qmark_to_pyformat(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        cursor = self.raw.cursor()
        cursor.executemany(qmark_to_pyformat(sql), [tuple(r) for r in rows])
        return cursor

    def commit(self) -> None:
        self.raw.commit()

    def rollback(self) -> None:
        self.raw.rollback()

    def close(self) -> None:
        self.raw.close()

    @property
    def closed(self) -> bool:
        return bool(self.raw.closed)

    def __enter__(self) -> "PgConnection":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def migrate_postgres(conn: PgConnection) -> int:
    """Apply pending migrations once, whichever process gets the advisory lock first."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at DOUBLE PRECISION)"
    )
    conn.execute("BEGIN")
    try:
        conn.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations").fetchall()}
        for version, name, sql in MIGRATIONS:
            if version in done:
                continue
            for statement in (s.strip() for s in sql.split(";")):
                if statement:
                    conn.raw.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", (version, name, time.time())
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return max(v for v, _, _ in MIGRATIONS)


class PostgresLedger(LedgerBase):
    """Exchanges and tool calls of every process and host that shares one PostgreSQL database."""

    backend = "postgres"
    write_hint = "Check that the PostgreSQL server is up."

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = _safe_url(url)  # what messages show; the SQLite ledger's ``path`` counterpart
        with self._connection() as conn:
            self.schema_version = migrate_postgres(conn)
        self._start_writer_state()

    def _connection(self) -> "_Closing":
        return _Closing(PgConnection(connect_postgres(self.url)))

    def connect(self) -> PgConnection:
        """A fresh connection for modules that keep their own tables here (budgets, pins)."""
        return PgConnection(connect_postgres(self.url))

    def _usable(self, conn: PgConnection | None) -> bool:
        return conn is not None and not conn.closed

    def _write_batch(self, conn: PgConnection, rows: list[tuple[str, dict[str, object]]]) -> None:
        conn.execute("BEGIN")
        try:
            for table, row in rows:
                columns = ", ".join(row)
                marks = ", ".join("%s" for _ in row)
                updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in row if c != "id")
                conn.raw.execute(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT (id) DO UPDATE SET {updates}",
                    tuple(row.values()),
                )
            conn.execute("COMMIT")
        except BaseException:
            if not conn.closed:
                conn.execute("ROLLBACK")
            raise


class _Closing:
    """``with ledger._connection() as conn``: close the connection on exit."""

    def __init__(self, conn: PgConnection) -> None:
        self.conn = conn

    def __enter__(self) -> PgConnection:
        return self.conn

    def __exit__(self, *exc: Any) -> None:
        self.conn.close()


def schema_url(url: str, schema: str) -> str:
    """``url`` with ``search_path`` set to ``schema`` (libpq ``options``), to keep a ledger apart in one database."""
    from urllib.parse import quote

    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}', safe='')}"


@contextmanager
def scratch_schema(url: str, prefix: str = "conduit_scratch") -> Iterator[str]:
    """A throwaway schema in the database at ``url``; yields a URL that uses it, drops it afterwards.

    For tests and benchmarks that need an empty ledger on a shared server.
    """
    import uuid

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = connect_postgres(url)
    try:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        admin.close()
    try:
        yield schema_url(url, schema)
    finally:
        admin = connect_postgres(url)
        try:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            admin.close()
