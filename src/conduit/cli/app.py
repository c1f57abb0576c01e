"""The typer application and the error boundary of the CLI.

Command modules register themselves through ``register(app)``; they must not
import ``openai`` or ``mcp`` at module level, so ``conduit --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys

import typer

from conduit.errors import ConduitError

app = typer.Typer(
    name="conduit",
    help="A governed runtime for OpenAI models and MCP tools: counted, priced, budgeted, screened, recorded.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# modules under conduit.cli that define register(app)
_COMMAND_MODULES: list[str] = [
    "ask",
    "usage",
    "sandbox_cmd",
    "doctor_cmd",
    "cache_cmd",
    "mcp_cmd",
    "agent_cmd",
    "guard_cmd",
    "models_cmd",
    "tokens_cmd",
    "price_cmd",
    "budget_cmd",
    "image_cmd",
    "transcribe_cmd",
    "speak_cmd",
]

for _name in _COMMAND_MODULES:
    importlib.import_module(f"conduit.cli.{_name}").register(app)


def print_error(error: ConduitError) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(stderr=True)
    console.print(f"[bold red]error:[/] {escape(error.message)}", highlight=False)
    if error.hint:
        console.print(f"[yellow]hint:[/] {escape(error.hint)}", highlight=False)


def _plain_stderr_logging() -> None:
    """On a terminal, conduit's warnings (unknown prices, budget alerts, retired models) as plain lines.

    Python's own warnings for the same events are silenced here, so each is said once.
    """
    import logging
    import warnings

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    from conduit.observability.logging import RedactingFilter

    handler.addFilter(RedactingFilter())
    root = logging.getLogger("conduit")
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module=r"conduit\..*")
    warnings.filterwarnings("ignore", message=r"cost of .* is unknown")


def main() -> None:
    """Entry point: runs the app and turns ConduitError into message + hint + exit code."""
    try:
        from conduit.observability.logging import configure_from_settings
        from conduit.settings import get_settings

        if not configure_from_settings(get_settings()):
            _plain_stderr_logging()
        # without standalone mode click *returns* typer.Exit's code instead of exiting
        result = app(standalone_mode=False)
        if isinstance(result, int) and result != 0:
            sys.exit(result)
    except ConduitError as error:
        print_error(error)
        sys.exit(error.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("aborted\n")
        sys.exit(130)
    except typer.Exit as exit_:
        sys.exit(exit_.exit_code)
    except typer.TyperException as usage_error:  # bad options and arguments
        show = getattr(usage_error, "show", None)
        if callable(show):
            show()
        else:
            sys.stderr.write(f"error: {usage_error}\n")
        sys.exit(getattr(usage_error, "exit_code", 2))


if __name__ == "__main__":  # pragma: no cover
    main()
