"""`conduit models`: the catalog -- status, limits and unit prices of every model conduit knows."""

from __future__ import annotations

import json
import warnings
from decimal import Decimal
from typing import Optional

import typer

from conduit.cli._common import out

_KINDS = ("chat", "image", "transcription", "speech", "embedding", "moderation")


def register(app: typer.Typer) -> None:
    app.command("models")(models)


def _fmt(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return f"${text}"


def _price_cell(prices: dict[str, Decimal] | None, kind: str) -> tuple[str, str, str, str]:
    """(input, cached input, output, other) cells for the table."""
    if not prices:
        return "", "", "", "[yellow]unknown[/]"
    other: list[str] = []
    if "per_image[1024x1024/standard]" in prices:
        other.append(f"{_fmt(prices['per_image[1024x1024/standard]'])}/image (1024², standard)")
    elif any(key.startswith("per_image[") for key in prices):
        first = next(key for key in prices if key.startswith("per_image["))
        other.append(f"{_fmt(prices[first])}/image ({first[10:-1]})")
    if "per_minute" in prices:
        other.append(f"{_fmt(prices['per_minute'])}/min")
    if "per_million_chars" in prices:
        other.append(f"{_fmt(prices['per_million_chars'])}/1M chars")
    if "audio_input_mtok" in prices or "audio_output_mtok" in prices:
        other.append(
            f"audio {_fmt(prices.get('audio_input_mtok'))} in / {_fmt(prices.get('audio_output_mtok'))} out"
        )
    if "tier_above_input_tokens" in prices:
        other.append(f"higher tier above {int(prices['tier_above_input_tokens']):,} input tokens")
    if "image_output_mtok" in prices:
        other.append(f"image out {_fmt(prices['image_output_mtok'])}")
    return (
        _fmt(prices.get("input_mtok")),
        _fmt(prices.get("cached_input_mtok")),
        _fmt(prices.get("output_mtok")),
        ", ".join(other),
    )


def models(
    kind: Optional[str] = typer.Option(None, "--kind", help=f"Only one kind: {', '.join(_KINDS)}."),
    include_retired: bool = typer.Option(True, "--retired/--no-retired", help="Include shut-down models."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list (prices as decimal strings)."),
) -> None:
    """Every model in the catalog: status (active / deprecated / retired), limits and prices per unit.

    Token prices are USD per 1M tokens (genai-prices' offline snapshot); images, minutes
    and characters come from conduit's bundled table or your [prices] in conduit.toml.
    """
    from conduit.catalog import current_successor, list_models, unit_prices
    from conduit.errors import ValidationError

    if kind is not None and kind not in _KINDS:
        raise ValidationError(f"Unknown model kind {kind!r}.", f"Use one of: {', '.join(_KINDS)}.")
    specs = [s for s in list_models(kind) if include_retired or s.status() != "retired"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prices = {spec.name: unit_prices(spec.name) for spec in specs}
    if as_json:
        rows = []
        for spec in specs:
            row = spec.to_dict()
            row["prices"] = {k: str(v) for k, v in (prices[spec.name] or {}).items()} or None
            row["current_successor"] = current_successor(spec.name) if spec.successor else None
            rows.append(row)
        out.print_json(json.dumps(rows))
        return

    from rich.table import Table

    table = Table(title="conduit models — prices in USD per 1M tokens unless noted")
    for column, justify in [
        ("model", "left"), ("kind", "left"), ("status", "left"), ("context", "right"), ("max out", "right"),
        ("input", "right"), ("cached", "right"), ("output", "right"), ("other prices", "left"),
    ]:
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    colours = {"active": "green", "deprecated": "yellow", "retired": "red"}
    for spec in specs:
        status = spec.status()
        label = f"[{colours[status]}]{status}[/]"
        if status != "active" and spec.shutdown_on:
            verb = "shut down" if status == "retired" else "shuts down"
            label += f"\n{verb} {spec.shutdown_on.isoformat()}"
            successor = current_successor(spec.name) if status == "retired" else spec.successor
            if successor:
                label += f"\n→ {successor}"
        input_cell, cached_cell, output_cell, other = _price_cell(prices[spec.name], spec.kind)
        table.add_row(
            spec.name,
            spec.kind,
            label,
            f"{spec.context_window:,}" if spec.context_window else "",
            f"{spec.max_output_tokens:,}" if spec.max_output_tokens else "",
            input_cell,
            cached_cell,
            output_cell,
            other,
        )
    out.print(table)
