"""miglint docs: generate the reference (a page per rule, the hypervisor x flag matrix), or check it is current."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ...errors import UserError
from ..base import PolicyDirs, app, user_errors


@app.command()
@user_errors
def docs(
    fmt: Annotated[str, typer.Option("--format", "-f", help="markdown or html.")] = "markdown",
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory to write (or check) the pages in.")] = Path("docs"),
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 when the pages in --output are stale.")] = False,
    policy_dir: PolicyDirs = None,
) -> None:
    """Generate the reference documentation from the policies alone."""
    from ...engine.evaluate import Evaluator
    from ...features import docs as gen
    from ...outputs.streams import replace_file
    from ...policy.load import load_policies

    if fmt not in gen.FORMATS:
        raise UserError(f"unknown format {fmt!r}; use one of {', '.join(gen.FORMATS)}")
    if output.exists() and not output.is_dir():
        raise UserError("is not a directory", str(output))
    for parent in output.parents:  # a path through a file cannot be made
        if parent.exists():
            if not parent.is_dir():
                raise UserError("cannot write there: a part of the path is a file, not a directory", str(output))
            break
    policies = load_policies(policy_dir or [])
    pages = gen.generate(policies, Evaluator(policies), fmt)
    suffix = ".md" if fmt == "markdown" else ".html"
    existing: dict[str, str | None] = {}
    for rel in pages:
        existing[rel] = _read(output / rel)
    rules_dir = output / "rules"
    if rules_dir.is_dir():
        for p in sorted(rules_dir.iterdir()):
            rel = f"rules/{p.name}"
            if rel not in existing and p.suffix == suffix:
                existing[rel] = _read(p)
    stale = gen.stale(pages, existing, suffix)
    if check:
        if stale:
            for rel in stale:
                why = "missing" if existing.get(rel) is None else "no longer generated" if rel not in pages else "out of date"
                typer.echo(f"{output / rel}: {why}")
            typer.echo(f"miglint: {len(stale)} page(s) stale; run: miglint docs --format {fmt} --output {output}", err=True)
            raise typer.Exit(1)
        typer.echo(f"{output}: {len(pages)} page(s) up to date")
        return
    written = 0
    for rel in stale:
        path = output / rel
        if rel not in pages:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, pages[rel])  # atomically, like every file miglint writes
        written += 1
    typer.echo(f"{output}: wrote {written} of {len(pages)} page(s)")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
