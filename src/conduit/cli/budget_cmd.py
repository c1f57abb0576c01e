"""`conduit budget set | list | show | rm | alerts`: spending limits that calls cannot overrun.

Budgets set here are stored in the ledger database (``CONDUIT_DB``), so every
process and host sharing it enforces them; budgets in ``conduit.toml`` are
listed too (and edited there).
"""

from __future__ import annotations

import json
import time
from typing import Optional

import typer

from conduit.cli._common import money, out
from conduit.errors import ConduitError, ConfigurationError


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Budgets: spending limits per scope and period (block, downgrade or warn at the limit).",
        no_args_is_help=True,
    )
    group.command("set")(set_budget)
    group.command("list")(list_budgets)
    group.command("show")(show_budget)
    group.command("rm")(remove_budget)
    group.command("alerts")(list_alerts)
    app.add_typer(group, name="budget")


def set_budget(
    scope: str = typer.Argument(..., help="global | project:<name> | user:<id> | session:<id> | model:<name> | tool:<server>/<tool>"),
    limit: str = typer.Argument(..., help="Limit in USD, e.g. 5 or 2.50."),
    period: str = typer.Option("total", "--period", "-p", help="total | day | month"),
    alerts: str = typer.Option("50,80,100", "--alerts", help="Alert thresholds in percent, comma-separated."),
    action: str = typer.Option("block", "--action", "-a", help="At the limit: block | downgrade | warn."),
    timezone: Optional[str] = typer.Option(
        None, "--timezone", "--tz", help="Time zone of day/month periods (IANA name; default [budgets] timezone or UTC)."
    ),
    webhook: Optional[str] = typer.Option(None, "--webhook", help="URL that receives alerts as a JSON POST."),
) -> None:
    """Create or replace the budget of SCOPE for one period."""
    from conduit.budget import Budget, store_for
    from conduit.budget.config import budget_settings

    if webhook is not None and not webhook.startswith(("http://", "https://")):
        raise ConfigurationError(f"--webhook must be an http(s) URL, got {webhook!r}.", "Write e.g. --webhook https://example.com/hook.")
    zone = timezone or budget_settings().timezone
    budget = Budget(scope=scope, limit=limit, period=period, alerts=alerts, action=action, timezone=zone, webhook=webhook)
    store = store_for()
    store.save_budget(budget)
    per = "" if budget.period == "total" else f" per {budget.period} ({budget.timezone})"
    out.print(
        f"budget {budget.key}: limit {money(budget.limit, 2)}{per}, alerts at {', '.join(f'{a}%' for a in budget.alerts)}, "
        f"action {budget.action} — stored in {store.ledger.path}"
    )


