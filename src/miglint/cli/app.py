"""The full command line (typer): every command, registered on one app. ``main`` runs it and returns the exit
code; the console entry point (``miglint.cli``) comes here for everything the fast path leaves alone."""

from __future__ import annotations

import re
import sys

import typer

from ..errors import did_you_mean
from . import base
from .base import app
from .commands import check, config, diff, docs, explain, fix, info, policy  # noqa: F401  (registered on app)

__all__ = ["app", "main"]


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
        if line is None or base.DEBUG:
            raise
        if type(e).__name__ == "NoArgsIsHelpError":
            typer.echo(line(), err=True, nl=False)  # `miglint` alone, `miglint policy`: the help
            return 2
        ctx = getattr(e, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        text = " ".join(line().split()).replace("Value error, ", "")
        choice = re.search(r"'([^']*)' is not one of ((?:'[^']*'(?:, )?)+)\.?$", text)
        if choice:  # click lists the choices of --fail-on, --state, ...; say which one was meant
            text = text.rstrip(".") + did_you_mean(choice.group(1), re.findall(r"'([^']*)'", choice.group(2)))
        typer.echo(f"miglint: error: {text}{hint}", err=True)
        return int(getattr(e, "exit_code", 2))
    return code if isinstance(code, int) else 0




if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
