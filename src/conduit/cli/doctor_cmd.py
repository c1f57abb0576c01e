"""`conduit doctor`: the preflight checklist."""

from __future__ import annotations

import json

import typer

from conduit.cli._common import out

_ICONS = {"ok": "[green]✓[/]", "warn": "[yellow]![/]", "fail": "[red]✗[/]", "skip": "[dim]-[/]"}


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)


def doctor(
    online: bool = typer.Option(False, "--online", help="Also make one real exchange (sandbox when no key)."),
    as_json: bool = typer.Option(False, "--json", help="Print the checks as JSON."),
) -> None:
    """Check keys, config, tokenizer, prices, ledger, redaction and pipeline before you rely on them."""
    from rich.markup import escape
    from rich.table import Table

    from conduit.doctor import run_checks
    from conduit.settings import get_settings

    checks = run_checks(get_settings(), online=online)
    failed = any(c.status == "fail" for c in checks)
    if as_json:
        out.print_json(json.dumps([c.to_dict() for c in checks]))
    else:
        table = Table(title="conduit doctor", show_lines=False)
        for column in ("", "area", "check", "detail", "hint"):
            table.add_column(column)
        for c in checks:
            table.add_row(_ICONS[c.status], c.area, c.name, escape(c.detail), escape(c.hint))
        out.print(table)
        counts = {s: sum(1 for c in checks if c.status == s) for s in ("ok", "warn", "fail")}
        out.print(f"{counts['ok']} ok, {counts['warn']} warnings, {counts['fail']} failures")
    if failed:
        raise typer.Exit(1)
