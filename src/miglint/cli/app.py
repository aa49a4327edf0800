"""The command line: parse, build settings, call the runner, return its exit code. Nothing else lives here."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import Enum
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer

from .. import __version__

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Policy-as-data linter for libvirt VM migrations (virsh migrate, plans, scripts).",
                  context_settings={"help_option_names": ["-h", "--help"]})

F = TypeVar("F", bound=Callable[..., Any])
DEBUG = False


class State(str, Enum):
    running = "running"
    paused = "paused"
    shutoff = "shutoff"
    unknown = "unknown"


class Mode(str, Enum):
    managed = "managed"
    p2p = "p2p"
    direct = "direct"


class Severity(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


def user_errors(fn: F) -> F:
    """Turn a UserError into one line on stderr and exit code 2; never a traceback unless --debug."""
    from .guard import run_guarded

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        def call() -> int:
            try:
                fn(*args, **kwargs)
            except typer.Exit as e:
                return int(e.exit_code)
            return 0
        code = run_guarded(call, DEBUG)
        raise typer.Exit(code)
    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"miglint {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    global DEBUG
    DEBUG = debug


PolicyDirs = Annotated[Optional[list[Path]], typer.Option("--policy-dir", help="Extra policy directory or file (repeatable).")]


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code (tests call this directly). A usage error (an unknown
    option, a bad value) is one line and exit 2, like every error a user can cause."""
    try:
        code = app(args=argv, prog_name="miglint", standalone_mode=False)
    except SystemExit as e:
        return int(e.code or 0) if not isinstance(e.code, str) else 2
    except typer.Abort:
        typer.echo("miglint: aborted", err=True)
        return 2
    except Exception as e:
        line = getattr(e, "format_message", None)  # click's UsageError and ClickException
        if line is None or DEBUG:
            raise
        if type(e).__name__ == "NoArgsIsHelpError":
            typer.echo(line(), err=True, nl=False)  # `miglint` alone, `miglint policy`: the help
            return 2
        ctx = getattr(e, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        text = " ".join(line().split()).replace("Value error, ", "")
        typer.echo(f"miglint: error: {text}{hint}", err=True)
        return int(getattr(e, "exit_code", 2))
    return code if isinstance(code, int) else 0


# Each command module registers itself on `app` (they import only typer and this module at load time).
from .commands import check, config, diff, docs, explain, fix, info, policy  # noqa: E402,F401


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
