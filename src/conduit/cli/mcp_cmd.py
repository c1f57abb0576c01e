"""`conduit mcp`: inspect and call MCP servers from the shell.

Every subcommand goes through ``conduit.mcp`` (so calls are filtered,
time-limited and recorded like the agent's). ``--config`` takes a standard
``mcpServers`` JSON file or a conduit.toml; without it, conduit.toml's
``[mcp]`` section is used.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Optional

import typer

from conduit.cli._common import err, out
from conduit.errors import ConfigurationError, ValidationError

_CONFIG_HELP = "An mcpServers JSON file (Claude Desktop / Cursor / VS Code format) or a conduit.toml."


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="MCP servers: list, tools, call, resources, prompts, scan, approve.", no_args_is_help=True)
    group.command("list")(list_servers)
    group.command("tools")(tools)
    group.command("call")(call)
    group.command("resources")(resources)
    group.command("prompts")(prompts)
    group.command("scan")(scan)
    group.command("approve")(approve)
    app.add_typer(group, name="mcp")


def _servers(config: Optional[Path], *, only: str | None = None, lenient: bool = False) -> dict[str, Any]:
    from conduit.mcp.config import load_servers

    servers = load_servers(config)
    if not servers:
        raise ConfigurationError(
            "No MCP servers are configured.",
            "Pass --config mcp.json (an mcpServers file) or add [mcp.servers.<name>] to conduit.toml.",
        )
    if only is not None:
        if only not in servers:
            raise ConfigurationError(f"No MCP server named {only!r}.", f"Configured: {', '.join(sorted(servers))}.")
        servers = {only: servers[only]}
    if lenient:  # listing commands report a broken server instead of stopping at it
        servers = {name: replace(server, optional=True) for name, server in servers.items()}
    return servers


def _manager(servers: dict[str, Any], **kwargs: Any) -> Any:
    from conduit.mcp.manager import SyncMCPManager

    return SyncMCPManager(servers, **kwargs)


def _parse_json_object(text: Optional[str], option: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{option} is not valid JSON: {exc.msg} at position {exc.pos}.", "Quote it for the shell: --args '{\"path\": \"a.txt\"}'.") from exc
    if not isinstance(value, dict):
        raise ValidationError(f"{option} must be a JSON object, got {type(value).__name__}.", "For example: --args '{\"a\": 1}'.")
    return value


def list_servers(
    config: Optional[Path] = typer.Option(None, "--config", "-c", help=_CONFIG_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Connect to each configured server and show its state and tool counts."""
    servers = _servers(config, lenient=True)
    with _manager(servers) as mcp:
        rows = mcp.status()
        for row in rows:
            name = row["name"]
            if name in mcp.manager.failures:
                row["stderr"] = mcp.manager.connections[name].stderr_tail(800)
    if as_json:
        out.print_json(json.dumps(rows))
        return
    from rich.table import Table

    table = Table(title="MCP servers")
    for column in ("name", "transport", "target", "state", "server", "tools", "hidden", "refused"):
        table.add_column(column, justify="right" if column in ("tools", "hidden", "refused") else "left")
    for row in rows:
        state = "[green]connected[/]" if row["connected"] else "[red]failed[/]"
        server = f"{row['server'] or ''} {row['version'] or ''}".strip()
        table.add_row(row["name"], row["transport"], row["target"], state, server, str(row["tools"]), str(row["hidden"]), str(row["refused"]))
    out.print(table)
    for row in rows:
        if row["error"]:
            err.print(f"[red]{row['name']}:[/] {row['error']}")


def tools(
    server: Optional[str] = typer.Argument(None, help="Only this server."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help=_CONFIG_HELP),
    schema: bool = typer.Option(False, "--schema", help="Show each tool's input schema (as sent to the model)."),
    as_json: bool = typer.Option(False, "--json", help="Print the OpenAI tool definitions as JSON."),
) -> None:
    """The tools the model would see (after allow/block filters and pins)."""
    servers = _servers(config, only=server)
    with _manager(servers) as mcp:
        specs = mcp.tools(server)
        refused = mcp.manager.refused()
        hidden = mcp.manager.hidden()
    if as_json:
        out.print_json(
            json.dumps(
                [
                    {"server": s.server, "tool": s.name, "sensitive": s.sensitive, **s.to_openai()}
                    for s in specs
                ]
            )
        )
        return
    from rich.table import Table

    table = Table(title=f"MCP tools ({len(specs)})")
    table.add_column("name (as the model sees it)")
    table.add_column("description")
    if schema:
        table.add_column("parameters")
    for spec in specs:
        name = spec.openai_name + (" [yellow](sensitive)[/]" if spec.sensitive else "")
        row = [name, (spec.description or "").splitlines()[0][:100] if spec.description else ""]
        if schema:
            row.append(json.dumps(spec.to_openai()["function"]["parameters"]))
        table.add_row(*row)
    out.print(table)
    for name, names in hidden.items():
        err.print(f"[dim]{name}: hidden by filters: {', '.join(names)}[/]")
    for name, reasons in refused.items():
        for tool, why in reasons.items():
            err.print(f"[yellow]{name}/{tool} withheld:[/] {why}")


