"""`conduit budget set | list | show | rm | alerts`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest
from typer.testing import CliRunner

from conduit.budget import BudgetGate, Charge, store_for
from conduit.errors import ConduitError


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from conduit.settings import get_settings

    db = str(tmp_path / "ledger.db")
    monkeypatch.setenv("CONDUIT_DB", db)
    monkeypatch.setenv("CONDUIT_CONFIG", str(tmp_path / "conduit.toml"))
    get_settings.cache_clear()
    yield db
    monkeypatch.undo()
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, BaseException | None]:
    from conduit.cli.app import app

    result = CliRunner().invoke(app, ["budget", *args])
    return result.exit_code, result.output, result.exception


def test_set_list_show_rm(cli_db: str) -> None:
    code, output, _ = run("set", "global", "5", "--period", "month", "--alerts", "50,90", "--action", "downgrade")
    assert code == 0 and "global@month" in output and "$5.00" in output
    run("set", "user:ana", "0.50", "--period", "day")
    # spend a little through the gate so show has numbers
    gate = BudgetGate(cli_db, use_config=False)
    reservation = gate.reserve_charge(Charge(user="ana"), Decimal("0.20"))
    gate.settle(reservation, Decimal("0.10"))
    held = gate.reserve_charge(Charge(user="ana"), Decimal("0.05"))

    code, output, _ = run("list", "--json")
    rows = {r["scope"]: r for r in json.loads(output)}
    assert code == 0 and set(rows) == {"global", "user:ana"}
    assert rows["global"]["action"] == "downgrade" and rows["global"]["alerts"] == [50, 90]
    assert (rows["user:ana"]["spent_usd"], rows["user:ana"]["reserved_usd"], rows["user:ana"]["remaining_usd"]) == ("0.1", "0.05", "0.35")
    assert rows["user:ana"]["burn_usd_per_day"] is not None and rows["user:ana"]["source"] == "database"

    code, output, _ = run("list")
    assert code == 0 and "user:ana" in output and "downgrade" in output

    code, output, _ = run("show", "user:ana")
    assert code == 0
    for part in ("user:ana@day", "spent     $0.100000", "reserved  $0.050000", "remaining $0.350000", "burn rate", "#"):
        assert part in output
    gate.release(held)

    code, output, _ = run("rm", "user:ana")
    assert code == 0 and "removed 1" in output
    assert [b.key for b in store_for(cli_db).stored_budgets()] == ["global@month"]
    code, _, error = run("rm", "user:ana")
    assert code != 0 and isinstance(error, ConduitError)


def test_alerts_are_listed(cli_db: str) -> None:
    run("set", "global", "1", "--alerts", "10")
    gate = BudgetGate(cli_db, use_config=False)
    gate.settle(gate.reserve_charge(Charge(), Decimal("0.5")), Decimal("0.2"))
    code, output, _ = run("alerts", "--json")
    [alert] = json.loads(output)
    assert code == 0 and (alert["budget"], alert["threshold"], alert["spent_usd"]) == ("global@total", 10, "0.2")
    code, output, _ = run("alerts")
    assert "global@total total  10%" in output


def test_toml_budgets_are_listed_and_cannot_be_removed_here(cli_db: str, tmp_path: Path) -> None:
    from conduit.settings import get_settings

    (tmp_path / "conduit.toml").write_text('[budgets."project:acme"]\nlimit = 3\nperiod = "month"\n', encoding="utf-8")
    get_settings.cache_clear()
    code, output, _ = run("list", "--json")
    [row] = json.loads(output)
    assert (row["scope"], row["source"], row["limit_usd"]) == ("project:acme", "conduit.toml", "3")
    code, _, error = run("rm", "project:acme")
    assert code != 0 and isinstance(error, ConduitError) and "conduit.toml" in error.message


def test_errors_print_a_message_and_a_hint_without_traceback(cli_db: str) -> None:
    env = {**os.environ, "CONDUIT_DB": cli_db}
    result = subprocess.run(
        [sys.executable, "-c", "from conduit.cli.app import main; main()", "budget", "set", "team:x", "5"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert result.returncode != 0
    assert "Unknown budget scope 'team:x'" in result.stderr and "hint:" in result.stderr
    assert "Traceback" not in result.stderr
    code, output, _ = run("show", "global")
    assert code != 0