def list_budgets(as_json: bool = typer.Option(False, "--json", help="Print a JSON list.")) -> None:
    """Every budget (database and conduit.toml) with its current period's spend."""
    from conduit.budget import budget_status

    statuses = budget_status()
    if as_json:
        out.print_json(json.dumps([s.to_dict() for s in statuses]))
        return
    if not statuses:
        out.print("no budgets. Set one with: conduit budget set global 5 --period month")
        return
    from rich.table import Table

    table = Table(title="conduit budgets")
    for column, justify in (("scope", "left"), ("period", "left"), ("window", "left"), ("spent", "right"), ("reserved", "right"),
                            ("limit", "right"), ("used", "right"), ("", "left"), ("action", "left"), ("source", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for s in statuses:
        table.add_row(
            s.budget.scope, s.budget.period, s.window, money(s.spent), money(s.reserved), money(s.limit, 2),
            f"{s.percent:.1f}%", _colour(s.bar(12), s.percent), s.budget.action, s.budget.source,
        )
    out.print(table)


def show_budget(
    scope: str = typer.Argument(..., help="The budget's scope, e.g. global or user:ana."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Spent, reserved, remaining, burn rate and a bar for each period budget of SCOPE."""
    from conduit.budget import budget_status
    from conduit.budget.spec import normalize_scope

    scope = normalize_scope(scope)
    statuses = budget_status(scope)
    if not statuses:
        raise ConduitError(f"No budget for {scope}.", f"Set one with: conduit budget set {scope} 5 --period month")
    if as_json:
        out.print_json(json.dumps([s.to_dict() for s in statuses]))
        return
    for s in statuses:
        out.print(f"[bold]{s.budget.key}[/]  ({s.budget.source}; action {s.budget.action}; window {s.window} {s.budget.timezone})")
        out.print(f"  {_colour(s.bar(30), s.percent)} {s.percent:.1f}%")
        out.print(f"  spent     {money(s.spent)}   over {s.calls} settled call(s)")
        out.print(f"  reserved  {money(s.reserved)}   (calls in flight)")
        out.print(f"  remaining {money(s.remaining)}   of {money(s.limit, 2)}")
        if s.burn_per_day is not None:
            line = f"  burn rate {money(s.burn_per_day)}/day"
            if s.projected is not None and s.window_end is not None:
                end = time.strftime("%Y-%m-%d %H:%M", time.gmtime(s.window_end))
                line += f"; at this rate {money(s.projected)} by {end} UTC"
                if s.projected > s.limit:
                    line += " [red](over the limit)[/]"
            out.print(line)
        out.print(f"  alerts at {', '.join(f'{a}%' for a in s.budget.alerts)}")


def remove_budget(
    scope: str = typer.Argument(..., help="The budget's scope."),
    period: Optional[str] = typer.Option(None, "--period", "-p", help="Only this period (default: all of SCOPE)."),
) -> None:
    """Delete the stored budget(s) of SCOPE (spend already counted stays in the ledger)."""
    from conduit.budget import store_for, toml_budgets
    from conduit.budget.spec import normalize_scope

    scope = normalize_scope(scope)
    removed = store_for().delete_budgets(scope, period)
    in_toml = [b.key for b in toml_budgets() if b.scope == scope and (period is None or b.period == period)]
    if not removed:
        if in_toml:
            raise ConduitError(f"{', '.join(in_toml)} is defined in conduit.toml.", "Remove it from the [budgets] section there.")
        raise ConduitError(f"No stored budget for {scope}" + (f" ({period})" if period else "") + ".", "See `conduit budget list`.")
    out.print(f"removed {removed} budget(s) of {scope}")
    if in_toml:
        out.print(f"[yellow]note:[/] {', '.join(in_toml)} still applies from conduit.toml")


def list_alerts(
    scope: Optional[str] = typer.Argument(None, help="Only this scope's alerts."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Alerts fired (recorded in the ledger), oldest first."""
    from conduit.budget import store_for
    from conduit.budget.spec import from_nano, normalize_scope

    wanted = normalize_scope(scope) if scope else None
    rows = [r for r in store_for().alerts() if wanted is None or r["budget"].rpartition("@")[0] == wanted]
    for row in rows:
        for key in ("spent_nanousd", "reserved_nanousd", "limit_nanousd"):
            row[key.replace("_nanousd", "_usd")] = str(from_nano(row.pop(key)))
    if as_json:
        out.print_json(json.dumps(rows))
        return
    if not rows:
        out.print("no alerts fired")
        return
    for row in rows:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(row["fired_at"]))
        label = "over limit (warn)" if row["kind"] == "exceeded" else f"{row['threshold']}%"
        out.print(f"{when} UTC  {row['budget']} {row['window']}  {label}  spent ${row['spent_usd']} of ${row['limit_usd']}")


def _colour(bar: str, percent: object) -> str:
    from decimal import Decimal

    from rich.markup import escape

    value = Decimal(str(percent))
    colour = "red" if value >= 100 else "yellow" if value >= 80 else "green"
    return f"[{colour}]{escape(bar)}[/]"