def call(
    server: str = typer.Argument(..., help="Server name."),
    tool: str = typer.Argument(..., help="The tool's own name on that server."),
    args: Optional[str] = typer.Option(None, "--args", "-a", help="Arguments as a JSON object."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help=_CONFIG_HELP),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=0.001, help="Seconds before the call is cancelled (default: the server's call_timeout)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Call one tool (recorded in the ledger like the agent's calls)."""
    arguments = _parse_json_object(args, "--args")
    servers = _servers(config, only=server)
    with _manager(servers) as mcp:
        result = mcp.call(tool, arguments, server=server, timeout=timeout)
    if as_json:
        out.print_json(json.dumps(result.to_dict()))
    else:
        out.print(result.text, markup=False)
        if result.truncated:
            err.print(f"[yellow]output truncated to the server's max_output_bytes ({result.output_bytes} bytes in full)[/]")
    if not result.ok:
        if not as_json:
            err.print(f"[red]{result.status}[/] after {result.duration_ms:.0f} ms")
        raise SystemExit(1)  # typer.Exit is swallowed under standalone_mode=False


def resources(
    server: Optional[str] = typer.Argument(None, help="Only this server."),
    read: Optional[str] = typer.Option(None, "--read", help="Read this resource URI (needs SERVER)."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help=_CONFIG_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List resources, or read one with --read URI."""
    if read and not server:
        raise ValidationError("--read needs the server name.", "For example: conduit mcp resources docs --read file:///a.md")
    servers = _servers(config, only=server)
    with _manager(servers) as mcp:
        if read:
            contents = mcp.read_resource(server, read)
        else:
            items = mcp.list_resources(server)
    if read:
        if as_json:
            out.print_json(json.dumps(contents))
        else:
            for item in contents:
                if "text" in item:
                    out.print(item["text"], markup=False)
                else:
                    err.print(f"[dim]{item.get('uri')}: binary ({item.get('mimeType') or item.get('mime_type')}, {len(item.get('blob', ''))} base64 chars)[/]")
        return
    if as_json:
        out.print_json(json.dumps(items))
        return
    from rich.table import Table

    table = Table(title=f"MCP resources ({len(items)})")
    for column in ("server", "uri", "name", "type", "description"):
        table.add_column(column)
    for item in items:
        table.add_row(item["server"], item.get("uri", ""), item.get("name", ""), item.get("mimeType", "") or "", (item.get("description") or "")[:80])
    out.print(table)


def prompts(
    server: Optional[str] = typer.Argument(None, help="Only this server."),
    get: Optional[str] = typer.Option(None, "--get", help="Render this prompt (needs SERVER)."),
    args: Optional[str] = typer.Option(None, "--args", "-a", help="Prompt arguments as a JSON object."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help=_CONFIG_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List prompts, or render one with --get NAME."""
    if get and not server:
        raise ValidationError("--get needs the server name.", "For example: conduit mcp prompts ev --get simple-prompt")
    arguments = {k: str(v) for k, v in _parse_json_object(args, "--args").items()}
    servers = _servers(config, only=server)
    with _manager(servers) as mcp:
        if get:
            rendered = mcp.get_prompt(server, get, arguments)
        else:
            items = mcp.list_prompts(server)
    if get:
        if as_json:
            out.print_json(json.dumps(rendered))
            return
        for message in rendered.get("messages", []):
            content = message.get("content", {})
            text = content.get("text") if isinstance(content, dict) else None
            out.print(f"[bold]{message.get('role')}:[/] ", end="")
            out.print(text if text is not None else json.dumps(content), markup=False)
        return
    if as_json:
        out.print_json(json.dumps(items))
        return
    from rich.table import Table

    table = Table(title=f"MCP prompts ({len(items)})")
    for column in ("server", "name", "arguments", "description"):
        table.add_column(column)
    for item in items:
        arg_names = ", ".join(a["name"] + ("" if a.get("required") else "?") for a in item.get("arguments", []) or [])
        table.add_row(item["server"], item["name"], arg_names, (item.get("description") or "")[:80])
    out.print(table)


def scan(
    server: Optional[str] = typer.Argument(None, help="Only this server."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help=_CONFIG_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Scan tool definitions for hidden instructions and compare them with their pins."""
    from conduit.mcp.pins import PinStore

    store = PinStore.default()
    servers = _servers(config, only=server, lenient=True)
    with _manager(servers, pins=False) as mcp:
        specs = mcp._run(mcp.manager.definitions, server)  # noqa: SLF001 - same package
        failures = {name: exc.message for name, exc in mcp.manager.failures.items()}
    rows = []
    for spec in specs:
        state, findings = store.status(spec, [s for s in specs if s.server == spec.server])
        rows.append({"server": spec.server, "tool": spec.name, "pin": state, "findings": findings})
    if as_json:
        out.print_json(json.dumps({"tools": rows, "failed_servers": failures}))
    else:
        from rich.table import Table

        table = Table(title="MCP tool definitions")
        for column in ("server", "tool", "pin", "findings"):
            table.add_column(column)
        colours = {"pinned": "green", "new": "cyan", "changed": "red"}
        for row in rows:
            table.add_row(row["server"], row["tool"], f"[{colours[row['pin']]}]{row['pin']}[/]", "; ".join(row["findings"]) or "-")
        out.print(table)
        for name, message in failures.items():
            err.print(f"[red]{name}:[/] {message}")
    # a pinned tool was approved as it is (findings and all); what fails the scan is what nobody has reviewed
    if any(row["pin"] == "changed" or (row["findings"] and row["pin"] != "pinned") for row in rows):
        raise SystemExit(1)


def approve(
    server: str = typer.Argument(..., help="Server name."),
    tool: Optional[str] = typer.Argument(None, help="One tool (default: every tool of the server)."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help=_CONFIG_HELP),
) -> None:
    """Approve (pin) the current definitions after reviewing them with `conduit mcp scan`."""
    servers = _servers(config, only=server)
    with _manager(servers) as mcp:
        approved = mcp._run(mcp.manager.approve, server, tool)  # noqa: SLF001 - same package
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for spec in approved:
        out.print(f"approved {spec.server}/{spec.name} ({stamp})")
