"""miglint rules / schema: what the policies contain."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ...errors import UserError
from ..base import PolicyDirs, app, user_errors


@app.command()
@user_errors
def rules(
    hypervisor: Annotated[Optional[str], typer.Option(help="Only the rules that apply to this hypervisor.")] = None,
    policy_dir: PolicyDirs = None,
) -> None:
    """List rules: id, title, severity, policy and name."""
    from ...policy.load import load_policies

    ps = load_policies(policy_dir or [])
    chosen = ps.driver(hypervisor).rules if hypervisor else list(ps.rules.values())
    for r in sorted(chosen, key=lambda r: r.id):
        typer.echo(f"{r.id}  {r.title:<58} {r.severity:<8} {r.policy:<8} {r.name}")


@app.command()
@user_errors
def schema(
    name: Annotated[str, typer.Argument(help="policy, plan, result or vocabulary.")] = "policy",
) -> None:
    """Print one of miglint's JSON Schemas (for editors and CI)."""
    from ...policy.files import builtin_dir
    from ...policy.schemas import SCHEMAS

    if name not in SCHEMAS:
        raise UserError(f"unknown schema {name!r}; use one of {', '.join(SCHEMAS)}")
    typer.echo((builtin_dir() / "schema" / f"{name}.schema.json").read_text(encoding="utf-8"), nl=False)


