"""One live connection to one MCP server, owned by a background task.

anyio cancel scopes and task groups (which the ``mcp`` SDK's transports open)
must be entered and left by the same task, so each connection lives in its
own runner task inside the manager's task group; callers in any task send
requests through the connected ``mcp.Client``. When the server dies the
connection is marked broken and the next use starts a fresh one.

stdio children get a minimal environment: the SDK's non-secret basics (PATH,
HOME, USER, LOGNAME, SHELL, TERM) plus LANG/LC_ALL, then exactly what the
server's config passes (``env``, ``pass_env``). ``OPENAI_API_KEY`` and every
other secret of the parent stay behind unless configured explicitly.
"""

from __future__ import annotations

import logging
import os
import tempfile
from contextlib import AsyncExitStack
from typing import IO, Any

import anyio
from anyio.abc import TaskGroup, TaskStatus

from conduit.errors import MCPError
from conduit.mcp.config import ServerConfig

log = logging.getLogger("conduit.mcp")
# The SDK logs expected transport failures (a server killed mid-stream) with full tracebacks;
# without logging configured they would reach stderr through logging.lastResort. A NullHandler
# keeps them out unless the application configures logging (the library convention).
logging.getLogger("mcp").addHandler(logging.NullHandler())

_LOCALE_VARS = ("LANG", "LC_ALL")
_STDERR_TAIL = 2000


