"""`conduit guard`: check text for prompt injection, redact secrets, scan tool definitions.

Offline and instant: these commands never reach a model, so they are safe
to run on anything (a suspicious e-mail, a log file, an MCP tools listing).
"""

from __future__ import annotations

from typing import Any

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from conduit.errors import ValidationError

_SOURCES = ("user", "tool", "file", "web", "transcript")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Guard: injection check, secret redaction, tool-definition scan (offline).", no_args_is_help=True)
    group.command("check")(check)
    group.command("redact")(redact)
    group.command("scan-tools")(scan_tools)
    app.add_typer(group, name="guard")


def _read_input(text: Optional[str], file: Optional[Path]) -> str:
    if text is not None and file is not None:
        raise ValidationError("Give either --text or --file, not both.", "Use one input per run.")
    if text is not None:
        return text
    if file is not None:
        if str(file) == "-":
            return sys.stdin.read()
        try:
            return file.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ValidationError(f"File {file} does not exist.", "Check the path.") from exc
        except UnicodeDecodeError as exc:
            raise ValidationError(f"File {file} is not UTF-8 text ({exc.reason}).", "Convert it to UTF-8 first.") from exc
    if not sys.stdin.isatty():
        return sys.stdin.read()
    raise ValidationError("Nothing to check.", "Pass --text 'some text', --file path (or -), or pipe text in.")


def check(
    text: Optional[str] = typer.Option(None, "--text", "-t", help="Text to check."),
    file: Optional[Path] = typer.Option(None, "--file", "-f", help="File to check ('-' for stdin)."),
    source: str = typer.Option("user", "--source", "-s", help="Where the text comes from: user, tool, file, web, transcript."),
    as_json: bool = typer.Option(False, "--json", help="Print the verdict as JSON."),
) -> None:
    """Score text for prompt injection: verdict (allow/flag/quarantine/block), score and reasons.

    Exit status: 0 allow or flag, 4 quarantine or block.
    """
    from conduit.cli._common import out
    from conduit.guard.injection import screen
    from conduit.guard.policy import GuardPolicy

    if source not in _SOURCES:
        raise ValidationError(f"Unknown --source {source!r}.", f"Use one of: {', '.join(_SOURCES)}.")
    content = _read_input(text, file)
    try:
        policy = GuardPolicy.from_settings()
    except ImportError:  # pragma: no cover - settings always ship with conduit
        policy = GuardPolicy()
    thresholds = policy.user_thresholds if source == "user" else policy.untrusted_thresholds
    verdict = screen(content, source, thresholds=thresholds)
    if as_json:
        out.print_json(json.dumps(verdict.as_dict()))
    else:
        from rich.table import Table

        colour = {"allow": "green", "flag": "yellow", "quarantine": "red", "block": "bold red"}[verdict.action]
        out.print(f"verdict: [{colour}]{verdict.action}[/]  score: {verdict.score:.2f}  source: {source}")
        if verdict.reasons:
            table = Table("signal", "weight", "evidence")
            for reason in verdict.reasons:
                table.add_row(reason.code, f"{reason.weight:.2f}", reason.detail)
            out.print(table)
    if verdict.action in ("quarantine", "block"):
        raise SystemExit(4)  # typer.Exit is swallowed by app.main (standalone_mode=False)


def redact(
    text: Optional[str] = typer.Option(None, "--text", "-t", help="Text to redact."),
    file: Optional[Path] = typer.Option(None, "--file", "-f", help="File to redact ('-' for stdin)."),
    as_json: bool = typer.Option(False, "--json", help="Print redacted text plus findings (kind, span) as JSON."),
) -> None:
    """Print the text with every secret replaced by [REDACTED:<kind>]."""
    from conduit.guard.secrets import find_secrets
    from conduit.guard.secrets import redact as redact_text

    content = _read_input(text, file)
    cleaned = redact_text(content)
    if as_json:
        findings = [
            {"kind": f.kind, "start": f.start, "end": f.end, "confidence": f.confidence, "rule": f.rule_id}
            for f in find_secrets(content)
        ]
        sys.stdout.write(json.dumps({"text": cleaned, "findings": findings}, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(cleaned if cleaned.endswith("\n") else cleaned + "\n")


def _as_mcp_tool(tool: Any) -> Any:
    """OpenAI function tools ({type: function, function: {name, description, parameters}}) → MCP shape."""
    if isinstance(tool, dict) and isinstance(tool.get("function"), dict):
        function = tool["function"]
        return {
            "name": function.get("name"),
            "description": function.get("description", ""),
            "inputSchema": function.get("parameters", {}),
        }
    return tool


def scan_tools(
    file: Path = typer.Argument(
        ...,
        help="JSON: a tools/list result ({'tools': ...}), a list of MCP or OpenAI function tools, or {server: tools}.",
    ),
    server: str = typer.Option("local", "--server", help="Server name for a plain tools list."),
    as_json: bool = typer.Option(False, "--json", help="Print findings as JSON."),
) -> None:
    """Scan MCP tool definitions from a file for poisoning, shadowing and hidden characters.

    Exit status 4 when any finding is high or critical.
    """
    from conduit.cli._common import out
    from conduit.guard.tooldefs import SEVERITY_ORDER
    from conduit.guard.tooldefs import scan_tools as scan

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ValidationError(f"File {file} does not exist.", "Check the path.") from exc
    except ValueError as exc:
        raise ValidationError(f"{file} is not valid JSON: {exc}", "Save the tools/list result as JSON.") from exc
    if isinstance(data, dict) and isinstance(data.get("tools"), list):
        by_server = {server: data["tools"]}
    elif isinstance(data, list):
        by_server = {server: data}
    elif isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
        by_server = data
    else:
        raise ValidationError(f"{file} does not hold tool definitions.", "Expected {'tools': [...]}, [...] or {server: [...]}.")
    by_server = {name: [_as_mcp_tool(t) for t in tools] for name, tools in by_server.items()}
    unreadable = [t for tools in by_server.values() for t in tools if not isinstance(t, dict) or not t.get("name")]
    if unreadable:
        raise ValidationError(
            f"{file}: {len(unreadable)} entries are not tool definitions (no name).",
            "Use MCP tools ({name, description, inputSchema}) or OpenAI function tools ({type: function, function: {...}}).",
        )
    findings = scan(by_server)
    if as_json:
        sys.stdout.write(json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=2) + "\n")
    else:
        from rich.table import Table

        if not findings:
            out.print(f"no findings in {sum(len(v) for v in by_server.values())} tools")
        else:
            table = Table("server", "tool", "severity", "finding", "where", "detail")
            for f in findings:
                table.add_row(f.server, f.tool, f.severity, f.code, f.path, f.message)
            out.print(table)
    if any(SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER["high"] for f in findings):
        raise SystemExit(4)  # typer.Exit is swallowed by app.main (standalone_mode=False)
