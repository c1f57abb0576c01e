"""The SQLite ledger: migrations, durability at exit, concurrency, exact sums, redaction."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conduit.ledger import ExchangeRecord, Ledger, ToolCallRecord
from conduit.ledger.schema import MIGRATIONS
from conduit.usage import Usage


def _record(cost: str | None = "0.001", **kw) -> ExchangeRecord:
    return ExchangeRecord(
        endpoint="chat.completions",
        model="gpt-4o",
        status="ok",
        usage=Usage(input_tokens=10, output_tokens=5),
        cost_usd=None if cost is None else Decimal(cost),
        **kw,
    )


def test_migrations_apply_once_and_are_recorded(tmp_path: Path) -> None:
    db = str(tmp_path / "l.db")
    Ledger(db)
    Ledger(db)  # second open: nothing re-applied
    rows = sqlite3.connect(db).execute("SELECT version FROM schema_migrations").fetchall()
    assert sorted(v for (v,) in rows) == sorted(v for v, _, _ in MIGRATIONS)
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_rows_survive_an_immediate_process_exit(tmp_path: Path) -> None:
    db = tmp_path / "exit.db"
    script = textwrap.dedent(
        f"""
        from decimal import Decimal
        from conduit.ledger import Ledger, ExchangeRecord
        ledger = Ledger({str(db)!r})
        for i in range(500):
            ledger.record(ExchangeRecord(endpoint="chat.completions", model="gpt-4o", status="ok", cost_usd=Decimal("0.000001")))
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert Ledger(str(db)).totals()["exchanges"] == 500


def test_threads_and_processes_write_one_file(tmp_path: Path) -> None:
    db = str(tmp_path / "shared.db")
    ledger = Ledger(db)
    script = textwrap.dedent(
        f"""
        from decimal import Decimal
        from conduit.ledger import Ledger, ExchangeRecord
        ledger = Ledger({db!r})
        for i in range(200):
            ledger.record(ExchangeRecord(endpoint="chat.completions", model="gpt-4o", status="ok", cost_usd=Decimal("0.000003")))
        ledger.flush()
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(3)]
    threads = [
        threading.Thread(target=lambda: [ledger.record(_record("0.000003")) for _ in range(200)]) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        assert p.wait(60) == 0
    totals = ledger.totals()
    assert totals["exchanges"] == 1400
    assert totals["cost_usd"] == Decimal("0.000003") * 1400


@settings(max_examples=30, deadline=None)
@given(st.lists(st.decimals(min_value=0, max_value=5, places=9, allow_nan=False), max_size=40))
def test_totals_equal_the_exact_sum_of_rows(tmp_path_factory, costs) -> None:
    ledger = Ledger(str(tmp_path_factory.mktemp("sum") / "l.db"))
    for cost in costs:
        ledger.record(_record(str(cost)))
    assert ledger.totals()["cost_usd"] == sum(costs, Decimal(0))
    assert sum(r["cost_usd"] for r in ledger.exchanges()) == sum(costs, Decimal(0))


def test_unknown_cost_is_null_and_counted_as_unpriced(tmp_path: Path) -> None:
    ledger = Ledger(str(tmp_path / "l.db"))
    ledger.record(_record(None))
    ledger.record(_record("0.5"))
    totals = ledger.totals()
    assert totals["unpriced"] == 1 and totals["cost_usd"] == Decimal("0.5")
    assert [r["cost_usd"] for r in ledger.exchanges()].count(None) == 1


def test_error_text_is_redacted_before_storage(tmp_path: Path) -> None:
    ledger = Ledger(str(tmp_path / "l.db"))
    key = "sk-proj-" + "k" * 40
    ledger.record(_record(error_message=f"upstream said: invalid key {key}"))
    ledger.record_tool_call(ToolCallRecord(server="fs", tool="read", status="error", error=f"Bearer {key}"))
    ledger.flush()
    dump = "\n".join(sqlite3.connect(ledger.path).iterdump())
    assert key not in dump and "REDACTED" in dump


def test_session_filter_and_since(tmp_path: Path) -> None:
    ledger = Ledger(str(tmp_path / "l.db"))
    ledger.record(_record(session="a", created_at=100.0))
    ledger.record(_record(session="b", created_at=200.0))
    assert [r["session"] for r in ledger.exchanges(session="a")] == ["a"]
    assert [r["session"] for r in ledger.exchanges(since=150.0)] == ["b"]
