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
]

for _name in _COMMAND_MODULES:
    importlib.import_module(f"conduit.cli.{_name}").register(app)


def print_error(error: ConduitError) -> None:
    from rich.console import Console

    console = Console(stderr=True)
    console.print(f"[bold red]error:[/] {error.message}", highlight=False)
    if error.hint:
        console.print(f"[yellow]hint:[/] {error.hint}", highlight=False)


def main() -> None:
    """Entry point: runs the app and turns ConduitError into message + hint + exit code."""
    try:
        app(standalone_mode=False)
    except ConduitError as error:
        print_error(error)
        sys.exit(error.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("aborted\n")
        sys.exit(130)
    except typer.Exit as exit_:
        sys.exit(exit_.exit_code)
    except Exception as click_error:  # click usage errors
        import click

        if isinstance(click_error, click.ClickException):
            click_error.show()
            sys.exit(click_error.exit_code)
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
