"""miglint check: lint migration requests."""

from __future__ import annotations

import typer

from ...options import CheckOptions
from ..base import app, options_command, user_errors


@app.command()
@user_errors
@options_command(CheckOptions)
def check(opts: CheckOptions) -> None:
    """Lint migration requests; exit 0 when clean, 1 on findings, 2 on usage or input errors."""
    from ...pipeline import run_check

    raise typer.Exit(run_check(opts))
