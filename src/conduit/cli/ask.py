"""`conduit ask`: one question, one governed answer, with tokens and cost."""

from __future__ import annotations

import json
from typing import Any, Optional

import typer

from conduit.cli._common import err, is_terminal, model_endpoint, money, out
from conduit.errors import UpstreamError


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)


def ask(
    prompt: str = typer.Argument(..., help="What to ask."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Chat model (default: settings' default_model)."),
    system: Optional[str] = typer.Option(None, "--system", "-s", help="System prompt."),
    max_tokens: Optional[int] = typer.Option(None, "--max-tokens", min=1, help="Cap on output tokens."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
    stream: Optional[bool] = typer.Option(None, "--stream/--no-stream", help="Stream the answer (default: on a terminal)."),
    sandbox: bool = typer.Option(False, "--sandbox", help="Use the built-in simulation even if a key is set."),
    session: Optional[str] = typer.Option(None, "--session", help="Tag the exchange with a session id."),
) -> None:
    """Ask a chat model one question; prints the answer, then tokens and cost."""
    from conduit.ledger import open_ledger
    from conduit.pipeline.clients import wire_client
    from conduit.pipeline.resilience.events import listening
    from conduit.pipeline.transport import EXCHANGE_HEADER
    from conduit.settings import get_settings

    settings = get_settings()
    messages: list[dict[str, Any]] = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": prompt})
    body: dict[str, Any] = {"model": model or settings.default_model, "messages": messages}
    if max_tokens:
        body["max_completion_tokens"] = max_tokens
    streaming = (is_terminal() and not as_json) if stream is None else stream

    with model_endpoint(sandbox) as (key, base_url, simulated), listening(_show_wait):
        with wire_client(api_key=key, base_url=base_url, session=session) as client:
            if streaming:
                text, exchange_id, finish, headers = _ask_streaming(client, {**body, "stream": True}, EXCHANGE_HEADER, as_json)
            else:
                response = client.post("chat/completions", json=body)
                _raise_for_status(response.status_code, response.content)
                data = response.json()
                choice = data["choices"][0] if data.get("choices") else {}
                text = (choice.get("message") or {}).get("content") or ""
                finish = choice.get("finish_reason")
                exchange_id, headers = response.headers[EXCHANGE_HEADER], response.headers
                if not as_json:
                    out.print(text, markup=False)
        row = open_ledger(settings.db_url).exchange(exchange_id) or {}
    # OPENAI_BASE_URL may point at a running `conduit sandbox`: the server says so itself
    simulated = simulated or headers.get("x-conduit-sandbox") == "simulation"
    if finish == "length" and not as_json:
        err.print(
            f"[yellow]warning:[/] the answer was cut off at the output limit"
            f"{f' (--max-tokens {max_tokens})' if max_tokens else ''}; reasoning models spend part of it thinking. "
            "Raise --max-tokens for a complete answer."
        )

    usage = {
        "prompt_tokens": row.get("input_tokens", 0),
        "completion_tokens": row.get("output_tokens", 0),
        "cached_tokens": row.get("cached_input_tokens", 0),
        "reasoning_tokens": row.get("reasoning_tokens", 0),
    }
    cost = row.get("cost_usd")
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "text": text,
                    "model": row.get("model"),
                    "usage": usage,
                    "cost_usd": None if cost is None else str(cost),
                    "exchange_id": exchange_id,
                    "attempts": row.get("attempt", 1),
                    "fallback_from": row.get("fallback_from"),
                    "finish_reason": finish,
                    "simulated": simulated,
                }
            )
        )
        return
    err.print(
        f"[dim]{row.get('model')} · {usage['prompt_tokens']} in / {usage['completion_tokens']} out"
        f"{' (' + str(usage['reasoning_tokens']) + ' reasoning)' if usage['reasoning_tokens'] else ''}"
        f" · {money(cost)} · {exchange_id}{' · simulated' if simulated else ''}"
        f"{_resilience_note(row)}[/]"
    )


def _show_wait(event: Any) -> None:
    """Retries, queueing and fallbacks as they happen, on stderr (stdout stays the answer)."""
    err.print(f"[yellow]{event.describe()}[/]", markup=True, highlight=False)


def _resilience_note(row: dict[str, Any]) -> str:
    parts = []
    if (row.get("attempt") or 1) > 1:
        parts.append(f"{row['attempt']} attempts")
    if row.get("fallback_from"):
        parts.append(f"fallback from {row['fallback_from']}")
    return "".join(f" · {p}" for p in parts)


def _ask_streaming(client: Any, body: dict[str, Any], header: str, quiet: bool) -> tuple[str, str, str | None, Any]:
    """(text, exchange id, finish reason, response headers), printing deltas as they arrive."""
    parts: list[str] = []
    finish: str | None = None
    with client.stream("POST", "chat/completions", json=body) as response:
        if response.status_code >= 400:
            _raise_for_status(response.status_code, response.read())
        exchange_id, headers = response.headers[header], response.headers
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            chunk = json.loads(data)
            for choice in chunk.get("choices") or []:
                finish = choice.get("finish_reason") or finish
                delta = (choice.get("delta") or {}).get("content")
                if delta:
                    parts.append(delta)
                    if not quiet:
                        out.print(delta, end="", markup=False)
    if not quiet:
        out.print()
    return "".join(parts), exchange_id, finish, headers


_HINTS = {
    401: "Check OPENAI_API_KEY (environment or .env).",
    403: "The key lacks access to this model or endpoint; check the project's permissions.",
    404: "Check the model name; `conduit models` lists the ones conduit knows.",
    429: "Rate limited or out of quota; wait, or check the billing settings.",
}


_QUOTA_HINT = (
    "This is billing, not load, so conduit did not retry: check the plan, credit balance and spending "
    "limits in the billing settings (https://platform.openai.com/settings/organization/billing)."
)


def _raise_for_status(status: int, content: bytes) -> None:
    if status < 400:
        return
    code = None
    try:
        error = json.loads(content).get("error") or {}
        message = error.get("message") or content.decode("utf-8", "replace")
        code = error.get("code") or error.get("type")
    except (ValueError, AttributeError):
        message = content.decode("utf-8", "replace")
    hint = _QUOTA_HINT if code == "insufficient_quota" else _HINTS.get(status, "Try again later.")
    raise UpstreamError(f"The API answered {status}: {message}", hint)
