"""Counting spend against budgets in the ledger database, atomically, on SQLite and PostgreSQL.

The guarantee -- settled spend never exceeds a limit -- rests on one rule:
a reservation is written only inside a transaction that has locked the usage
row of every budget it touches and seen ``spent + reserved + estimate <= limit``
on each. SQLite gets there with ``BEGIN IMMEDIATE`` (one writer at a time,
across threads and processes); PostgreSQL with ``SELECT ... FOR UPDATE`` on the
usage rows, always locked in the same (sorted) order, and a retry when the
server still reports a deadlock or serialization failure.

Settlement moves a reservation's estimate out of ``reserved`` and its actual
cost into ``spent`` (actual <= estimate keeps the sum under the limit).
A reservation whose process died is recovered: settled at its estimate
(state ``expired``); if the process was only slow and settles later, the
difference is corrected, so nothing is lost or counted twice.

Amounts are integer nano-USD (BIGINT): exact sums on both backends.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, TypeVar

from conduit.budget.alerts import BudgetAlert
from conduit.budget.spec import Budget, Charge, Window, from_nano, to_nano
from conduit.errors import LedgerError
from conduit.ledger.records import new_id

T = TypeVar("T")

_RETRIES = 8


@dataclass(slots=True)
class Hold:
    """One budget a reservation counts against, as it was when reserved."""

    budget: Budget
    window: Window

    def to_json(self) -> dict[str, Any]:
        return {
            "b": self.budget.key,
            "w": self.window.key,
            "l": self.budget.limit_nano,
            "a": list(self.budget.alerts),
        }


@dataclass(slots=True)
class Shortfall:
    """A budget this call would push over its limit, with the numbers for the message."""

    budget: Budget
    window: Window
    spent: int
    reserved: int
    estimate: int

    @property
    def remaining(self) -> int:
        return self.budget.limit_nano - self.spent - self.reserved


@dataclass(slots=True)
class Reservation:
    """The handle the pipeline carries from reserve to settle/release."""

    id: str
    estimate: int  # nano-USD held on every budget in ``holds``
    holds: list[Hold]
    exchange_id: str | None = None
    extra: int = 0  # nano-USD of maybe-billed retry attempts, charged at settlement
    over: list[Shortfall] = field(default_factory=list)  # warn budgets run over at reservation time
    done: bool = False


@dataclass(slots=True)
class Outcome:
    """What reserve found: a reservation, or the hard budgets that refused it."""

    reservation: Reservation | None
    refused: list[Shortfall]
    alerts: list[tuple[Budget, BudgetAlert]]


@dataclass(frozen=True, slots=True)
class UsageRow:
    budget: str
    window: str
    spent: int
    reserved: int
    settled_count: int
    first_at: float | None
    last_at: float | None


class BudgetStore:
    """Budget tables of one ledger database, shared by every gate of this process."""

    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger
        self.backend = getattr(ledger, "backend", "sqlite")
        self.host = socket.gethostname()
        self._local = threading.local()
        self._cache_lock = threading.Lock()
        self._stored_cache: tuple[float, list[Budget]] = (0.0, [])
        self._last_recovery = 0.0
        # SQLite admits one writer at a time; threads of one process queue on this lock (a fast
        # hand-off) instead of on SQLite's busy handler, which sleeps in whole milliseconds.
        self._writer_lock: threading.Lock | None = threading.Lock() if self.backend == "sqlite" else None

    # -- connections and transactions ---------------------------------------
    def _conn(self) -> Any:
        """One connection per thread (and per process, after a fork)."""
        pid = os.getpid()
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != pid or getattr(conn, "closed", False):
            conn = self.ledger.connect()
            self._local.conn = conn
            self._local.pid = pid
        return conn

    def _drop_conn(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # already broken; we only want it gone
                pass

    @property
    def _for_update(self) -> str:
        return " FOR UPDATE" if self.backend == "postgres" else ""

    def transact(self, body: Callable[[Any], T]) -> T:
        """Run ``body(conn)`` in one write transaction, retrying transient conflicts."""
        if self._writer_lock is None:
            return self._transact(body)
        with self._writer_lock:
            return self._transact(body)

    def _transact(self, body: Callable[[Any], T]) -> T:
        delay = 0.002
        for attempt in range(_RETRIES):
            conn = self._conn()
            try:
                conn.execute("BEGIN IMMEDIATE" if self.backend == "sqlite" else "BEGIN")
            except Exception as exc:
                self._drop_conn()
                if attempt + 1 < _RETRIES and _is_transient(exc):
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise _ledger_error(exc) from exc
            try:
                result = body(conn)
                conn.execute("COMMIT")
                return result
            except BaseException as exc:
                try:
                    conn.execute("ROLLBACK")
                except Exception:
                    self._drop_conn()
                if isinstance(exc, _MissingWindows) and attempt + 1 < _RETRIES:
                    try:
                        self._create_windows(self._conn(), exc.windows, exc.now)  # autocommit, no locks held
                    except Exception as create_error:
                        if _is_transient(create_error) or _is_db_error(create_error):
                            raise _ledger_error(create_error) from create_error
                        raise
                    continue
                if _is_transient(exc) and attempt + 1 < _RETRIES:
                    time.sleep(delay)
                    delay *= 2
                    continue
                if _is_transient(exc) or _is_db_error(exc):
                    raise _ledger_error(exc) from exc
                raise
        raise LedgerError("The budget transaction kept conflicting.", "Retry the call.")  # pragma: no cover

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        try:
            return list(self._conn().execute(sql, tuple(params)).fetchall())
        except Exception as exc:
            if _is_db_error(exc):
                self._drop_conn()
                raise _ledger_error(exc) from exc
            raise

    # -- definitions ---------------------------------------------------------
    def save_budget(self, budget: Budget) -> None:
        now = time.time()

        def body(conn: Any) -> None:
            conn.execute(
                "INSERT INTO budgets (scope, period, limit_nanousd, alerts, action, timezone, webhook, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scope, period) DO UPDATE SET "
                "limit_nanousd = excluded.limit_nanousd, alerts = excluded.alerts, action = excluded.action, "
                "timezone = excluded.timezone, webhook = excluded.webhook, updated_at = excluded.updated_at",
                (
                    budget.scope,
                    budget.period,
                    budget.limit_nano,
                    ",".join(str(a) for a in budget.alerts),
                    budget.action,
                    budget.timezone,
                    budget.webhook,
                    now,
                    now,
                ),
            )

        self.transact(body)
        self._invalidate()

    def delete_budgets(self, scope: str, period: str | None = None) -> int:
        def body(conn: Any) -> int:
            if period is None:
                cursor = conn.execute("DELETE FROM budgets WHERE scope = ?", (scope,))
            else:
                cursor = conn.execute("DELETE FROM budgets WHERE scope = ? AND period = ?", (scope, period))
            return int(cursor.rowcount or 0)

        count = self.transact(body)
        self._invalidate()
        return count

    def stored_budgets(self, conn: Any | None = None) -> list[Budget]:
        sql = "SELECT scope, period, limit_nanousd, alerts, action, timezone, webhook FROM budgets ORDER BY scope, period"
        rows = conn.execute(sql).fetchall() if conn is not None else self._read(sql)
        return [
            Budget(
                scope=row[0],
                limit=from_nano(row[2]),
                period=row[1],
                alerts=row[3],
                action=row[4],
                timezone=row[5],
                webhook=row[6],
                source="database",
            )
            for row in rows
        ]

    def cached_stored_budgets(self, max_age: float = 1.0) -> list[Budget]:
        """Stored budgets, re-read at most every ``max_age`` seconds (the no-budget fast path)."""
        now = time.monotonic()
        with self._cache_lock:
            at, budgets = self._stored_cache
            if at and now - at < max_age:
                return budgets
        # a short-lived connection: a process that never has budgets keeps no connection open for them
        conn = self.ledger.connect()
        try:
            budgets = self.stored_budgets(conn)
        except Exception as exc:
            if _is_db_error(exc):
                raise _ledger_error(exc) from exc
            raise
        finally:
            conn.close()
        with self._cache_lock:
            self._stored_cache = (now, budgets)
        return budgets

    def _invalidate(self) -> None:
        with self._cache_lock:
            self._stored_cache = (0.0, [])

    # -- reserve ---------------------------------------------------------------
    def reserve(
        self,
        charge: Charge,
        estimate: int,
        local: dict[str, Budget],
        *,
        exchange_id: str | None = None,
        label: str | None = None,
        ttl: float = 3600.0,
        now: float | None = None,
        enforce: bool = True,
    ) -> Outcome:
        """Hold ``estimate`` nano-USD on every budget that applies to ``charge``, atomically.

        ``local`` holds this process's budgets (conduit.toml, Python); stored
        budgets are read inside the transaction so a limit set a moment ago by
        another process counts. ``block`` and ``downgrade`` budgets must fit
        (else nothing is written and ``refused`` lists them); ``warn`` budgets
        may run over and yield an ``exceeded`` alert. ``enforce=False`` holds
        on every budget without checking (used for unknown prices under warn).
        """
        now = time.time() if now is None else now

        def body(conn: Any) -> Outcome:
            merged = {b.key: b for b in self.stored_budgets(conn)}
            merged.update(local)
            applicable = sorted((b for b in merged.values() if b.applies_to(charge)), key=lambda b: b.key)
            if not applicable:
                return Outcome(None, [], [])
            holds = [Hold(b, b.window(now)) for b in applicable]
            reservation_id = new_id("rv")
            # writes that touch no shared row go first, so the usage rows stay locked for as short as possible
            conn.execute(
                "INSERT INTO budget_reservations (id, exchange_id, label, created_at, expires_at, host, pid, state, "
                "estimate_nanousd, extra_nanousd, charges) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, 0, ?)",
                (
                    reservation_id,
                    exchange_id,
                    label,
                    now,
                    now + ttl,
                    self.host,
                    os.getpid(),
                    estimate,
                    json.dumps([h.to_json() for h in holds], separators=(",", ":")),
                ),
            )
            current = self._lock_windows(conn, [(h.budget.key, h.window.key) for h in holds], now)
            refused: list[Shortfall] = []
            over: list[Shortfall] = []
            for hold in holds:
                spent, reserved = current[(hold.budget.key, hold.window.key)]
                if spent + reserved + estimate > hold.budget.limit_nano:
                    short = Shortfall(hold.budget, hold.window, spent, reserved, estimate)
                    if enforce and hold.budget.action != "warn":
                        refused.append(short)
                    else:
                        over.append(short)
            if refused:
                raise _Refused(refused)  # rolls the reservation row back
            self._move(conn, list(current), 0, estimate, now, count=False)
            alerts = [
                (s.budget, alert)
                for s in over
                if (alert := self._insert_alert(conn, s.budget, s.window.key, "exceeded", 100, s.spent, s.reserved + estimate, now))
            ]
            return Outcome(Reservation(reservation_id, estimate, holds, exchange_id, over=over), [], alerts)

        try:
            return self.transact(body)
        except _Refused as refusal:
            return Outcome(None, refusal.shortfalls, [])

    # -- locking and moving money ------------------------------------------------
    @staticmethod
    def _where(windows: list[tuple[str, str]]) -> tuple[str, list[Any]]:
        clause = " OR ".join("(budget = ? AND period_key = ?)" for _ in windows)
        params = [value for window in windows for value in window]
        return clause, params

    def _lock_windows(self, conn: Any, windows: list[tuple[str, str]], now: float) -> dict[tuple[str, str], tuple[int, int]]:
        """Create missing usage rows, then lock all of them in one statement, in key order (no deadlocks)."""
        windows = sorted(set(windows))
        where, params = self._where(windows)
        select = (
            f"SELECT budget, period_key, spent_nanousd, reserved_nanousd FROM budget_usage WHERE {where} "
            "ORDER BY budget, period_key" + self._for_update
        )
        rows = conn.execute(select, params).fetchall()
        if len(rows) < len(windows):
            if self.backend == "postgres":
                # Creating rows while holding locks on others can deadlock with a transaction doing the
                # same in another order; start over with the rows created outside any transaction.
                raise _MissingWindows(windows, now)
            self._create_windows(conn, windows, now)
            rows = conn.execute(select, params).fetchall()
        return {(row[0], row[1]): (int(row[2]), int(row[3])) for row in rows}

    @staticmethod
    def _create_windows(conn: Any, windows: list[tuple[str, str]], now: float) -> None:
        """Empty usage rows for period windows seen for the first time (harmless if they exist)."""
        values = ", ".join("(?, ?, 0, 0, 0, ?, ?)" for _ in windows)
        conn.execute(
            "INSERT INTO budget_usage (budget, period_key, spent_nanousd, reserved_nanousd, settled_count, first_at, "
            f"last_at) VALUES {values} ON CONFLICT (budget, period_key) DO NOTHING",
            [v for window in windows for v in (*window, now, now)],
        )

    def _move(self, conn: Any, windows: list[tuple[str, str]], d_spent: int, d_reserved: int, now: float, *, count: bool) -> None:
        """One UPDATE for every locked window: the same amounts move on each budget of a reservation."""
        where, params = self._where(sorted(windows))
        conn.execute(
            "UPDATE budget_usage SET spent_nanousd = spent_nanousd + ?, reserved_nanousd = reserved_nanousd + ?, "
            f"settled_count = settled_count + ?, last_at = ? WHERE {where}",
            [d_spent, d_reserved, 1 if count else 0, now, *params],
        )


    # -- extend / settle / release ----------------------------------------------
    def extend(
        self, reservation: Reservation, amount: int, *, billed: bool = True, now: float | None = None
    ) -> list[Shortfall]:
        """Hold ``amount`` more on the same budgets.

        ``billed=True`` (a retry whose earlier attempt may have been billed):
        the amount is also charged at settlement whatever the final attempt
        costs, because the maybe-billed attempt's real cost is unknown.
        ``billed=False`` (a fallback to a pricier model): only the hold grows;
        settlement charges the actual cost. Returns the hard budgets that
        refused (nothing is held then).
        """
        now = time.time() if now is None else now

        def body(conn: Any) -> list[Shortfall]:
            row = conn.execute(
                "SELECT state FROM budget_reservations WHERE id = ?" + self._for_update, (reservation.id,)
            ).fetchone()
            if row is None or row[0] != "active":
                raise LedgerError(
                    f"Reservation {reservation.id} is {row[0] if row else 'gone'}; it cannot be extended.",
                    "Extend a reservation only between reserve and settle.",
                )
            current = self._lock_windows(conn, [(h.budget.key, h.window.key) for h in reservation.holds], now)
            refused = []
            for hold in reservation.holds:
                spent, reserved = current[(hold.budget.key, hold.window.key)]
                if hold.budget.action != "warn" and spent + reserved + amount > hold.budget.limit_nano:
                    refused.append(Shortfall(hold.budget, hold.window, spent, reserved, amount))
            if refused:
                return refused
            self._move(conn, list(current), 0, amount, now, count=False)
            conn.execute(
                "UPDATE budget_reservations SET estimate_nanousd = estimate_nanousd + ?, extra_nanousd = extra_nanousd + ? "
                "WHERE id = ?",
                (amount, amount if billed else 0, reservation.id),
            )
            return []

        refused = self.transact(body)
        if not refused:
            reservation.estimate += amount
            reservation.extra += amount if billed else 0
        return refused

    def settle(self, reservation_id: str, actual: int | None, *, now: float | None = None) -> list[BudgetAlert]:
        """Replace the held estimate by ``actual`` (+ extended amounts); None charges the estimate.

        Idempotent: a reservation already settled or released is left alone.
        """
        return self._close(reservation_id, actual, "settled", now)

    def release(self, reservation_id: str, *, now: float | None = None) -> list[BudgetAlert]:
        """Give the held estimate back (the call was not sent); extended amounts stay charged."""
        return self._close(reservation_id, 0, "released", now)

    def _close(self, reservation_id: str, actual: int | None, state: str, now: float | None) -> list[BudgetAlert]:
        now = time.time() if now is None else now

        def body(conn: Any) -> list[BudgetAlert]:
            row = conn.execute(
                "SELECT state, estimate_nanousd, extra_nanousd, charges FROM budget_reservations WHERE id = ?"
                + self._for_update,
                (reservation_id,),
            ).fetchone()
            if row is None or row[0] in ("settled", "released"):
                return []
            was, estimate, extra, charges = row[0], int(row[1]), int(row[2]), json.loads(row[3])
            base = estimate - extra
            charged = (base if actual is None else actual) + extra
            if was == "active":
                d_reserved, d_spent = -estimate, charged
            else:  # expired: recovery already charged the whole estimate; correct it to the truth
                d_reserved, d_spent = 0, charged - estimate
            conn.execute(
                "UPDATE budget_reservations SET state = ?, actual_nanousd = ?, settled_at = ? WHERE id = ?",
                (state, charged, now, reservation_id),
            )
            return self._apply(conn, charges, d_spent, d_reserved, now, count=state == "settled")

        return self.transact(body)

    def _apply(
        self, conn: Any, charges: list[dict[str, Any]], d_spent: int, d_reserved: int, now: float, *, count: bool = True
    ) -> list[BudgetAlert]:
        """Move money on each held budget window and insert the alerts this crossed."""
        current = self._lock_windows(conn, [(c["b"], c["w"]) for c in charges], now)
        self._move(conn, list(current), d_spent, d_reserved, now, count=count)
        alerts: list[BudgetAlert] = []
        for item in sorted(charges, key=lambda c: (c["b"], c["w"])):
            old_spent, old_reserved = current[(item["b"], item["w"])]
            new_spent, new_reserved = old_spent + d_spent, old_reserved + d_reserved
            limit = int(item["l"])
            for threshold in item["a"]:
                if _crossed(old_spent, new_spent, limit, int(threshold)):
                    budget_key = item["b"]
                    scope, _, period = budget_key.rpartition("@")
                    alert = self._insert_alert_raw(
                        conn, budget_key, scope, period, item["w"], "threshold", int(threshold), new_spent, new_reserved, limit, now
                    )
                    if alert is not None:
                        alerts.append(alert)
        return alerts

    def _insert_alert(
        self, conn: Any, budget: Budget, window: str, kind: str, threshold: int, spent: int, reserved: int, now: float
    ) -> BudgetAlert | None:
        return self._insert_alert_raw(
            conn, budget.key, budget.scope, budget.period, window, kind, threshold, spent, reserved, budget.limit_nano, now
        )

    @staticmethod
    def _insert_alert_raw(
        conn: Any,
        budget_key: str,
        scope: str,
        period: str,
        window: str,
        kind: str,
        threshold: int,
        spent: int,
        reserved: int,
        limit: int,
        now: float,
    ) -> BudgetAlert | None:
        """Insert the alert row; only the transaction that inserts it fires it (once per period)."""
        cursor = conn.execute(
            "INSERT INTO budget_alerts (budget, period_key, kind, threshold, fired_at, spent_nanousd, reserved_nanousd, "
            "limit_nanousd) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (budget, period_key, kind, threshold) DO NOTHING",
            (budget_key, window, kind, threshold, now, spent, reserved, limit),
        )
        if not cursor.rowcount:
            return None
        return BudgetAlert(
            budget=budget_key,
            scope=scope,
            period=period,
            window=window,
            threshold=threshold,
            spent=from_nano(spent),
            reserved=from_nano(reserved),
            limit=from_nano(limit),
            kind=kind,
            at=now,
        )

    # -- recovery --------------------------------------------------------------
    def recover(self, *, now: float | None = None, check_pids: bool = True) -> tuple[list[str], list[BudgetAlert]]:
        """Settle, at their estimate, reservations whose process died or whose time ran out.

        A reservation is recovered when it has expired, or when it was made on
        this host by a process that no longer exists (a crash: no need to wait
        for the timeout). Returns the recovered ids and the alerts they fired.
        """
        now = time.time() if now is None else now
        self._last_recovery = time.monotonic()
        candidates = self._read(
            "SELECT id, host, pid, expires_at FROM budget_reservations WHERE state = 'active' AND (expires_at < ? OR host = ?)",
            (now, self.host),
        )
        me = os.getpid()
        dead = [
            row[0]
            for row in candidates
            if float(row[3]) < now or (check_pids and row[1] == self.host and int(row[2]) != me and not _alive(int(row[2])))
        ]
        recovered: list[str] = []
        alerts: list[BudgetAlert] = []
        for reservation_id in dead:

            def body(conn: Any, reservation_id: str = reservation_id) -> list[BudgetAlert] | None:
                row = conn.execute(
                    "SELECT state, estimate_nanousd, charges FROM budget_reservations WHERE id = ?" + self._for_update,
                    (reservation_id,),
                ).fetchone()
                if row is None or row[0] != "active":
                    return None
                estimate = int(row[1])
                conn.execute(
                    "UPDATE budget_reservations SET state = 'expired', actual_nanousd = ?, settled_at = ? WHERE id = ?",
                    (estimate, now, reservation_id),
                )
                return self._apply(conn, json.loads(row[2]), estimate, -estimate, now)

            fired = self.transact(body)
            if fired is not None:
                recovered.append(reservation_id)
                alerts.extend(fired)
        return recovered, alerts

    def recovery_due(self, interval: float) -> bool:
        return time.monotonic() - self._last_recovery >= interval

    # -- reading -----------------------------------------------------------------
    def usage(self, budget_key: str, window: str) -> UsageRow:
        rows = self._read(
            "SELECT budget, period_key, spent_nanousd, reserved_nanousd, settled_count, first_at, last_at "
            "FROM budget_usage WHERE budget = ? AND period_key = ?",
            (budget_key, window),
        )
        if not rows:
            return UsageRow(budget_key, window, 0, 0, 0, None, None)
        r = rows[0]
        return UsageRow(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), r[5], r[6])

    def usage_history(self, budget_key: str) -> list[UsageRow]:
        rows = self._read(
            "SELECT budget, period_key, spent_nanousd, reserved_nanousd, settled_count, first_at, last_at "
            "FROM budget_usage WHERE budget = ? ORDER BY period_key DESC",
            (budget_key,),
        )
        return [UsageRow(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), r[5], r[6]) for r in rows]

    def reservations(self, state: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT id, exchange_id, label, created_at, expires_at, host, pid, state, estimate_nanousd, extra_nanousd, "
            "actual_nanousd, charges, settled_at FROM budget_reservations"
        )
        params: tuple[Any, ...] = ()
        if state is not None:
            sql += " WHERE state = ?"
            params = (state,)
        keys = (
            "id", "exchange_id", "label", "created_at", "expires_at", "host", "pid", "state", "estimate_nanousd",
            "extra_nanousd", "actual_nanousd", "charges", "settled_at",
        )
        return [dict(zip(keys, row)) for row in self._read(sql + " ORDER BY created_at", params)]

    def alerts(self, budget_key: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT budget, period_key, kind, threshold, fired_at, spent_nanousd, reserved_nanousd, limit_nanousd FROM budget_alerts"
        params: tuple[Any, ...] = ()
        if budget_key is not None:
            sql += " WHERE budget = ?"
            params = (budget_key,)
        keys = ("budget", "window", "kind", "threshold", "fired_at", "spent_nanousd", "reserved_nanousd", "limit_nanousd")
        return [dict(zip(keys, row)) for row in self._read(sql + " ORDER BY fired_at", params)]


class _MissingWindows(Exception):
    """PostgreSQL: usage rows must be created before a transaction locks them (see ``_lock_windows``)."""

    def __init__(self, windows: list[tuple[str, str]], now: float) -> None:
        super().__init__("missing usage rows")
        self.windows = windows
        self.now = now


class _Refused(Exception):
    """Raised inside a reserve transaction to roll it back and report the refusing budgets."""

    def __init__(self, shortfalls: list[Shortfall]) -> None:
        super().__init__("refused")
        self.shortfalls = shortfalls


def _crossed(old: int, new: int, limit: int, threshold: int) -> bool:
    """Did spend move from below ``threshold`` % of ``limit`` to at or above it?"""
    if limit <= 0:
        return new > 0 and old <= 0
    return old * 100 < threshold * limit <= new * 100


def _alive(pid: int) -> bool:
    """Whether a process with this id exists on this host (conservative: unknown means alive)."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _is_transient(exc: BaseException) -> bool:
    """Conflicts worth retrying: SQLite busy/locked; PostgreSQL deadlock, serialization, lost connection."""
    import sqlite3

    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return "locked" in text or "busy" in text
    module = type(exc).__module__ or ""
    if module.startswith("psycopg"):
        import psycopg

        return isinstance(exc, (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure, psycopg.OperationalError))
    return False


