"""Helpers shared by CLI commands: consoles, money formatting, durations, endpoints."""

from __future__ import annotations

import re
import sys
import time
from contextlib import contextmanager
from decimal import Decimal
from typing import Iterator

from rich.console import Console

from conduit.errors import ValidationError

# piped output is read by scripts and logs: do not cut tables at 80 columns
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(value: str | None) -> float | None:
    """'30m', '12h', '1d', '2w' or an ISO date → epoch seconds."""
    if not value:
        return None
    match = _DURATION.match(value)
    if match:
        return time.time() - float(match.group(1)) * _UNITS[match.group(2)]
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(f"Cannot read --since {value!r}.", "Use a duration like 30m, 12h, 1d, 2w or a date like 2026-11-01.") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def money(usd: Decimal | str | None, places: int = 6) -> str:
    if usd is None:
        return "unknown"
    value = Decimal(usd)
    return f"${value:.{places}f}"


def is_terminal() -> bool:
    return sys.stdout.isatty()


@contextmanager
def model_endpoint(force_sandbox: bool = False) -> Iterator[tuple[str | None, str | None, bool]]:
    """(api_key, base_url, simulated): the real API when a key is set, else the built-in sandbox."""
    from conduit.settings import get_settings

    settings = get_settings()
    if settings.has_api_key and not force_sandbox:
        yield None, None, False
        return
    from conduit.sandbox import Sandbox

    reason = "--sandbox given" if force_sandbox else "no OPENAI_API_KEY is set"
    err.print(
        f"[yellow]simulation:[/] {reason}; answering from conduit's built-in sandbox, not a real model. "
        "Set OPENAI_API_KEY (environment or .env) for real answers.",
    )
    with Sandbox() as sandbox:
        yield sandbox.api_key, sandbox.base_url, True