def child_environment(config: ServerConfig, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The variables conduit adds for a stdio child (the SDK adds PATH, HOME and a few basics).

    Returned explicitly so it can be tested and shown: locale, ``pass_env``
    names copied from the parent, then the config's ``env`` (which wins).
    """
    parent = os.environ if environ is None else environ
    env: dict[str, str] = {}
    for name in (*_LOCALE_VARS, "PATH", "HOME"):
        if name in parent:
            env[name] = parent[name]
    for name in config.pass_env:
        if name in parent:
            env[name] = parent[name]
    env.update(config.env)
    return env


class ServerConnection:
    """The client side of one server: connect, call, list, and recover from its death."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.client: Any = None  # mcp.Client while connected
        self.broken: str | None = None  # why the live connection can no longer be used
        self.protocol_version: str | None = None
        self.server_name: str | None = None
        self.server_version: str | None = None
        self.instructions: str | None = None
        self.tools_stale = True  # set by list_changed notifications; the manager re-lists
        self.list_changed_count = 0
        self.connects = 0
        self._lock = anyio.Lock()
        self._stop: anyio.Event | None = None
        self._done: anyio.Event | None = None
        self._stderr: IO[bytes] | None = None

    # -- lifecycle ---------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self.client is not None and self.broken is None

    async def ensure(self, task_group: TaskGroup) -> None:
        """Connect if not connected (first use, or after the server died)."""
        if self.connected:
            return
        async with self._lock:
            if self.connected:
                return
            await self.close()
            await self._start(task_group)

    async def _start(self, task_group: TaskGroup) -> None:
        name, timeout = self.config.name, self.config.connect_timeout
        try:
            with anyio.fail_after(timeout):
                await task_group.start(self._run)
        except TimeoutError:
            raise MCPError(
                f"MCP server {name!r} did not complete the MCP handshake within {timeout:g} s.{self._tail_note()}",
                f"Check that `{self.config.describe()}` starts an MCP server, or raise connect_timeout for a slow starter.",
            ) from None
        except MCPError:
            raise
        except Exception as exc:  # noqa: BLE001 - every start failure becomes one clear error
            raise self._start_error(exc) from exc
        self.connects += 1
        self.broken = None
        self.tools_stale = True

    def _start_error(self, exc: BaseException) -> MCPError:
        name = self.config.name
        cause = _describe_exception(exc)
        if isinstance(_root(exc), FileNotFoundError) and self.config.transport == "stdio":
            return MCPError(
                f"MCP server {name!r} could not start: command {self.config.command!r} was not found.",
                "Install it or give its full path in the server's \"command\" (PATH is searched).",
            )
        if self.config.transport == "stdio":
            return MCPError(
                f"MCP server {name!r} failed to start ({cause}).{self._tail_note()}",
                f"Run `{self.config.describe()}` by hand to see why; mark the server optional to run without it.",
            )
        return MCPError(
            f"MCP server {name!r} at {self.config.url} could not be reached over {self.config.transport} ({cause}).",
            "Check that the server is running and the URL (and transport type: sse or http) is right.",
        )

    def stderr_tail(self, limit: int = _STDERR_TAIL) -> str:
        """The last ``limit`` characters the stdio child wrote to stderr ('' for HTTP servers)."""
        handle = self._stderr
        if handle is None or handle.closed:
            return ""
        try:
            size = os.fstat(handle.fileno()).st_size
            data = os.pread(handle.fileno(), limit * 4, max(0, size - limit * 4))
        except OSError:
            return ""
        return data.decode("utf-8", errors="replace")[-limit:].strip()

    def _tail_note(self) -> str:
        tail = self.stderr_tail()
        return f"\nServer stderr (last lines):\n{tail}" if tail else ""

    async def close(self) -> None:
        """Stop the runner (closes the session and stops a stdio child)."""
        if self._stop is not None and self._done is not None:
            self._stop.set()
            with anyio.CancelScope(shield=True):
                await self._done.wait()
        self._stop = self._done = None
        self.client = None

    def mark_broken(self, reason: str) -> None:
        """Record that the connection died; the next use reconnects."""
        if self.broken is None:
            self.broken = reason
            log.warning("MCP server %r connection lost: %s", self.config.name, reason)
        if self._stop is not None:
            self._stop.set()

    # -- the runner task -----------------------------------------------------------
    async def _run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        from mcp import Client
        from mcp.types import Implementation

        from conduit import __version__

        self._stop, self._done = anyio.Event(), anyio.Event()
        stop, done = self._stop, self._done
        if self._stderr is not None:
            self._stderr.close()
        self._stderr = tempfile.TemporaryFile() if self.config.transport == "stdio" else None
        started = False
        try:
            async with AsyncExitStack() as stack:
                transport = await self._transport(stack)
                client = Client(
                    transport,
                    message_handler=self._on_message,
                    client_info=Implementation(name="conduit", version=__version__),
                    mode=self.config.mode,
                    cache=None,  # conduit keeps its own tool cache, refreshed on list_changed
                )
                await stack.enter_async_context(client)
                self.protocol_version = client.protocol_version
                info = client.server_info
                self.server_name = info.name if info else None
                self.server_version = info.version if info else None
                self.instructions = client.instructions
                async with anyio.create_task_group() as inner:
                    if self._wants_listen(client):
                        inner.start_soon(self._listen, client)
                    self.client = client
                    started = True
                    task_status.started()
                    await stop.wait()
                    inner.cancel_scope.cancel()
        except Exception as exc:  # noqa: BLE001 - after start a failure only breaks this connection
            if not started:
                raise
            self.mark_broken(_describe_exception(exc))
        finally:
            self.client = None
            done.set()

    async def _transport(self, stack: AsyncExitStack) -> Any:
        config = self.config
        if config.transport == "stdio":
            from mcp.client.stdio import StdioServerParameters, stdio_client

            params = StdioServerParameters(
                command=config.command or "", args=list(config.args), env=child_environment(config), cwd=config.cwd
            )
            return stdio_client(params, errlog=self._stderr)  # type: ignore[arg-type]
        if config.transport == "sse":
            from mcp.client.sse import sse_client

            return sse_client(
                config.url or "",
                headers=dict(config.headers) or None,
                timeout=config.connect_timeout,
                sse_read_timeout=max(300.0, config.call_timeout * 2),
            )
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        http = httpx2.AsyncClient(
            headers=dict(config.headers),
            timeout=httpx2.Timeout(config.connect_timeout, read=max(300.0, config.call_timeout * 2)),
        )
        await stack.enter_async_context(http)
        return streamable_http_client(config.url or "", http_client=http)

    # -- notifications -----------------------------------------------------------
    async def _on_message(self, message: Any) -> None:
        method = getattr(message, "method", None)
        if method == "notifications/tools/list_changed":
            self._tools_changed()
        elif isinstance(message, Exception):
            log.debug("MCP server %r sent an unreadable message: %s", self.config.name, message)

    def _tools_changed(self) -> None:
        self.tools_stale = True
        self.list_changed_count += 1

    def _wants_listen(self, client: Any) -> bool:
        """2026-era servers announce list changes only on a ``subscriptions/listen`` stream."""
        from mcp_types.version import MODERN_PROTOCOL_VERSIONS

        capabilities = client.server_capabilities
        tools = getattr(capabilities, "tools", None)
        return client.protocol_version in MODERN_PROTOCOL_VERSIONS and bool(getattr(tools, "list_changed", False))

    async def _listen(self, client: Any) -> None:
        try:
            async with client.listen(tools_list_changed=True) as subscription:
                async for _event in subscription:
                    self._tools_changed()
        except Exception as exc:  # noqa: BLE001 - no listen stream just means no push updates
            log.debug("MCP server %r: no tool-change subscription (%s)", self.config.name, exc)


def _root(exc: BaseException) -> BaseException:
    """The first leaf of an exception group (anyio wraps task failures)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _describe_exception(exc: BaseException) -> str:
    leaf = _root(exc)
    text = str(leaf).strip()
    return f"{type(leaf).__name__}: {text}" if text else type(leaf).__name__
