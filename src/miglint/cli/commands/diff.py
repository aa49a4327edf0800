"""miglint diff: flags and parameters whose support, requirement or default differs between policies."""

from __future__ import annotations

from typing import Annotated

import typer

from ...errors import UserError
from ..base import PolicyDirs, app, user_errors


@app.command()
@user_errors
def diff(
    policies_: Annotated[list[str], typer.Argument(metavar="POLICY[@VERSION]...", help="Two or more: qemu vz, vz vz-2015, qemu@9.0.0 qemu@11.3.0.")],
    show_all: Annotated[bool, typer.Option("--all", help="Show every flag and parameter, not only the differences.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, markdown or json.")] = "text",
    width: Annotated[int, typer.Option(help="Text width (default: the terminal's).")] = 0,
    policy_dir: PolicyDirs = None,
) -> None:
    """Compare hypervisors side by side: support, default, and when a flag is required or forbidden."""
    from ...features.diff import diff as compute
    from ...features.diff import parse_column
    from ...outputs.table import markdown_table, text_table
    from ...policy.load import load_policies
    from .explain import jsonable, width_of

    if fmt not in ("text", "markdown", "json"):
        raise UserError(f"unknown format {fmt!r}; use text, markdown or json")
    ps = load_policies(policy_dir or [])
    columns = [parse_column(ps, s) for s in policies_]
    rows = compute(ps, columns, show_all)
    if fmt == "json":
        import json

        typer.echo(json.dumps({"columns": [c.spec for c in columns], "rows": jsonable(rows)}, indent=2))
        return
    headers = [""] + [c.spec for c in columns]
    cells = [[r.name + (f"\n--{r.option}" if r.option else "")] + list(r.cells) for r in rows]
    if not rows:
        typer.echo(f"no differences between {', '.join(c.spec for c in columns)}")
        return
    if fmt == "markdown":
        typer.echo(markdown_table(headers, cells), nl=False)
    else:
        typer.echo(text_table(headers, cells, width_of(width or None)), nl=False)
