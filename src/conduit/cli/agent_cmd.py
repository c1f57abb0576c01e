"""`conduit agent "task"` and `conduit chat`: the agent runtime from the shell.

Tool calls, their results and the cost are shown as they happen (on stderr,
so stdout carries only the answer and stays pipeable). A sensitive tool on a
tainted turn asks for approval when stdin is a terminal, and is refused
otherwise unless ``--yes``.
"""

from __future__ import annotations

import json
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

import typer

from conduit.cli._common import err, out

_CONFIG_HELP = "MCP servers: an mcpServers JSON file or a conduit.toml (default: [mcp] in conduit.toml)."


def register(app: typer.Typer) -> None:
    app.command("agent")(agent)
    app.command("chat")(chat)


def _approver(yes: bool) -> Any:
    def approve(request: Any) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            return False
        err.print(f"[yellow]approval needed:[/] {request.reason}")
        err.print(f"  {request.qualified_name}({json.dumps(dict(request.arguments), ensure_ascii=False)[:300]})")
        return typer.confirm("Run it?", default=False, err=True)

    return approve


class _Display:
    """Prints agent events live: tool calls, results, streamed text."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.streamed = False

    def __call__(self, event: Any) -> None:
        if event.kind == "delta":
            self.streamed = True
            out.print(event.data["text"], end="", markup=False)
            return
        if self.quiet:
            return
        if event.kind == "server_unavailable":
            err.print(f"[yellow]optional MCP server {event.data['server']!r} is unavailable:[/] {event.data['error']}")
        elif event.kind == "trimmed":
            err.print(f"[dim]dropped {event.data['dropped']} old message(s) to fit {event.data['model']}'s context window[/]")
        elif event.kind == "tool_call":
            err.print(f"[cyan]→ {event.data['name']}[/] [dim]{str(event.data['arguments'])[:200]}[/]", highlight=False)
        elif event.kind == "tool_result":
            colour = "green" if event.data["status"] == "ok" else "red"
            err.print(
                f"[{colour}]← {event.data['name']}: {event.data['status']}[/] [dim]{event.data['ms']} ms, {event.data['bytes']} bytes[/]",
                highlight=False,
            )


def _summary(result: Any) -> str:
    calls = len(result.tool_calls)
    return (
        f"{result.model} · {result.turns} turn{'s' if result.turns != 1 else ''} · {calls} tool call{'s' if calls != 1 else ''} · "
        f"{result.input_tokens:,} in / {result.output_tokens:,} out · ${result.cost_usd:.6f}"
    )


def agent(
    task: str = typer.Argument(..., help="What to do, in plain words."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help=_CONFIG_HELP),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Fix the model (default: the cheapest that fits)."),
    max_turns: int = typer.Option(10, "--max-turns", min=1, help="Model calls allowed before stopping."),
    image: list[str] = typer.Option([], "--image", "-i", help="Attach an image (path or URL); repeatable."),
    audio: Optional[Path] = typer.Option(None, "--audio", help="An audio file to transcribe first and answer about."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Approve sensitive tool calls without asking."),
    no_media: bool = typer.Option(False, "--no-media", help="Do not offer generate_image / speak / transcribe."),
    output_dir: Path = typer.Option(Path("."), "--output-dir", help="Where generated images and audio are saved."),
    stream: bool = typer.Option(True, "--stream/--no-stream", help="Stream the answer as it is written."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON (no live output)."),
) -> None:
    """Run one task with the model and the configured MCP tools."""
    from conduit.agent import Agent

    display = _Display(quiet=as_json)
    runner = Agent(
        model=model,
        mcp=config,
        max_turns=max_turns,
        media=not no_media,
        approve=_approver(yes),
        on_event=display,
        output_dir=output_dir,
        stream=stream and not as_json,
    )
    result = runner.run(task, images=image, audio=audio)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "output": result.output,
                    "stopped": result.stopped,
                    "model": result.model,
                    "turns": result.turns,
                    "cost_usd": str(result.cost_usd),
                    "input_tokens": result.input_tokens,
                    "output_tokens": result.output_tokens,
                    "tool_calls": [call.to_dict() for call in result.tool_calls],
                    "exchange_ids": result.exchange_ids,
                }
            )
        )
    else:
        if display.streamed:
            out.print()
        elif result.output is not None:
            out.print(result.output, markup=False)
        err.print(f"[dim]{_summary(result)}[/]")
    if result.stopped == "max_turns":
        err.print(f"[yellow]stopped after {max_turns} turns without a final answer[/] (raise --max-turns)")
        raise SystemExit(1)
    if result.stopped == "length":
        err.print("[yellow]the answer was cut off at the model's output limit[/] (a reasoning model may have spent it thinking)")
        raise SystemExit(1)


def chat(
    config: Optional[Path] = typer.Option(None, "--config", "-c", help=_CONFIG_HELP),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Fix the model (default: the cheapest that fits)."),
    max_turns: int = typer.Option(10, "--max-turns", min=1, help="Model calls allowed per message."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Approve sensitive tool calls without asking."),
    no_media: bool = typer.Option(False, "--no-media", help="Do not offer generate_image / speak / transcribe."),
    output_dir: Path = typer.Option(Path("."), "--output-dir", help="Where generated images and audio are saved."),
) -> None:
    """Talk with the agent. Commands: /tools, /cost, /exit."""
    import anyio

    from conduit.agent import Agent

    display = _Display()
    session = "chat-" + uuid.uuid4().hex[:12]
    runner = Agent(
        model=model, mcp=config, max_turns=max_turns, media=not no_media, approve=_approver(yes),
        on_event=display, output_dir=output_dir, session=session, stream=True,
    )  # fmt: skip

    async def _loop() -> None:
        total = Decimal("0")
        tokens = [0, 0]
        async with runner:
            err.print(f"[dim]conduit chat · session {session} · /tools /cost /exit[/]")
            while True:
                line = await anyio.to_thread.run_sync(_read_line)
                if line is None or line.strip() in ("/exit", "/quit"):
                    break
                text = line.strip()
                if not text:
                    continue
                if text == "/tools":
                    for tool in await runner.tool_definitions():
                        function = tool["function"]
                        out.print(f"{function['name']}: [dim]{(function.get('description') or '').splitlines()[0][:90] if function.get('description') else ''}[/]")
                    continue
                if text == "/cost":
                    out.print(f"session {session}: ${total:.6f} · {tokens[0]:,} in / {tokens[1]:,} out")
                    continue
                if text.startswith("/"):
                    err.print("[yellow]commands: /tools, /cost, /exit[/]")
                    continue
                display.streamed = False
                result = await runner.arun(text)
                total += result.cost_usd
                tokens[0] += result.input_tokens
                tokens[1] += result.output_tokens
                if display.streamed:
                    out.print()
                elif result.output:
                    out.print(result.output, markup=False)
                if result.stopped == "max_turns":
                    err.print(f"[yellow]stopped after {max_turns} turns without a final answer[/]")
                err.print(f"[dim]{_summary(result)}[/]")

    anyio.run(_loop)


def _read_line() -> str | None:
    try:
        if sys.stdin.isatty():
            return input("› ")
        line = sys.stdin.readline()
        return line if line else None
    except EOFError:
        return None
