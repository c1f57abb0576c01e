"""`conduit cache`: the opt-in response cache (``[cache] enabled = true``)."""

from __future__ import annotations

import json

import typer

from conduit.cli._common import out

cache_app = typer.Typer(help="The opt-in response cache: stats and clear.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(cache_app, name="cache")


def _cache():  # type: ignore[no-untyped-def]
    from conduit.ledger import open_ledger
    from conduit.pipeline.cache import CacheConfig, ResponseCache
    from conduit.settings import get_settings

    settings = get_settings()
    config = CacheConfig.from_section(settings.section("cache"))
    return ResponseCache(open_ledger(settings.db_url), config), config


@cache_app.command("stats")
def stats(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Live entries, hits, and what the hits saved (from the ledger)."""
    from decimal import Decimal

    cache, config = _cache()
    entries = cache.stats()["entries"]
    # hits and savings both come from the ledger (every hit is a 'cached' exchange), so they
    # agree with each other and survive `cache clear`
    rows = [r for r in cache.ledger.exchanges(include_retried=False) if r["status"] == "cached"]
    saved = sum(
        (Decimal(r["note"].rsplit("$", 1)[1]) for r in rows if r["note"] and "saved $" in r["note"]), Decimal(0)
    )
    result = {"enabled": config.enabled, "ttl_seconds": config.ttl, "endpoints": list(config.endpoints),
              "entries": entries, "hits": len(rows), "saved_usd": str(saved)}
    numbers = result
    if as_json:
        out.print_json(json.dumps(result))
        return
    state = "on" if config.enabled else "off ([cache] enabled = true in conduit.toml turns it on)"
    out.print(f"cache {state}; {numbers['entries']} live entries; {numbers['hits']} hits saved ${saved} in all")


@cache_app.command("clear")
def clear() -> None:
    """Drop every cached answer."""
    cache, _ = _cache()
    out.print(f"removed {cache.clear()} cached answers")
