"""``conduit sandbox``: run the OpenAI-compatible simulation server in the foreground.

Prints, before anything else, that it is a simulation, then the base URL and
the ``export`` lines that point the official SDK (or ``conduit``) at it.
"""

from __future__ import annotations

import datetime as _dt

import typer

from conduit.errors import ConfigurationError, ValidationError


def register(app: typer.Typer) -> None:
    @app.command("sandbox")
    def sandbox_command(
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (loopback by default)."),
        port: int = typer.Option(8900, "--port", help="Port to listen on (0 = any free port)."),
        api_key: str | None = typer.Option(
            None, "--api-key", help="Key to print in the export lines (any non-empty Bearer key is accepted)."
        ),
        as_of: str | None = typer.Option(
            None, "--date", help="Pretend today is this date (YYYY-MM-DD) when deciding which models are shut down."
        ),
    ) -> None:
        """Run the OpenAI-compatible SIMULATION server (no real model, nothing billed)."""
        from rich.console import Console

        from conduit.sandbox import BANNER, Sandbox

        day = None
        if as_of:
            try:
                day = _dt.date.fromisoformat(as_of)
            except ValueError as exc:
                raise ValidationError(f"Cannot read --date {as_of!r}.", "Use the form YYYY-MM-DD.") from exc
        if not 0 <= port <= 65535:
            raise ValidationError(f"--port {port} is not a TCP port.", "Use a number from 0 to 65535.")
        server = Sandbox(host, port, api_key=api_key, as_of=day)
        try:
            server.start()
        except OSError as exc:
            raise ConfigurationError(
                f"Cannot listen on {host}:{port}: {exc.strerror or exc}.",
                "Pick another port with --port (or --port 0 for any free one), or stop the other process.",
            ) from exc
        console = Console(highlight=False, soft_wrap=True)
        console.print(f"[bold yellow]{BANNER}[/]")
        console.print(f"Serving the simulated OpenAI API at [bold]{server.base_url}[/]  (Ctrl+C to stop)")
        console.print(f"Control API (faults, scripts, request log): {server.url}/_sandbox/")
        console.print("Point clients at it with:")
        print(f"export OPENAI_BASE_URL={server.base_url}")
        print(f"export OPENAI_API_KEY={server.api_key}")
        _stop_on_sigterm()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()


def _stop_on_sigterm() -> None:
    """``kill PID`` (SIGTERM, what process managers send) stops the server as cleanly as Ctrl+C."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
