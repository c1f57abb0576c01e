"""`conduit tokens count`: exact prompt tokens (and their input cost) before you call a model."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any, Optional

import typer

from conduit.cli._common import money, out
from conduit.errors import ValidationError

tokens_app = typer.Typer(help="Count tokens offline with OpenAI's tokenizers.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(tokens_app, name="tokens")


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ValidationError(f"File not found: {path}", "Check the path (use - to read standard input).") from exc
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{path} is not UTF-8 text.", "Pass a text file, or --messages for chat JSON.") from exc


def _read_json(path: str, what: str) -> Any:
    text = _read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{what} file {path} is not valid JSON ({exc.msg} at line {exc.lineno}).",
            f"Give a JSON list of {what.lower()} (or an object with a {what.lower()!r} key).",
        ) from exc


def _as_list(data: Any, key: str, path: str) -> list[dict[str, Any]]:
    if isinstance(data, dict) and isinstance(data.get(key), list):
        data = data[key]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValidationError(
            f"{path} does not hold a list of {key}.",
            f'Use a JSON list like [{{"role": "user", "content": "hi"}}] or {{"{key}": [...]}}.'
            if key == "messages"
            else f'Use a JSON list of tool definitions or {{"{key}": [...]}}.',
        )
    return data


@tokens_app.command("count")
def count(
    model: str = typer.Option(..., "--model", "-m", help="Model whose tokenizer and price to use."),
    text: Optional[str] = typer.Option(None, "--text", "-t", help="Count this text."),
    file: Optional[str] = typer.Option(None, "--file", "-f", help="Count a UTF-8 text file (- for stdin)."),
    messages: Optional[str] = typer.Option(
        None, "--messages", help="Count a chat request: JSON list of messages, or an object with messages/tools."
    ),
    tools: Optional[str] = typer.Option(None, "--tools", help="JSON list of tool definitions to add."),
    as_json: bool = typer.Option(False, "--json", help='Print {"tokens", "encoding", "cost_usd", ...}.'),
) -> None:
    """Count tokens of text, a file or chat messages (+ tools) exactly as OpenAI bills them."""
    from conduit.catalog import price
    from conduit.tokens import count_messages, count_tokens, encoding_name_for_model
    from conduit.usage import Usage

    given = [name for name, value in (("--text", text), ("--file", file), ("--messages", messages)) if value is not None]
    if len(given) != 1:
        raise ValidationError(
            "Give exactly one of --text, --file or --messages." if given else "Nothing to count.",
            'Example: conduit tokens count --model gpt-4o --text "Hello"',
        )
    exact = True
    notes: list[str] = []
    tool_list = _as_list(_read_json(tools, "Tools"), "tools", tools) if tools else None
    if messages is not None:
        data = _read_json(messages, "Messages")
        message_list = _as_list(data, "messages", messages)
        if tool_list is None and isinstance(data, dict) and isinstance(data.get("tools"), list):
            tool_list = data["tools"]
        response_format = data.get("response_format") if isinstance(data, dict) else None
        result = count_messages(message_list, model, tool_list, response_format)
        tokens, exact, notes = result.tokens, result.exact, list(result.notes)
    else:
        content = text if text is not None else _read_text(file or "-")
        tokens = count_tokens(content, model)
        if tool_list:
            from conduit.tokens import count_tool_tokens

            tokens += count_tool_tokens(tool_list, model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quote = price(model, Usage(input_tokens=tokens), warn=False)
    if as_json:
        out.print_json(json.dumps({
            "tokens": tokens,
            "encoding": encoding_name_for_model(model),
            "model": model,
            "cost_usd": None if quote.usd is None else str(quote.usd),
            "price_source": quote.source,
            "price_version": quote.version,
            "exact": exact,
            "notes": notes,
        }))
        return
    bound = "" if exact else " (upper bound / estimate)"
    out.print(f"[bold]{tokens:,}[/] tokens{bound} · {encoding_name_for_model(model)} · {model}")
    cost = money(quote.usd, 8) if quote.usd is not None else "unknown (no price for this model)"
    out.print(f"input cost: {cost}" + (f"  [dim]({quote.source} {quote.version})[/]" if quote.usd is not None else ""))
    for note in notes:
        out.print(f"[dim]note: {note}[/]")