def _is_db_error(exc: BaseException) -> bool:
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        return True
    module = type(exc).__module__ or ""
    return module.startswith("psycopg")


def _ledger_error(exc: BaseException) -> LedgerError:
    return LedgerError(
        f"The budget store could not complete a transaction: {str(exc).strip() or type(exc).__name__}",
        "Check that the ledger database is reachable and writable (CONDUIT_DB); nothing was sent.",
    )


_stores: dict[str, BudgetStore] = {}
_stores_lock = threading.Lock()


def store_for(db: str | None = None) -> BudgetStore:
    """The process-wide budget store of a ledger URL (default: ``CONDUIT_DB``)."""
    from conduit.ledger import open_ledger

    ledger = open_ledger(db)
    key = str(getattr(ledger, "url", db))
    with _stores_lock:
        store = _stores.get(key)
        if store is None or store.ledger is not ledger:
            store = _stores[key] = BudgetStore(ledger)
        return store


def charges_to_usd(charges: str) -> list[dict[str, Any]]:
    """Decode a reservation's stored ``charges`` (for display)."""
    return [{"budget": c["b"], "window": c["w"], "limit_usd": str(from_nano(int(c["l"])))} for c in json.loads(charges)]


__all__ = ["BudgetStore", "Hold", "Outcome", "Reservation", "Shortfall", "UsageRow", "store_for", "to_nano"]
