"""`conduit price MODEL ...`: what a given usage costs, to the fraction of a cent, with its breakdown."""

from __future__ import annotations

from rich.markup import escape

import json
import warnings
from typing import Optional

import typer

from conduit.cli._common import money, out


def register(app: typer.Typer) -> None:
    app.command("price")(price_command)


def price_command(
    model: str = typer.Argument(..., help="Model id (snapshots and ft: ids resolve to their family)."),
    input_tokens: int = typer.Option(0, "--input-tokens", min=0, help="Prompt tokens (incl. cached and audio)."),
    cached_input_tokens: int = typer.Option(0, "--cached-input-tokens", min=0, help="Of which cached."),
    output_tokens: int = typer.Option(0, "--output-tokens", min=0, help="Completion tokens (incl. reasoning)."),
    reasoning_tokens: int = typer.Option(0, "--reasoning-tokens", min=0, help="Of which reasoning."),
    audio_input_tokens: int = typer.Option(0, "--audio-input-tokens", min=0, help="Audio tokens in the prompt."),
    audio_output_tokens: int = typer.Option(0, "--audio-output-tokens", min=0, help="Audio tokens generated."),
    images: int = typer.Option(0, "--images", min=0, help="Images generated."),
    size: Optional[str] = typer.Option(None, "--size", help="Image size, e.g. 1024x1024."),
    quality: Optional[str] = typer.Option(None, "--quality", help="Image quality: low|medium|high|standard|hd."),
    audio_seconds: float = typer.Option(0.0, "--audio-seconds", min=0.0, help="Seconds of audio (transcription)."),
    characters: int = typer.Option(0, "--characters", min=0, help="Input characters (tts-1, tts-1-hd)."),
    service_tier: Optional[str] = typer.Option(None, "--service-tier", help="flex, priority, ... (token models)."),
    batch: bool = typer.Option(False, "--batch", help="Price at Batch API rates."),
    as_json: bool = typer.Option(False, "--json", help='Print {"cost_usd": "...", "breakdown": {...}, ...}.'),
) -> None:
    """Price a usage of MODEL. Tokens follow OpenAI's usage convention: totals include their parts.

    If --reasoning-tokens exceeds --output-tokens, the reasoning is added to the output; likewise
    audio tokens are added to input/output when larger than the totals given.
    """
    from conduit.catalog import price
    from conduit.errors import UnknownModelError
    from conduit.usage import Usage

    # a part larger than its total was given separately: add it to the total
    if reasoning_tokens > output_tokens:
        output_tokens += reasoning_tokens
    if audio_output_tokens > output_tokens:
        output_tokens += audio_output_tokens
    if audio_input_tokens > input_tokens:
        input_tokens += audio_input_tokens
    if cached_input_tokens > input_tokens:
        input_tokens += cached_input_tokens
    usage = Usage(
        input_tokens=input_tokens,
        cached_input_tokens=cached_input_tokens,
        audio_input_tokens=audio_input_tokens,
        output_tokens=output_tokens,
        reasoning_tokens=reasoning_tokens,
        audio_output_tokens=audio_output_tokens,
        images=images,
        image_size=size,
        image_quality=quality,
        audio_seconds=audio_seconds,
        characters=characters,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quote = price(model, usage, service_tier=service_tier, batch=batch, warn=False)
    if as_json:
        payload = quote.to_dict()
        payload["usage"] = {k: v for k, v in usage.to_dict().items() if v}
        out.print_json(json.dumps(payload))
        if quote.usd is None:
            raise typer.Exit(1)
        return
    if quote.usd is None:
        reason = quote.notes[-1] if quote.notes else "no price known"
        raise UnknownModelError(
            f"Cannot price {model}: {reason}.",
            f'Add it to conduit.toml, e.g. [prices."{model}"] input_mtok = "1.00" output_mtok = "4.00" '
            "(see `conduit models` for the models conduit knows).",
        )
    from rich.table import Table

    table = Table(title=f"{model} — {money(quote.usd, 8)}", show_footer=True)
    table.add_column("unit", footer="total")
    table.add_column("USD", justify="right", footer=money(quote.usd, 8))
    for unit, amount in quote.breakdown.items():
        table.add_row(unit, money(amount, 8))
    out.print(table)
    out.print(f"[dim]price source: {escape(quote.source)} {escape(quote.version)}[/]")
    for note in quote.notes:
        out.print(f"[dim]note: {escape(note)}[/]")  # notes quote conduit.toml tables like [prices."gpt-4o"]
