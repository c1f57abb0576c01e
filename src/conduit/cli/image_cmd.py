"""`conduit image`: generate images through the governed pipeline and save them.

The request goes through the pipeline's wire client (no ``openai`` import):
validated against the model's sizes/qualities/styles/n before anything is
sent, optionally screened by the free moderations endpoint, priced and
recorded. GPT image models answer base64; DALL·E answers URLs (downloaded
here). The command prints each saved path, the cost from the ledger, and the
revised prompt when the API returns one.
"""

from __future__ import annotations

import base64
import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

import typer

from conduit.cli._common import err, model_endpoint, money, out
from conduit.errors import UpstreamError

DEFAULT_IMAGE_MODEL = "gpt-image-1.5"

_HINTS = {
    400: "The API refused the request; check the parameters against `conduit models --kind image`.",
    401: "Check OPENAI_API_KEY (environment or .env).",
    403: "The key lacks access to this model or endpoint; check the project's permissions.",
    404: "Check the model name; `conduit models` lists the ones conduit knows.",
    413: "The upload is too large for the API.",
    429: "Rate limited or out of quota; wait, or check the billing settings.",
}


def register(app: typer.Typer) -> None:
    app.command("image")(image)


def raise_for_status(status: int, content: bytes) -> None:
    """Turn an API error answer into an UpstreamError with the API's own message."""
    if status < 400:
        return
    try:
        error = json.loads(content).get("error") or {}
        message = error.get("message") or content.decode("utf-8", "replace")
    except (ValueError, AttributeError):
        message = content.decode("utf-8", "replace")
    raise UpstreamError(f"The API answered {status}: {message}", _HINTS.get(status, "Try again later."))


def media_setting(name: str, default: Any) -> Any:
    """``[media] <name>`` from conduit.toml, else ``default``."""
    from conduit.settings import get_settings

    return get_settings().section("media").get(name, default)


def ledger_rows(exchange_ids: list[str]) -> list[dict[str, Any]]:
    """The ledger rows of ``exchange_ids`` (flushed first), in order."""
    from conduit.ledger import open_ledger
    from conduit.settings import get_settings

    ledger = open_ledger(get_settings().db_url)
    return [row for row in (ledger.exchange(i) for i in exchange_ids) if row is not None]


def total_cost(rows: list[dict[str, Any]]) -> Decimal | None:
    """Sum of the rows' costs; None if any is unknown (never count an unknown as free)."""
    total = Decimal(0)
    for row in rows:
        if row.get("cost_usd") is None:
            return None
        total += Decimal(row["cost_usd"])
    return total


def output_paths(output: Optional[Path], count: int, extension: str, stem: str) -> list[Path]:
    """Where to save ``count`` files: ``output`` (numbered when several), else ``<stem>-<time>.<ext>``."""
    if output is None:
        output = Path(f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}.{extension}")
    elif output.is_dir():
        output = output / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}.{extension}"
    if count == 1:
        return [output]
    return [output.with_name(f"{output.stem}-{index}{output.suffix}") for index in range(1, count + 1)]


