"""`conduit usage`: what was spent, from the ledger."""

from __future__ import annotations

import json
import time
from typing import Any, Optional

import typer

from conduit.cli._common import money, out, parse_since


def register(app: typer.Typer) -> None:
    app.command("usage")(usage)


def usage(
    since: Optional[str] = typer.Option("1d", "--since", help="How far back: 30m, 12h, 1d, 2w, or a date."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="Rows to show."),
    session: Optional[str] = typer.Option(None, "--session", help="Only this session."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of rows."),
    attempts: bool = typer.Option(False, "--attempts", help="Also list attempts that were retried."),
) -> None:
    """Recent exchanges and totals from the ledger."""
    from conduit.ledger import open_ledger

    ledger = open_ledger()
    start = parse_since(since)
    rows = ledger.exchanges(since=start, limit=limit, session=session, include_retried=attempts)
    if as_json:
        for row in rows:
            for key in ("cost_usd", "estimate_usd"):
                if row[key] is not None:
                    row[key] = str(row[key])
            row.pop("usage_json", None)
        out.print_json(json.dumps(rows))
        return
    from rich.table import Table

    totals = ledger.totals(since=start)
    status_style = {"ok": "{}", "cached": "[green]{}[/]"}
    # (header, cell, footer, right-aligned, kept on narrow terminals)
    columns: list[tuple[str, Any, str, bool, bool]] = [
        ("time", lambda r: time.strftime("%m-%d %H:%M:%S", time.localtime(r["created_at"])), "total", False, True),
        ("endpoint", lambda r: r["endpoint"], "", False, False),
        ("model", lambda r: r["model"] or "", "", False, True),
        ("status", lambda r: status_style.get(r["status"], "[red]{}[/]").format(r["status"]), "", False, True),
        ("in", lambda r: f"{r['input_tokens']:,}", f"{totals['input_tokens']:,}", True, True),
        ("cached", lambda r: f"{r['cached_input_tokens']:,}", f"{totals['cached_input_tokens']:,}", True, False),
        ("out", lambda r: f"{r['output_tokens']:,}", f"{totals['output_tokens']:,}", True, True),
        ("est. in", lambda r: "" if r["estimated_input_tokens"] is None else f"{r['estimated_input_tokens']:,}", "", True, False),
        ("cost", lambda r: money(r["cost_usd"]), money(totals["cost_usd"]), True, True),
        ("ms", lambda r: "" if r["latency_ms"] is None else f"{r['latency_ms']:.0f}", "", True, False),
        ("session", lambda r: r["session"] or "", "", False, False),
    ]
    if out.width < 120:  # a narrow terminal gets the columns that matter most (--json has them all)
        columns = [c for c in columns if c[4]]
    table = Table(title=f"conduit usage — since {since}", show_footer=True)
    for header, _, footer, right, _ in columns:
        table.add_column(header, footer=footer, justify="right" if right else "left", no_wrap=True)
    for row in rows:
        table.add_row(*(cell(row) for _, cell, _, _, _ in columns))
    out.print(table)
    note = f"{totals['exchanges']} exchanges, {totals['failed']} failed"
    if totals["attempts"] > totals["exchanges"]:
        note += f", {totals['attempts'] - totals['exchanges']} retried attempts (--attempts lists them)"
    accuracy = _estimate_accuracy(rows)
    if accuracy:
        note += f"; {accuracy}"
    if totals["unpriced"]:
        note += f", [yellow]{totals['unpriced']} with unknown price (not counted as $0)[/]"
    out.print(note)


def _estimate_accuracy(rows: list[dict]) -> str:
    """How well the pre-call estimates matched: exact input counts, and actual cost vs the reserved worst case."""
    judged = [r for r in rows if r["status"] == "ok" and r["estimated_input_tokens"] is not None and r["input_tokens"]]
    if not judged:
        return ""
    exact = sum(1 for r in judged if r["estimated_input_tokens"] == r["input_tokens"])
    error = sum(abs(r["estimated_input_tokens"] - r["input_tokens"]) / r["input_tokens"] for r in judged) / len(judged)
    text = f"input-token estimates exact in {exact}/{len(judged)} (mean error {error:.1%})"
    priced = [r for r in judged if r["estimate_usd"] and r["cost_usd"] is not None]
    if priced:
        share = sum(r["cost_usd"] / r["estimate_usd"] for r in priced) / len(priced)
        text += f", actual cost {share:.0%} of the reserved worst case on average"
    return text
