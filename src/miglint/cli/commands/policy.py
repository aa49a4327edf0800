"""miglint policy validate / test: for people who write policies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..base import app, user_errors

policy_app = typer.Typer(no_args_is_help=True, help="Check policy files: validate them, run their examples.")
app.add_typer(policy_app, name="policy")


@policy_app.command("validate")
@user_errors
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Policy files or directories (checked with the built-in policies as context).")],
) -> None:
    """Report every problem of policy files as file:line:column: schema errors, unknown flags, parameters,
    options, groups, layers and rule ids, duplicate ids. Exit 1 when there is any."""
    from ...policy.validate import check_paths

    checked = check_paths(paths)
    for p in checked.problems:
        typer.echo(str(p))
    if checked.problems:
        typer.echo(f"miglint: {len(checked.problems)} problem(s) in {len(checked.files)} file(s)", err=True)
        raise typer.Exit(1)
    rules = sum(len(checked.policies.docs[n].get("rules", []) or []) for n in checked.names) if checked.policies else 0
    typer.echo(f"{len(checked.files)} file(s) valid: {len(checked.names)} policies, {rules} rules")


@policy_app.command("test")
@user_errors
def test(
    paths: Annotated[list[Path], typer.Argument(help="Policy files or directories.")],
    strict: Annotated[bool, typer.Option("--strict", help="Also fail when a rule lacks a triggering or a passing example.")] = False,
) -> None:
    """Run the rules' examples: each 'fail' example must trigger its rule, each 'pass' example must not.
    Lists rules lacking an example of either kind. Exit 1 when an example fails."""
    from ...engine.evaluate import Evaluator
    from ...features.examples import missing_examples, run_examples
    from ...policy import schemas
    from ...policy.validate import check_paths

    checked = check_paths(paths)
    if checked.policies is None:
        for p in checked.problems:
            typer.echo(str(p))
        typer.echo("miglint: the policies do not validate; fix that first (miglint policy validate)", err=True)
        raise typer.Exit(1)
    ps = checked.policies
    rules = [r for r in ps.rules.values() if r.policy in checked.names]
    outcomes = run_examples(ps, Evaluator(ps), rules)
    failed = [o for o in outcomes if not o.ok]
    texts: dict[str, str] = {}
    for o in failed:
        rule = ps.rules[o.rule]
        file = ps.files[rule.policy]
        if file not in texts:
            texts[file] = Path(file).read_text(encoding="utf-8")
        index = next(i for i, r in enumerate(ps.docs[rule.policy]["rules"]) if r.get("id") == rule.id)
        pos = schemas.locate(texts[file], ["rules", index, "examples", o.kind, o.number]) or (0, 0)
        typer.echo(f"{file}:{pos[0]}:{pos[1]}: {o.rule} {o.kind} example {o.number + 1}: {o.message}")
    missing = missing_examples(rules)
    for rid, lack in missing:
        rule = ps.rules[rid]
        typer.echo(f"{ps.files[rule.policy]}: {rid} {rule.name} has no {' and no '.join(lack)} example")
    typer.echo(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    if missing:
        typer.echo(f"{len(missing)} rule(s) lack an example", err=True)
    raise typer.Exit(1 if failed or (strict and missing) else 0)
