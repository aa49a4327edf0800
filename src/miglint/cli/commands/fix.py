"""miglint fix: correct a command line, or rewrite scripts and plans (a diff, or in place)."""

from __future__ import annotations

import difflib
import os
import sys
from contextlib import ExitStack
from pathlib import Path

import typer

from ...errors import UserError
from ...options import FixOptions
from ..base import app, options_command, user_errors


@app.command()
@user_errors
@options_command(FixOptions)
def fix(opts: FixOptions) -> None:
    """Apply the findings' fixes: safe ones by default (add a required flag, drop a refused one that changes
    nothing). Exit 0 when nothing is left to fix, 1 when a diff is pending or a request is still refused."""
    from ...engine.evaluate import Evaluator
    from ...model import REJECTING
    from ...outputs.rewrite import fix_command
    from ...outputs.streams import replace_file
    from ...pipeline import fix_files, prepare

    if not opts.paths and not opts.command:
        raise UserError("nothing to fix: give files, directories or --command")
    with ExitStack() as stack:
        prepared = prepare(opts, stack)
        policies, defaults = prepared.policies, prepared.settings.defaults
        evaluator = Evaluator(policies)
        pending = failed = False
        no_fix = f"no {'' if opts.unsafe_fixes else 'safe '}fix"
        for text in opts.command:
            fixed, still = fix_command(text, policies, evaluator, defaults, unsafe=opts.unsafe_fixes)
            typer.echo(fixed)
            if still:
                typer.echo(f"miglint: still refused: {', '.join(still)} ({no_fix})", err=True)
                failed = True
        errors = changed_files = fixed_requests = 0
        for ff in fix_files(prepared, opts):
            if isinstance(ff, UserError):
                typer.echo(f"miglint: error: {ff}", err=True)
                errors += 1
                continue
            for problem in ff.errors:
                typer.echo(f"miglint: error: {problem}", err=True)
                errors += 1
            for j in ff.jobs:
                final = j.after or (j.before if j.plan is None else j.plan.result)
                if j.plan is not None:
                    fixed_requests += 1
                still = [f.rule for f in final.findings if f.effect in REJECTING and not f.depends_on]
                if still:
                    loc = j.job.location
                    where = f"{loc.file}:{loc.line}" if loc else j.job.id
                    typer.echo(f"{where}: still refused: {', '.join(still)} ({no_fix})", err=True)
                    failed = True
            if not ff.changed:
                continue
            changed_files += 1
            if opts.diff or not opts.in_place:
                sys.stdout.writelines(difflib.unified_diff(ff.old.splitlines(keepends=True),
                                                           ff.new.splitlines(keepends=True), *_labels(ff.path)))
                if not ff.new.endswith("\n") or not ff.old.endswith("\n"):
                    typer.echo("")
            if opts.in_place:
                replace_file(Path(ff.path), ff.new)
            else:
                pending = True
        if opts.paths:
            verb = "fixed" if opts.in_place else "would fix"
            typer.echo(f"miglint: {verb} {fixed_requests} request(s) in {changed_files} file(s)", err=True)
    if errors:
        raise typer.Exit(2)
    raise typer.Exit(1 if pending or failed else 0)


def _labels(name: str) -> tuple[str, str]:
    if os.path.isabs(name) or name.startswith("<"):
        return name, name
    return f"a/{name}", f"b/{name}"
