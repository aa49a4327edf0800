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
    nothing). Files are read as check reads them (configuration, facts, suppressions). Exit 0 when nothing
    is left to fix, 1 when a diff is pending or a request still fails the check."""
    from ...engine.evaluate import Evaluator
    from ...outputs.rewrite import RewriteError
    from ...outputs.streams import replace_file
    from ...pipeline import fix_files, left_over, prepare

    if not opts.paths and not opts.command:
        raise UserError("nothing to fix: give files, directories or --command")
    with ExitStack() as stack:
        prepared = prepare(opts, stack)
        evaluator = Evaluator(prepared.policies)
        pending = failed = False
        errors = changed_files = fixed_requests = 0
        for ff in fix_files(prepared, opts):
            if isinstance(ff, UserError):
                typer.echo(f"miglint: error: {ff}", err=True)
                errors += 1
                continue
            for problem in ff.errors:
                if isinstance(problem, RewriteError):  # a fix miglint cannot write there: left to a person
                    typer.echo(f"{problem.where}: cannot write the fix here: {problem.message}", err=True)
                    failed = True
                else:
                    typer.echo(f"miglint: error: {problem}", err=True)
                    errors += 1
            said: set[str] = set()  # the readings of one command (a loop over two domains) say it once
            for j in ff.jobs:
                if j.plan is not None:
                    fixed_requests += 1
                loc = j.job.location
                where = f"{loc.file}:{loc.line}:{loc.column}" if loc else j.job.id
                for line in left_over(prepared, evaluator, j.job, j.final, opts.unsafe_fixes):
                    failed = True
                    if f"{where}: {line}" not in said:
                        said.add(f"{where}: {line}")
                        typer.echo(f"{where}: {line}", err=True)
            if ff.path == "<command>":
                typer.echo(ff.new.strip())
                continue
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
