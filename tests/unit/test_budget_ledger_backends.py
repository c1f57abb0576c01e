"""The ledger interface behaves the same on SQLite and PostgreSQL (the budget store relies on it)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import pytest

from conduit.ledger import ExchangeRecord, ToolCallRecord, open_ledger
from conduit.ledger.postgres import PostgresLedger, qmark_to_pyformat
from conduit.ledger.schema import MIGRATIONS
from conduit.usage import Usage

NO_PG = "CONDUIT_TEST_POSTGRES is not set: no PostgreSQL server to test the Postgres backend (.ci/postgres starts one)"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.db")
        return
    base = os.environ.get("CONDUIT_TEST_POSTGRES")
    if not base:
        pytest.skip(NO_PG)
    from conduit.ledger.postgres import scratch_schema

    with scratch_schema(base, "t_ledger") as url:
        yield url
        open_ledger(url).flush()


def _record(cost: str | None = "0.001", **kw: Any) -> ExchangeRecord:
    return ExchangeRecord(
        endpoint="chat.completions",
        model="gpt-4o",
        status="ok",
        usage=Usage(input_tokens=10, output_tokens=5),
        cost_usd=None if cost is None else Decimal(cost),
        **kw,
    )


def test_open_ledger_dispatches_on_the_url(db_url: str) -> None:
    ledger = open_ledger(db_url)
    assert open_ledger(db_url) is ledger
    assert isinstance(ledger, PostgresLedger) == db_url.startswith("postgresql://")
    conn = ledger.connect()
    try:
        versions = sorted(row[0] for row in conn.execute("SELECT version FROM schema_migrations").fetchall())
    finally:
        conn.close()
    assert versions == sorted(v for v, _, _ in MIGRATIONS)


def test_record_read_totals_and_tool_calls(db_url: str) -> None:
    ledger = open_ledger(db_url)
    first = ledger.record(_record("0.000000001", session="s1", error_message="key sk-proj-" + "a" * 40))
    ledger.record(_record("0.25", session="s2"))
    ledger.record(_record(None, session="s1"))
    ledger.record_tool_call(server="fs", tool="read", status="ok", duration_ms=1.5, session="s1")
    rows = ledger.exchanges()
    assert len(rows) == 3 and all(isinstance(r["stream"], bool) for r in rows)
    assert [r["session"] for r in ledger.exchanges(session="s1")] == ["s1", "s1"]
    row = ledger.exchange(first)
    assert row is not None and row["cost_usd"] == Decimal("0.000000001") and "a" * 40 not in (row["error_message"] or "")
    assert ledger.exchange("ex_missing") is None
    totals = ledger.totals()
    assert totals["exchanges"] == 3 and totals["cost_usd"] == Decimal("0.250000001") and totals["unpriced"] == 1
    assert totals["input_tokens"] == 30 and isinstance(totals["input_tokens"], int)
    [call] = ledger.tool_calls()
    assert (call["server"], call["tool"], call["status"]) == ("fs", "read", "ok")


def test_rewriting_a_row_replaces_it(db_url: str) -> None:
    ledger = open_ledger(db_url)
    record = _record("0.1")
    ledger.record(record)
    ledger.flush()
    record.status, record.cost_usd = "error", Decimal("0")
    ledger.record(record)
    [row] = ledger.exchanges()
    assert (row["status"], row["cost_usd"]) == ("error", Decimal("0"))


def test_threads_and_processes_write_one_database(db_url: str) -> None:
    ledger = open_ledger(db_url)
    script = textwrap.dedent(
        f"""
        from decimal import Decimal
        from conduit.ledger import open_ledger, ExchangeRecord
        ledger = open_ledger({db_url!r})
        for i in range(200):
            ledger.record(ExchangeRecord(endpoint="chat.completions", model="gpt-4o", status="ok", cost_usd=Decimal("0.000001")))
        """
    )
    children = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(2)]

    def write() -> None:
        for _ in range(100):
            ledger.record(_record("0.000001"))

    threads = [threading.Thread(target=write) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(child.wait(timeout=60) == 0 for child in children)  # rows are flushed at interpreter exit
    totals = ledger.totals()
    assert totals["exchanges"] == 700 and totals["cost_usd"] == Decimal("0.0007")


def test_connect_speaks_the_sqlite_dialect(db_url: str) -> None:
    """Modules keeping their own tables (MCP pins, budgets) write `?` SQL once for both backends."""
    conn = open_ledger(db_url).connect()
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS scratch_pins (k TEXT PRIMARY KEY, v TEXT)")
        conn.execute("INSERT INTO scratch_pins (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", ("a", "1%"))
        conn.execute("INSERT INTO scratch_pins (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", ("a", "2?"))
        row = conn.execute("SELECT k, v FROM scratch_pins WHERE k = ?", ("a",)).fetchone()
        assert tuple(row) == ("a", "2?") and row["v"] == "2?"
        assert conn.execute("SELECT COUNT(*) FROM scratch_pins WHERE v LIKE '2%'").fetchone()[0] == 1
    finally:
        conn.close()


def test_qmark_translation_leaves_quoted_text_alone() -> None:
    assert qmark_to_pyformat("SELECT '?', \"a?\" FROM t WHERE x = ? AND y LIKE '5%'") == (
        "SELECT '?', \"a?\" FROM t WHERE x = %s AND y LIKE '5%%'"
    )


def test_a_bad_postgres_url_is_a_clear_ledger_error() -> None:
    from conduit.errors import LedgerError

    with pytest.raises(LedgerError) as caught:
        PostgresLedger("postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=2")
    assert "secret" not in caught.value.message and caught.value.hint
