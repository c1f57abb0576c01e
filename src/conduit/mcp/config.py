"""MCP server configuration: the standard ``mcpServers`` JSON and ``[mcp]`` in conduit.toml.

Users already keep their servers in the JSON that Claude Desktop, Cursor and
VS Code read; conduit reads such a file unchanged (``mcpServers`` or VS
Code's ``servers``, ``${VAR}`` expansion) so there is one source of truth.
conduit's own extras -- tool allow/block globs, timeouts, output cap,
sensitive tools, ``optional`` -- live in ``[mcp.servers.<name>]`` of
conduit.toml, either as a full server definition or as an overlay on a
server of the same name from the JSON file named by ``[mcp] config``.

Timeouts default high on purpose: users of other SDKs are regularly bitten by
5 s defaults that kill slow-starting ``npx`` servers and long-running tools.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from conduit.errors import ConfigurationError

Transport = Literal["stdio", "sse", "http"]

DEFAULT_CONNECT_TIMEOUT = 30.0
DEFAULT_CALL_TIMEOUT = 120.0
DEFAULT_MAX_OUTPUT_BYTES = 100_000

_SERVER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_VAR = re.compile(r"\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

# keys of the de-facto standard format (Claude Desktop, Cursor, VS Code, Cline...)
_STANDARD_KEYS = {"command", "args", "env", "cwd", "url", "headers", "type", "transport", "disabled", "timeout"}
# conduit's extras (also accepted inside the JSON, ignored by other clients)
_EXTRA_KEYS = {
    "allow",
    "block",
    "sensitive",
    "connect_timeout",
    "call_timeout",
    "max_output_bytes",
    "optional",
    "pass_env",
    "mode",
}
_TRANSPORT_ALIASES: dict[str, Transport] = {
    "stdio": "stdio",
    "sse": "sse",
    "http": "http",
    "streamable-http": "http",
    "streamable_http": "http",
    "streamablehttp": "http",
}


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """One MCP server: how to reach it, and what conduit lets the model do with it.

    ``allow`` / ``block`` are glob patterns over the server's own tool names:
    a tool is offered to the model only if it matches ``allow`` (empty means
    all) and no ``block`` pattern. ``sensitive`` globs name tools that write,
    send, execute or spend; on a turn whose context holds untrusted content
    they need approval. ``env`` is the complete set of variables the child
    gets on top of a minimal base; ``pass_env`` names parent variables to
    copy through explicitly.
    """

    name: str
    transport: Transport
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    pass_env: tuple[str, ...] = ()
    cwd: str | None = None
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    allow: tuple[str, ...] = ()
    block: tuple[str, ...] = ()
    sensitive: tuple[str, ...] = ()
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES
    optional: bool = False
    mode: str = "auto"

    def describe(self) -> str:
        """A one-line human description (no env values or headers: they may hold secrets)."""
        if self.transport == "stdio":
            return " ".join([self.command or "", *self.args]).strip()
        return self.url or ""


def expand_vars(value: str, environ: Mapping[str, str] | None = None, *, where: str = "") -> str:
    """Expand ``${VAR}``, ``${VAR:-default}`` and VS Code's ``${env:VAR}``.

    An unset variable without a default is an error, not an empty string: a
    server started with an empty token fails later in confusing ways.
    """
    env = os.environ if environ is None else environ

    def _sub(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise ConfigurationError(
            f"MCP config {where or 'value'} uses ${{{name}}}, but {name} is not set.",
            f"Set {name} in the environment (or .env), or write ${{{name}:-default}} to give a default.",
        )

    return _VAR.sub(_sub, value)


def _expand(obj: Any, environ: Mapping[str, str] | None, where: str) -> Any:
    if isinstance(obj, str):
        return expand_vars(obj, environ, where=where)
    if isinstance(obj, list):
        return [_expand(item, environ, where) for item in obj]
    if isinstance(obj, dict):
        return {key: _expand(value, environ, f"{where}.{key}") for key, value in obj.items()}
    return obj


def _str_tuple(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return tuple(str(v) for v in value)
    raise ConfigurationError(f"{where} must be a list of strings, got {value!r}.", "Write it as [\"a\", \"b\"].")


def _str_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigurationError(f"{where} must be a table of strings, got {type(value).__name__}.", "Write it as {\"KEY\": \"value\"}.")
    return {str(k): str(v) for k, v in value.items()}


def _positive(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigurationError(f"{where} must be a positive number of seconds, got {value!r}.", "For example: call_timeout = 120")
    return float(value)


def _infer_transport(raw: Mapping[str, Any], where: str) -> Transport:
    declared = raw.get("type", raw.get("transport"))
    if declared is not None:
        transport = _TRANSPORT_ALIASES.get(str(declared).lower())
        if transport is None:
            raise ConfigurationError(
                f"{where} has unknown transport type {declared!r}.", "Use \"stdio\", \"sse\" or \"http\" (streamable HTTP)."
            )
        return transport
    if raw.get("command"):
        return "stdio"
    url = raw.get("url")
    if url:
        # Cursor and Claude Desktop infer the transport from the URL; /sse is the SSE convention
        return "sse" if str(url).rstrip("/").endswith("/sse") else "http"
    raise ConfigurationError(f"{where} has neither a command nor a url.", "Give \"command\" (stdio) or \"url\" (SSE / streamable HTTP).")


def server_from_dict(
    name: str, raw: Mapping[str, Any], *, environ: Mapping[str, str] | None = None, strict: bool = False, source: str = ""
) -> ServerConfig:
    """Build one ServerConfig from a standard or conduit-extended entry.

    ``strict`` (conduit.toml) refuses unknown keys, catching typos such as
    ``alow``; JSON files shared with other clients may carry their keys
    (``alwaysAllow``, ``autoApprove``...) and are read leniently.
    """
    where = f"{source}: server {name!r}" if source else f"MCP server {name!r}"
    if not _SERVER_NAME.match(name):
        raise ConfigurationError(
            f"{where}: the name must be 1-64 letters, digits, '_', '.' or '-' (starting with a letter or digit).",
            "Rename the server; its name prefixes the tool names the model sees.",
        )
    if not isinstance(raw, Mapping):
        raise ConfigurationError(f"{where} must be a table/object, got {type(raw).__name__}.", "See `conduit mcp --help`.")
    if strict:
        unknown = set(raw) - _STANDARD_KEYS - _EXTRA_KEYS
        if unknown:
            raise ConfigurationError(
                f"{where} has unknown key(s): {', '.join(sorted(unknown))}.",
                f"Known keys: {', '.join(sorted(_STANDARD_KEYS | _EXTRA_KEYS))}.",
            )
    data: dict[str, Any] = _expand(dict(raw), environ, where)
    transport = _infer_transport(data, where)
    if transport == "stdio" and not data.get("command"):
        raise ConfigurationError(f"{where} uses stdio but has no command.", "Add \"command\" (and \"args\").")
    if transport != "stdio" and not data.get("url"):
        raise ConfigurationError(f"{where} uses {transport} but has no url.", "Add \"url\", e.g. http://127.0.0.1:3001/mcp.")
    call_timeout = data.get("call_timeout", data.get("timeout", DEFAULT_CALL_TIMEOUT))
    max_output = data.get("max_output_bytes", DEFAULT_MAX_OUTPUT_BYTES)
    if isinstance(max_output, bool) or not isinstance(max_output, int) or max_output < 256:
        raise ConfigurationError(f"{where}: max_output_bytes must be an integer >= 256, got {max_output!r}.", "For example: max_output_bytes = 100000")
    mode = str(data.get("mode", "auto"))
    return ServerConfig(
        name=name,
        transport=transport,
        command=str(data["command"]) if data.get("command") else None,
        args=_str_tuple(data.get("args"), f"{where}.args"),
        env=_str_map(data.get("env"), f"{where}.env"),
        pass_env=_str_tuple(data.get("pass_env"), f"{where}.pass_env"),
        cwd=str(Path(data["cwd"]).expanduser()) if data.get("cwd") else None,
        url=str(data["url"]) if data.get("url") else None,
        headers=_str_map(data.get("headers"), f"{where}.headers"),
        allow=_str_tuple(data.get("allow"), f"{where}.allow"),
        block=_str_tuple(data.get("block"), f"{where}.block"),
        sensitive=_str_tuple(data.get("sensitive"), f"{where}.sensitive"),
        connect_timeout=_positive(data.get("connect_timeout", DEFAULT_CONNECT_TIMEOUT), f"{where}.connect_timeout"),
        call_timeout=_positive(call_timeout, f"{where}.call_timeout"),
        max_output_bytes=max_output,
        optional=bool(data.get("optional", False)),
        mode=mode,
    )


def parse_mcp_json(data: Mapping[str, Any], *, environ: Mapping[str, str] | None = None, source: str = "") -> dict[str, ServerConfig]:
    """Servers from a parsed ``mcpServers`` (Claude/Cursor) or ``servers`` (VS Code) document.

    Entries with ``"disabled": true`` (Cline, Claude Code) are skipped, as
    the clients that wrote them would skip them.
    """
    table = data.get("mcpServers", data.get("servers"))
    if table is None:
        raise ConfigurationError(
            f"{source or 'The MCP config'} has no \"mcpServers\" (or VS Code \"servers\") object.",
            "Use the format of Claude Desktop / Cursor: {\"mcpServers\": {\"name\": {\"command\": ..., \"args\": [...]}}}.",
        )
    if not isinstance(table, dict):
        raise ConfigurationError(f"{source}: \"mcpServers\" must be an object.", "Map server names to their settings.")
    servers: dict[str, ServerConfig] = {}
    for name, raw in table.items():
        if isinstance(raw, dict) and raw.get("disabled") is True:
            continue
        servers[name] = server_from_dict(name, raw, environ=environ, source=source)
    return servers


def _read_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"Cannot read MCP config {path}: {exc.strerror or exc}.", "Check the path passed with --config.") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{path} is not valid JSON: {exc}.", "Fix the syntax (trailing commas and comments are not JSON).") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path} must hold a JSON object.", "Use {\"mcpServers\": {...}}.")
    return data


def parse_mcp_section(
    section: Mapping[str, Any], *, base_dir: Path | None = None, environ: Mapping[str, str] | None = None, source: str = "conduit.toml"
) -> dict[str, ServerConfig]:
    """Servers from the ``[mcp]`` table of conduit.toml.

    ``[mcp] config = "path/to/mcp.json"`` pulls in a standard file; a
    ``[mcp.servers.<name>]`` entry without command/url overlays conduit's
    extras on the JSON server of that name.
    """
    unknown = set(section) - {"config", "servers"}
    if unknown:
        raise ConfigurationError(f"{source}: unknown key(s) in [mcp]: {', '.join(sorted(unknown))}.", "[mcp] takes `config` and `servers`.")
    servers: dict[str, ServerConfig] = {}
    raw_json: dict[str, Any] = {}
    include = section.get("config")
    if include:
        path = Path(expand_vars(str(include), environ, where="[mcp].config")).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        document = _read_json(path)
        raw_json = dict(document.get("mcpServers", document.get("servers")) or {})
        servers.update(parse_mcp_json(document, environ=environ, source=str(path)))
    table = section.get("servers", {})
    if not isinstance(table, dict):
        raise ConfigurationError(f"{source}: [mcp.servers] must be a table.", "Write [mcp.servers.<name>] tables.")
    for name, raw in table.items():
        if not isinstance(raw, dict):
            raise ConfigurationError(f"{source}: [mcp.servers.{name}] must be a table.", "See the README's MCP section.")
        if not raw.get("command") and not raw.get("url") and name in raw_json:
            _check_keys(name, raw, source)
            merged = {**raw_json[name], **raw}
            servers[name] = server_from_dict(name, merged, environ=environ, strict=False, source=source)
            continue
        servers[name] = server_from_dict(name, raw, environ=environ, strict=True, source=source)
    return servers


def _check_keys(name: str, raw: Mapping[str, Any], source: str) -> None:
    unknown = set(raw) - _STANDARD_KEYS - _EXTRA_KEYS
    if unknown:
        raise ConfigurationError(
            f"{source}: server {name!r} has unknown key(s): {', '.join(sorted(unknown))}.",
            f"Known keys: {', '.join(sorted(_STANDARD_KEYS | _EXTRA_KEYS))}.",
        )


def load_servers(path: str | Path | None = None, *, environ: Mapping[str, str] | None = None) -> dict[str, ServerConfig]:
    """The configured MCP servers, by name.

    ``path`` may be a standard ``mcpServers`` JSON file or a conduit.toml;
    without it, the ``[mcp]`` section of the active conduit.toml is used.
    conduit never picks up a ``.mcp.json`` from the working directory on its
    own: starting commands named by a file in a freshly cloned repository
    would let that repository run code.
    """
    if path is None:
        from conduit.settings import get_settings

        settings = get_settings()
        section = settings.section("mcp")
        return parse_mcp_section(section, base_dir=settings.config_path.parent, environ=environ, source=str(settings.config_path))
    file = Path(path).expanduser()
    if not file.is_file():
        raise ConfigurationError(f"MCP config file {file} does not exist.", "Pass an mcpServers JSON file or a conduit.toml with --config.")
    if file.suffix.lower() == ".toml":
        try:
            document = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"{file} is not valid TOML: {exc}", "Fix the syntax.") from exc
        section = document.get("mcp", {})
        if not isinstance(section, dict):
            raise ConfigurationError(f"{file}: [mcp] must be a table.", "See the README's MCP section.")
        return parse_mcp_section(section, base_dir=file.parent, environ=environ, source=str(file))
    return parse_mcp_json(_read_json(file), environ=environ, source=str(file))


def with_overrides(server: ServerConfig, **changes: Any) -> ServerConfig:
    """A copy of ``server`` with some fields changed (tests, CLI flags)."""
    return replace(server, **changes)