def image(
    prompt: str = typer.Argument(..., help="What the image should show."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help=f"Image model (default: \\[media] image_model or {DEFAULT_IMAGE_MODEL})."),
    size: Optional[str] = typer.Option(None, "--size", "-s", help="e.g. 1024x1024, 1536x1024, 1024x1536, auto (DALL·E 3: 1792x1024...)."),
    quality: Optional[str] = typer.Option(None, "--quality", "-q", help="low|medium|high|auto (DALL·E 3: standard|hd)."),
    style: Optional[str] = typer.Option(None, "--style", help="vivid|natural (DALL·E 3 only)."),
    n: int = typer.Option(1, "-n", "--n", min=1, max=10, help="How many images."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="File to write (numbered when -n > 1), or a folder."),
    output_format: Optional[str] = typer.Option(None, "--format", help="png|jpeg|webp (GPT image models; default from -o's extension)."),
    background: Optional[str] = typer.Option(None, "--background", help="transparent|opaque|auto (GPT image models)."),
    moderate: Optional[bool] = typer.Option(
        None, "--moderate/--no-moderate", help="Screen the prompt with the free moderations endpoint first (default: on)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
    sandbox: bool = typer.Option(False, "--sandbox", help="Use the built-in simulation even if a key is set."),
    session: Optional[str] = typer.Option(None, "--session", help="Tag the exchange with a session id."),
) -> None:
    """Generate image(s) from a prompt; saves them and prints paths, cost and the revised prompt."""
    from conduit.media.moderation import screen_prompts
    from conduit.pipeline.clients import wire_client
    from conduit.pipeline.transport import EXCHANGE_HEADER

    model = model or str(media_setting("image_model", DEFAULT_IMAGE_MODEL))
    if output_format is None and output is not None and output.suffix.lower() in (".jpg", ".jpeg", ".webp"):
        output_format = "jpeg" if output.suffix.lower() in (".jpg", ".jpeg") else "webp"
    body: dict[str, Any] = {"model": model, "prompt": prompt, "n": n}
    for key, value in (("size", size), ("quality", quality), ("style", style), ("output_format", output_format),
                       ("background", background)):
        if value is not None:
            body[key] = value
    if moderate is None:
        scope = str(media_setting("moderate_prompts", "images")).lower()
        moderate = scope not in ("off", "false", "0")

    with model_endpoint(sandbox) as (key, base_url, simulated):
        with wire_client(api_key=key, base_url=base_url, session=session) as client:
            if moderate:
                screen_prompts(client, scope="images")
            response = client.post("images/generations", json=body)
            raise_for_status(response.status_code, response.content)
            exchange_id = response.headers[EXCHANGE_HEADER]
            data = response.json()
            items = data.get("data") or []
            if not items:
                raise UpstreamError("The API returned no image.", "Try again, or another prompt.")
            fmt = str(data.get("output_format") or output_format or "png")
            extension = "jpg" if fmt == "jpeg" else fmt
            paths = output_paths(output, len(items), extension, "image")
            for item, path in zip(items, paths):
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(_image_bytes(item))
        [row] = ledger_rows([exchange_id]) or [{}]

    revised = [item.get("revised_prompt") for item in items if item.get("revised_prompt")]
    cost = row.get("cost_usd")
    if as_json:
        out.print_json(json.dumps({
            "paths": [str(p) for p in paths],
            "model": row.get("model"),
            "revised_prompt": revised[0] if revised else None,
            "images": row.get("images"),
            "usage": {"input_tokens": row.get("input_tokens"), "output_tokens": row.get("output_tokens")},
            "cost_usd": None if cost is None else str(cost),
            "exchange_id": exchange_id,
            "simulated": simulated,
        }))
        return
    for path in paths:
        out.print(str(path), markup=False)
    if revised:
        from rich.markup import escape

        err.print(f"[dim]revised prompt:[/] {escape(revised[0])}")
    err.print(f"[dim]{row.get('model')} · {len(paths)} image(s) · {money(cost)} · {exchange_id}"
              f"{' · simulated' if simulated else ''}[/]")


def _image_bytes(item: dict[str, Any]) -> bytes:
    """An image from ``b64_json``, or downloaded from its ``url`` (DALL·E; the link expires after an hour)."""
    if item.get("b64_json"):
        try:
            return base64.b64decode(item["b64_json"])
        except ValueError as exc:
            raise UpstreamError("The API returned an image that is not valid base64.", "Try again.") from exc
    url = item.get("url")
    if not url:
        raise UpstreamError("The API returned neither image data nor a URL.", "Try again.")
    import httpx2

    try:
        download = httpx2.get(url, timeout=60.0, follow_redirects=True)
    except httpx2.HTTPError as exc:
        raise UpstreamError(f"Downloading the image from {url} failed: {exc}", "Check the network and try again.") from exc
    if download.status_code >= 400:
        raise UpstreamError(f"Downloading the image failed with HTTP {download.status_code}.",
                            "Image URLs expire after an hour; generate it again.")
    return download.content


__all__ = ["image", "register", "raise_for_status", "ledger_rows", "total_cost", "output_paths", "media_setting"]
