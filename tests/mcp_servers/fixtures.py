"""Helpers that start real MCP servers for conduit's tests.

- ``python_server``: the SDK-built ``misbehaving`` server over stdio;
- ``everything_stdio`` / ``filesystem_stdio``: the npm reference servers;
- ``everything_http``: server-everything over SSE or streamable HTTP, on a
  free loopback port (``loopback.cjs`` pins its ``app.listen(PORT)`` to
  127.0.0.1, since the server itself binds every interface).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from conduit.mcp.config import ServerConfig, server_from_dict

ROOT = Path(__file__).resolve().parents[2]
NPM_DIR = ROOT / "tests" / "npm"
MODULES = NPM_DIR / "node_modules" / "@modelcontextprotocol"
EVERYTHING = MODULES / "server-everything" / "dist" / "index.js"
FILESYSTEM = MODULES / "server-filesystem" / "dist" / "index.js"
LOOPBACK = NPM_DIR / "loopback.cjs"
MISBEHAVING = Path(__file__).with_name("misbehaving.py")


def npm_available() -> bool:
    return shutil.which("node") is not None and EVERYTHING.is_file() and FILESYSTEM.is_file()


requires_npm = pytest.mark.skipif(
    not npm_available(),
    reason="MCP reference servers not installed: run `npm ci --prefix tests/npm` (needs Node.js >= 18)",
)


def python_server(name: str = "py", mode: str = "normal", **extras: Any) -> ServerConfig:
    """The misbehaving SDK server over stdio, with conduit extras (timeouts, filters...)."""
    return server_from_dict(name, {"command": sys.executable, "args": [str(MISBEHAVING), "--mode", mode], **extras})


def everything_stdio(name: str = "ev", **extras: Any) -> ServerConfig:
    return server_from_dict(name, {"command": "node", "args": [str(EVERYTHING), "stdio"], **extras})


def filesystem_stdio(root: Path, name: str = "fs", **extras: Any) -> ServerConfig:
    return server_from_dict(name, {"command": "node", "args": [str(FILESYSTEM), str(root)], **extras})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server-everything exited early with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server-everything did not listen on 127.0.0.1:{port} within {timeout} s")


@contextmanager
def everything_http(transport: str) -> Iterator[tuple[int, str, subprocess.Popen[bytes]]]:
    """Run server-everything over ``sse`` or ``streamableHttp`` on loopback; yields (port, url, process)."""
    port = free_port()
    env = {"PATH": _node_path(), "PORT": str(port), "HOME": str(ROOT)}
    process = subprocess.Popen(
        ["node", "--require", str(LOOPBACK), str(EVERYTHING), transport],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for_port(port, process)
        path = "/sse" if transport == "sse" else "/mcp"
        yield port, f"http://127.0.0.1:{port}{path}", process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _node_path() -> str:
    node = shutil.which("node")
    return str(Path(node).parent) if node else "/usr/bin:/bin"


def listening_addresses(port: int) -> list[str]:
    """Local addresses (hex, as in /proc/net/tcp*) of sockets listening on ``port``."""
    found: list[str] = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            address, _, port_hex = local.partition(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A = LISTEN
                found.append(address)
    return found
