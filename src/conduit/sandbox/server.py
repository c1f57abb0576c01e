"""The :class:`Sandbox`: the simulated OpenAI API on a loopback port, in a thread.

Tests and the CLI (when no API key is set) start it in-process, so starting
must be fast: the socket is bound here (port 0 → a free port, known at once)
and handed to uvicorn, and :meth:`Sandbox.start` returns as soon as uvicorn
accepts connections.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import json
import os
import secrets
import socket
import threading
import time
from typing import Any

from conduit.sandbox.faults import Fault
from conduit.sandbox.script import ScriptedReply
from conduit.sandbox.state import RecordedRequest, SandboxState

BANNER = (
    "conduit sandbox: an OpenAI-compatible SIMULATION. No real model is called, answers are synthetic, "
    "and nothing is billed."
)


def _env_date() -> _dt.date | None:
    value = os.environ.get("CONDUIT_SANDBOX_DATE")
    return _dt.date.fromisoformat(value) if value else None


def _warm_tokenizer() -> None:
    """Load the default encoding off the request path (the first request would otherwise pay ~0.4 s)."""
    try:
        from conduit.tokens.encodings import get_encoding

        get_encoding("o200k_base")
    except Exception:  # noqa: BLE001 - warming is an optimisation; the request path reports real errors
        pass


class Sandbox:
    """A simulated OpenAI endpoint (see the package docs). Use as a context manager.

    ``as_of`` fixes the date used to decide which models are shut down
    (default: ``CONDUIT_SANDBOX_DATE`` or today, UTC).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str | None = None,
        as_of: _dt.date | None = None,
        seed: int = 0,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.api_key = api_key or "sk-sandbox-" + secrets.token_hex(12)
        self.state = SandboxState(api_key=self.api_key, as_of=as_of or _env_date(), seed=seed)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port: int | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> "Sandbox":
        """Bind, start serving in a daemon thread, and return once connections are accepted."""
        if self._thread is not None:
            return self
        import uvicorn

        from conduit.sandbox.app import build_app

        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # accepted sockets inherit this: without it Nagle holds each response body ~40 ms
        # behind its headers (delayed ACK), which would swamp every latency figure
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self._requested_port))
        sock.listen(2048)
        sock.setblocking(False)
        self._socket = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            build_app(self.state),
            log_level="critical",
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            loop="asyncio",
            timeout_keep_alive=30,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._run, name=f"conduit-sandbox:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"conduit sandbox failed to start on {self.host}:{self.port}")
            time.sleep(0.002)
        threading.Thread(target=_warm_tokenizer, name="conduit-sandbox-warmup", daemon=True).start()
        return self

    def _run(self) -> None:
        assert self._server is not None and self._socket is not None
        asyncio.run(self._server.serve(sockets=[self._socket]))

    def serve_forever(self) -> None:
        """Run in the foreground until interrupted (used by ``conduit sandbox``)."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- addresses ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The server root (control API under ``/_sandbox/``)."""
        if self.port is None:
            raise RuntimeError("the sandbox is not started; call start() or use it as a context manager")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What to give an OpenAI client as ``base_url``."""
        return self.url + "/v1"

    def env(self) -> dict[str, str]:
        """Environment variables that point OpenAI clients at this sandbox."""
        return {"OPENAI_BASE_URL": self.base_url, "OPENAI_API_KEY": self.api_key}

    # --- control -----------------------------------------------------------------------------

    def inject(self, *faults: Fault) -> None:
        for fault in faults:
            self.state.faults.add(fault)

    def script(self, *replies: ScriptedReply) -> None:
        for reply in replies:
            self.state.scripts.add(reply)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Recorded requests to /v1 (a snapshot), oldest first."""
        return self.state.requests()

    def reset(self) -> None:
        """Clear faults, scripts, the prompt cache and the request log."""
        self.state.reset()


class RemoteSandbox:
    """Drive a sandbox running in another process through its /_sandbox control API."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/").removesuffix("/v1")

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        import urllib.request

        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"content-type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback control API
            return json.loads(response.read())

    def inject(self, *faults: Fault) -> None:
        self._call("POST", "/_sandbox/faults", [{k: v for k, v in f.to_dict().items() if k != "hits"} for f in faults])

    def script(self, *replies: ScriptedReply) -> None:
        self._call("POST", "/_sandbox/script", [r.to_dict() for r in replies])

    @property
    def requests(self) -> list[RecordedRequest]:
        """The same objects ``Sandbox.requests`` gives (``.json``, ``.path``...), over the control API."""
        from dataclasses import fields

        names = {f.name for f in fields(RecordedRequest)}
        return [
            RecordedRequest(**{k: v for k, v in item.items() if k in names})
            for item in self._call("GET", "/_sandbox/requests")["requests"]
        ]

    def reset(self) -> None:
        self._call("POST", "/_sandbox/reset", {})
