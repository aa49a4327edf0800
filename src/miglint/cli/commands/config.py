"""miglint config show: the effective settings and where each came from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..base import ConfigOption, NoConfig, app, user_errors

config_app = typer.Typer(no_args_is_help=True, help="Show the configuration miglint would use here.")
app.add_typer(config_app, name="config")


@config_app.command("show")
@user_errors
def show(
    config: ConfigOption = None,
    no_config: NoConfig = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object: key -> {value, source}.")] = False,
    check_names: Annotated[bool, typer.Option("--check/--no-check", help="Load the policies and check rule and policy names.")] = True,
) -> None:
    """Print every setting, its value and where it came from (default, FILE:LINE or command line)."""
    from ... import config as cfg

    eff = cfg.resolve(config, no_config)
    if check_names:
        from ...policy.load import load_policies

        cfg.settings(eff, load_policies(cfg.policy_dirs(eff)))
    if as_json:
        doc = {"file": None if eff.file is None else str(eff.file),
               "settings": {k: {"value": v.value, "source": v.source} for k, v in eff.values.items()}}
        typer.echo(json.dumps(doc, indent=2))
        return
    typer.echo(f"# configuration file: {eff.file if eff.file is not None else '(none found)'}")
    rows = cfg.show(eff)
    width = min(48, max(len(k) + len(v) for k, v, _ in rows) + 3)
    for key, value, source in rows:
        typer.echo(f"{key} = {value}".ljust(width) + f"  # {source}")


_ = Optional, Path  # for the annotations above
