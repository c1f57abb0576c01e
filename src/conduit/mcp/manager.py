"""MCPManager: every MCP server conduit talks to, behind one object.

This is the only way into an MCP server (DESIGN invariant 1): it connects
servers concurrently, fails closed when a required server cannot start,
offers the model only the tools that the filters and pins allow, runs calls
under timeouts, turns crashes into tool errors instead of hangs, reconnects
on next use, and records every call in the ledger.

Async first (``async with MCPManager(servers) as mcp``); ``SyncMCPManager``
runs the same object on a private event loop thread for synchronous code.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio
from anyio.abc import TaskGroup

from conduit.errors import ConfigurationError, MCPError
from conduit.mcp.adapter import ToolSpec, build_specs, is_allowed
from conduit.mcp.config import ServerConfig, load_servers
from conduit.mcp.connection import ServerConnection
from conduit.mcp.results import ToolResult, failure, from_call_result

log = logging.getLogger("conduit.mcp")

_CONNECTION_CLOSED = -32000  # mcp_types.CONNECTION_CLOSED: the transport ended under a pending request
_ServersArg = Mapping[str, ServerConfig] | Iterable[ServerConfig] | str | Path | None


def _as_server_map(servers: _ServersArg) -> dict[str, ServerConfig]:
    if servers is None or isinstance(servers, str | Path):
        return load_servers(servers)
    if isinstance(servers, Mapping):
        return dict(servers)
    result: dict[str, ServerConfig] = {}
    for server in servers:
        if server.name in result:
            raise ConfigurationError(f"Two MCP servers are named {server.name!r}.", "Give each server a unique name.")
        result[server.name] = server
    return result


class MCPManager:
    """Connections to the configured MCP servers, their tools, resources and prompts.

    ``servers``: a mapping or list of ``ServerConfig``, a path to an
    ``mcpServers`` JSON / conduit.toml, or None for conduit.toml's ``[mcp]``.
    ``record``: write each tool call to the ledger. ``pins``: a ``PinStore``
    (tool-definition pinning; default: the ledger's), or False to disable.
    """

    def __init__(
        self,
        servers: _ServersArg = None,
        *,
        record: bool = True,
        pins: Any = None,
        session: str | None = None,
    ) -> None:
        self.servers = _as_server_map(servers)
        self.connections = {name: ServerConnection(config) for name, config in self.servers.items()}
        self.failures: dict[str, MCPError] = {}  # optional servers that could not start
        self.record = record
        self.session = session
        self._pins_arg = pins
        self._pins: Any = None
        self._tg: TaskGroup | None = None
        self._specs: dict[str, list[ToolSpec]] = {}  # server -> allowed tools (filters applied)
        self._hidden: dict[str, list[str]] = {}  # server -> tool names the filters hid
        self._refused: dict[str, dict[str, str]] = {}  # server -> tool -> why (pins / scan)
        self._by_openai: dict[str, ToolSpec] = {}
        self._candidates: dict[str, list[ToolSpec]] = {}  # server -> allowed tools before pin checks

    # -- lifecycle ---------------------------------------------------------------
    async def __aenter__(self) -> MCPManager:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        try:
            await self.connect()
        except BaseException as exc:
            await self.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        with anyio.CancelScope(shield=True):
            for connection in self.connections.values():
                await connection.close()
        task_group, self._tg = self._tg, None
        if task_group is not None:
            task_group.cancel_scope.cancel()
            # the runners were stopped above; the caller's exception (if any) propagates on its own,
            # so it is not handed to the group, which would wrap it in an ExceptionGroup
            await task_group.__aexit__(None, None, None)
        for connection in self.connections.values():
            if connection._stderr is not None:  # noqa: SLF001 - owned pair of classes
                connection._stderr.close()  # noqa: SLF001
        return None

    def _task_group(self) -> TaskGroup:
        if self._tg is None:
            raise RuntimeError("MCPManager must be used as `async with MCPManager(...)` (or SyncMCPManager)")
        return self._tg

    async def connect(self, names: Iterable[str] | None = None) -> None:
        """Connect servers concurrently; raise one MCPError naming every required server that failed."""
        wanted = list(names) if names is not None else list(self.connections)
        errors: dict[str, MCPError] = {}

        async def _one(name: str) -> None:
            try:
                await self.connections[name].ensure(self._task_group())
                await self._refresh_tools(name)
            except MCPError as exc:
                errors[name] = exc
            except Exception as exc:  # noqa: BLE001 - e.g. a malformed tools/list answer
                errors[name] = MCPError(
                    f"MCP server {name!r} started, but listing its tools failed: {type(exc).__name__}: {exc}",
                    "Check the server's version and logs; mark it optional to run without it.",
                )

        async with anyio.create_task_group() as group:
            for name in wanted:
                group.start_soon(_one, name)
        required = {n: e for n, e in errors.items() if not self.servers[n].optional}
        for name, exc in errors.items():
            if self.servers[name].optional:
                self.failures[name] = exc
                # callers show ``failures`` their own way (CLI table, agent notice); the log is for tracing
                log.info("optional MCP server %r is unavailable: %s", name, exc.message)
        if required:
            if len(required) == 1:
                raise next(iter(required.values()))
            raise MCPError(
                "MCP servers failed to start: " + "; ".join(f"{n}: {e.message}" for n, e in required.items()),
                "Fix the servers above, or mark them `optional = true` to run without them.",
            )

    async def _connection(self, server: str) -> ServerConnection:
        connection = self.connections.get(server)
        if connection is None:
            known = ", ".join(sorted(self.connections)) or "none configured"
            raise MCPError(f"No MCP server named {server!r}.", f"Configured servers: {known}.")
        if not connection.connected:
            await connection.ensure(self._task_group())
            self.failures.pop(server, None)
        return connection

    # -- tools -------------------------------------------------------------------
    async def _refresh_tools(self, server: str) -> None:
        connection = self.connections[server]
        tools: list[Any] = []
        cursor: str | None = None
        connection.tools_stale = False  # before listing: a change announced meanwhile triggers another refresh
        try:
            with anyio.fail_after(self.servers[server].connect_timeout):
                for _page in range(100):
                    page = await connection.client.list_tools(cursor=cursor)
                    tools.extend(page.tools)
                    cursor = page.next_cursor
                    if not cursor:
                        break
        except BaseException:
            connection.tools_stale = True  # retry on next use
            raise
        config = self.servers[server]
        specs = build_specs(config, tools)
        self._hidden[server] = [tool.name for tool in tools if not is_allowed(config, tool.name)]
        self._refused[server] = {}
        self._candidates[server] = specs
        if self._pins_arg is not False:
            try:
                verdicts = self._pin_store().check_all(specs)
            except Exception as exc:  # noqa: BLE001 - unverifiable definitions must not reach the model
                raise MCPError(
                    f"The tool definitions of MCP server {server!r} could not be checked against their pins "
                    f"({type(exc).__name__}: {exc}); its tools are withheld.",
                    "Check the ledger database (CONDUIT_DB) and the guard configuration, then retry.",
                ) from exc
            self._refused[server] = {name: why for name, why in verdicts.items() if why is not None}
            specs = [spec for spec in specs if verdicts.get(spec.name) is None]
        self._specs[server] = specs
        self._by_openai = {spec.openai_name: spec for specs_ in self._specs.values() for spec in specs_}

    def _pin_store(self) -> Any:
        if self._pins_arg is False:
            return None
        if self._pins is None:
            if self._pins_arg is not None:
                self._pins = self._pins_arg
            else:
                from conduit.mcp.pins import PinStore

                self._pins = PinStore.default()
        return self._pins

    async def tools(self, server: str | None = None) -> list[ToolSpec]:
        """The tools the model may see (filters and pins applied), refreshed if a server announced changes."""
        names = [server] if server is not None else [n for n in self.connections if n not in self.failures]
        result: list[ToolSpec] = []
        for name in names:
            try:
                connection = await self._connection(name)
            except MCPError as exc:
                if server is None and self.servers[name].optional:
                    self.failures[name] = exc  # an optional server that died and cannot restart drops out
                    continue
                raise
            if connection.tools_stale or name not in self._specs:
                try:
                    await self._refresh_tools(name)
                except MCPError:
                    raise  # definitions that cannot be verified: fail closed, with the reason
                except Exception as exc:  # noqa: BLE001 - a dead server loses its tools, not the run
                    connection.mark_broken(str(exc))
                    if server is not None:
                        raise MCPError(f"MCP server {name!r} could not list its tools: {exc}", "See its stderr above.") from exc
                    continue
            result.extend(self._specs.get(name, []))
        return result

    async def openai_tools(self) -> list[dict[str, Any]]:
        """The Chat Completions ``tools`` list."""
        return [spec.to_openai() for spec in await self.tools()]

    async def require_tools(self) -> list[ToolSpec]:
        """Like ``tools()``, but fail closed when configured servers resolve no usable tool.

        An agent run that silently proceeds without the tools the user set up
        gives confident wrong answers; refusing to start is the safe failure.
        """
        specs = await self.tools()
        problems: list[str] = []
        for name, config in self.servers.items():
            if name in self.failures or any(spec.server == name for spec in specs):
                continue
            hidden, refused = self._hidden.get(name, []), self._refused.get(name, {})
            if (hidden or refused) and not config.optional:
                detail = []
                if hidden:
                    detail.append(f"filters hid {len(hidden)} ({', '.join(hidden[:5])}{'...' if len(hidden) > 5 else ''})")
                if refused:
                    detail.append(f"{len(refused)} refused ({'; '.join(f'{t}: {w}' for t, w in list(refused.items())[:3])})")
                problems.append(f"{name}: {', '.join(detail)}")
        if problems or (self.servers and not specs):
            reason = "; ".join(problems) if problems else "the servers offer no tools"
            raise MCPError(
                f"No usable MCP tools were resolved ({reason}).",
                "Check the allow/block patterns, approve changed tools with `conduit mcp approve`, "
                "or mark servers optional.",
            )
        return specs

    async def definitions(self, server: str | None = None) -> list[ToolSpec]:
        """Every tool the filters allow, including those withheld by pins (for scan/approve)."""
        await self.tools(server)
        names = [server] if server is not None else list(self._candidates)
        return [spec for name in names for spec in self._candidates.get(name, [])]

    async def approve(self, server: str, tool: str | None = None) -> list[ToolSpec]:
        """Pin the current definitions of one tool (or all tools) of ``server``; returns what was approved."""
        pins = self._pin_store()
        if pins is None:
            raise MCPError("Tool pinning is disabled for this manager.", "Create it without pins=False.")
        specs = [spec for spec in await self.definitions(server) if tool is None or spec.name == tool]
        if tool is not None and not specs:
            raise MCPError(
                f"Server {server!r} offers no tool named {tool!r} (or the filters hide it).",
                f"See `conduit mcp tools {server}`.",
            )
        for spec in specs:
            pins.pin(spec, source="user")
        await self._refresh_tools(server)
        return specs

    def spec_for(self, openai_name: str) -> ToolSpec | None:
        return self._by_openai.get(openai_name)

    def refused(self) -> dict[str, dict[str, str]]:
        """Tools withheld from the model by pins/scans, by server, with the reason."""
        return {server: dict(tools) for server, tools in self._refused.items() if tools}

    def hidden(self) -> dict[str, list[str]]:
        """Tools withheld by allow/block filters, by server."""
        return {server: list(tools) for server, tools in self._hidden.items() if tools}

    # -- calls -------------------------------------------------------------------
    async def call(
        self,
        name: str,
        arguments: Mapping[str, Any] | str | None = None,
        *,
        server: str | None = None,
        exchange_id: str | None = None,
        timeout: float | None = None,
    ) -> ToolResult:
        """Call a tool and always come back with a ToolResult (never hang, never raise for tool failures).

        ``name`` is the namespaced OpenAI name (``server__tool``), or the
        tool's own name when ``server`` is given. Unknown or filtered tools,
        bad JSON arguments, timeouts and server deaths come back as
        ``error``/``timeout``/``refused`` results the model can read.
        """
        spec, server_name, tool_name = await self._resolve(name, server)
        if spec is None:
            return self._finish(self._refusal(server_name, tool_name), exchange_id)
        args, problem = _parse_arguments(arguments)
        if problem is not None:
            return self._finish(failure(spec.server, spec.name, "error", problem), exchange_id)
        config = self.servers[spec.server]
        limit = timeout if timeout is not None else config.call_timeout
        started = time.perf_counter()
        try:
            connection = await self._connection(spec.server)
        except MCPError as exc:
            return self._finish(failure(spec.server, spec.name, "error", f"{exc.message} ({exc.hint})"), exchange_id)
        try:
            with anyio.fail_after(limit):
                raw = await connection.client.call_tool(spec.name, args)
            result = from_call_result(
                spec.server, spec.name, raw, duration_ms=_ms(started), max_output_bytes=config.max_output_bytes
            )
        except TimeoutError:
            result = failure(
                spec.server,
                spec.name,
                "timeout",
                f"Tool {spec.server}/{spec.name} did not finish within {limit:g} s and was cancelled.",
                duration_ms=_ms(started),
            )
        except Exception as exc:  # noqa: BLE001 - a dying server becomes a tool error
            result = self._call_error(connection, spec, exc, started)
        return self._finish(result, exchange_id)

    def _call_error(self, connection: ServerConnection, spec: ToolSpec, exc: Exception, started: float) -> ToolResult:
        from pydantic import ValidationError

        code = getattr(exc, "code", None)
        if isinstance(exc, ValidationError):
            message = f"MCP server {spec.server!r} returned a malformed result for {spec.name}: {exc.error_count()} validation error(s)."
        elif code == _CONNECTION_CLOSED or not hasattr(exc, "code"):
            await_note = connection.stderr_tail(600)
            connection.mark_broken(f"{type(exc).__name__}: {exc}")
            message = (
                f"MCP server {spec.server!r} stopped answering during {spec.name} (it crashed or closed the "
                f"connection: {exc}). It will be restarted on the next call."
            )
            if await_note:
                message += f"\nServer stderr (last lines):\n{await_note}"
        else:  # a JSON-RPC error for this call only (unknown tool, invalid params...)
            message = f"MCP server {spec.server!r} refused {spec.name}: {exc} (error {code})."
        return failure(spec.server, spec.name, "error", message, duration_ms=_ms(started))

    async def _resolve(self, name: str, server: str | None) -> tuple[ToolSpec | None, str, str]:
        if server is None:
            spec = self._by_openai.get(name)
            if spec is None:
                await self.tools()
                spec = self._by_openai.get(name)
            if spec is not None:
                return spec, spec.server, spec.name
            server_name, _, tool_name = name.partition("__")
            return None, server_name, tool_name or name
        connection = await self._connection(server)
        if connection.tools_stale or server not in self._specs:
            await self.tools(server)
        for spec in self._specs.get(server, []):
            if spec.name == name:
                return spec, server, name
        return None, server, name

    def _refusal(self, server: str, tool: str) -> ToolResult:
        if server in self._refused and tool in self._refused[server]:
            why = self._refused[server][tool]
        elif tool in self._hidden.get(server, []):
            why = f"tool {tool!r} of server {server!r} is blocked by the server's allow/block filters"
        elif server in self.servers:
            why = f"server {server!r} has no tool named {tool!r}"
        else:
            why = f"there is no tool named {server}__{tool}" if tool else f"there is no tool named {server!r}"
        return failure(server or "?", tool or "?", "refused", f"Tool call refused: {why}.")

    def _finish(self, result: ToolResult, exchange_id: str | None) -> ToolResult:
        if self.record:
            record_tool_call(result, session=self.session, exchange_id=exchange_id)
        return result

    async def call_refused(self, spec_or_name: ToolSpec | str, reason: str, *, exchange_id: str | None = None) -> ToolResult:
        """Record and return a refusal decided outside the manager (e.g. the taint policy)."""
        if isinstance(spec_or_name, ToolSpec):
            server, tool = spec_or_name.server, spec_or_name.name
        else:
            server, _, tool = spec_or_name.partition("__")
        return self._finish(failure(server, tool, "refused", f"Tool call refused: {reason}."), exchange_id)

    # -- resources and prompts ---------------------------------------------------
    async def list_resources(self, server: str | None = None) -> list[dict[str, Any]]:
        """Resources of one or all servers, as plain dicts with a ``server`` key."""
        return await self._list_each(server, "list_resources", "resources", "resources")

    async def list_prompts(self, server: str | None = None) -> list[dict[str, Any]]:
        return await self._list_each(server, "list_prompts", "prompts", "prompts")

    async def _list_each(self, server: str | None, method: str, attribute: str, capability: str) -> list[dict[str, Any]]:
        names = [server] if server is not None else [n for n in self.connections if n not in self.failures]
        items: list[dict[str, Any]] = []
        for name in names:
            connection = await self._connection(name)
            if getattr(connection.client.server_capabilities, capability, None) is None:
                continue  # the server does not offer this feature
            cursor: str | None = None
            with anyio.fail_after(self.servers[name].call_timeout):
                for _page in range(100):
                    page = await getattr(connection.client, method)(cursor=cursor)
                    for item in getattr(page, attribute):
                        items.append({"server": name, **item.model_dump(mode="json", by_alias=True, exclude_none=True)})
                    cursor = page.next_cursor
                    if not cursor:
                        break
        return items

    async def read_resource(self, server: str, uri: str) -> list[dict[str, Any]]:
        """The contents of one resource: ``[{"uri", "mime_type", "text" | "blob"}]``."""
        connection = await self._connection(server)
        with anyio.fail_after(self.servers[server].call_timeout):
            result = await connection.client.read_resource(uri)
        return [item.model_dump(mode="json", exclude_none=True) for item in result.contents]

    async def get_prompt(self, server: str, name: str, arguments: Mapping[str, str] | None = None) -> dict[str, Any]:
        """One prompt, rendered by its server: ``{"description", "messages": [...]}``."""
        connection = await self._connection(server)
        with anyio.fail_after(self.servers[server].call_timeout):
            result = await connection.client.get_prompt(name, dict(arguments or {}))
        return result.model_dump(mode="json", exclude_none=True)

    def status(self) -> list[dict[str, Any]]:
        """One row per server: transport, connection state, server identity, tool counts."""
        rows = []
        for name, config in self.servers.items():
            connection = self.connections[name]
            failure_ = self.failures.get(name)
            rows.append(
                {
                    "name": name,
                    "transport": config.transport,
                    "target": config.describe(),
                    "connected": connection.connected,
                    "optional": config.optional,
                    "server": connection.server_name,
                    "version": connection.server_version,
                    "protocol": connection.protocol_version,
                    "tools": len(self._specs.get(name, [])),
                    "hidden": len(self._hidden.get(name, [])),
                    "refused": len(self._refused.get(name, {})),
                    "error": failure_.message if failure_ else None,
                }
            )
        return rows


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def _parse_arguments(arguments: Mapping[str, Any] | str | None) -> tuple[dict[str, Any], str | None]:
    if arguments is None or arguments == "":
        return {}, None
    if isinstance(arguments, str):
        try:
            parsed = json.loads(arguments)
        except json.JSONDecodeError as exc:
            return {}, f"The tool arguments are not valid JSON ({exc.msg} at position {exc.pos}); send a JSON object."
        arguments = parsed
    if not isinstance(arguments, Mapping):
        return {}, f"The tool arguments must be a JSON object, got {type(arguments).__name__}."
    return dict(arguments), None


def record_tool_call(result: ToolResult, *, session: str | None = None, exchange_id: str | None = None) -> None:
    """Write one tool call to the ledger; a ledger failure is logged, never lost silently nor fatal to the call."""
    try:
        from conduit.ledger import open_ledger

        open_ledger().record_tool_call(
            server=result.server,
            tool=result.tool,
            duration_ms=round(result.duration_ms, 3),
            status=result.status,
            output_bytes=result.output_bytes,
            error=result.error,
            session=session,
            exchange_id=exchange_id,
        )
    except Exception as exc:  # noqa: BLE001 - the tool already ran; losing its result would be worse
        log.error("could not record MCP tool call %s/%s in the ledger: %s", result.server, result.tool, exc)


class SyncMCPManager:
    """``MCPManager`` for synchronous code: the same object on a private event-loop thread.

    ``with SyncMCPManager("mcp.json") as mcp: mcp.call("fs__read_text_file", {...})``
    """

    def __init__(self, servers: _ServersArg = None, **kwargs: Any) -> None:
        self.manager = MCPManager(servers, **kwargs)
        self._portal_cm: Any = None
        self._portal: Any = None
        self._context: Any = None

    def __enter__(self) -> SyncMCPManager:
        from anyio.from_thread import start_blocking_portal

        self._portal_cm = start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        try:
            self._context = self._portal.wrap_async_context_manager(self.manager)
            self._context.__enter__()
        except BaseException:
            self._portal_cm.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            if self._context is not None:
                self._context.__exit__(*exc)
        finally:
            self._portal_cm.__exit__(None, None, None)

    def _run(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        if self._portal is None:
            raise RuntimeError("SyncMCPManager must be used as `with SyncMCPManager(...) as mcp:`")
        return self._portal.call(lambda: func(*args, **kwargs))

    def tools(self, server: str | None = None) -> list[ToolSpec]:
        return self._run(self.manager.tools, server)

    def openai_tools(self) -> list[dict[str, Any]]:
        return self._run(self.manager.openai_tools)

    def call(self, name: str, arguments: Mapping[str, Any] | str | None = None, **kwargs: Any) -> ToolResult:
        return self._run(self.manager.call, name, arguments, **kwargs)

    def list_resources(self, server: str | None = None) -> list[dict[str, Any]]:
        return self._run(self.manager.list_resources, server)

    def read_resource(self, server: str, uri: str) -> list[dict[str, Any]]:
        return self._run(self.manager.read_resource, server, uri)

    def list_prompts(self, server: str | None = None) -> list[dict[str, Any]]:
        return self._run(self.manager.list_prompts, server)

    def get_prompt(self, server: str, name: str, arguments: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self._run(self.manager.get_prompt, server, name, arguments)

    def status(self) -> list[dict[str, Any]]:
        return self.manager.status()
