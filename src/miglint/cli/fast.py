"""A fast path for the most common invocation, `miglint check ...`, that does not import typer.

A pre-commit hook or a CI step pays start-up time on every run, and importing typer (with pydantic when
installed) costs several times what a check does. This parser reads the same option declarations as the
typer command (``miglint.options.CheckOptions``) and builds the same object; anything it does not take
plainly -- help, an unknown option, a bad choice, a combined short option -- returns None and the full
typer command line handles the whole argv, errors included (tests/unit/cli/test_fast.py compares the two).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..options import CheckOptions, option_table
from .guard import run_guarded

TABLE = option_table(CheckOptions)


def parse_check(args: list[str]) -> CheckOptions | None:
    """The options of `check ARGS`, or None when typer should decide."""
    given: dict[str, Any] = {}
    paths: list[str] = []
    i = 0
    only_paths = False
    while i < len(args):
        a = args[i]
        if only_paths or a == "-" or not a.startswith("-"):
            paths.append(a)
            i += 1
            continue
        if a == "--":
            only_paths = True
            i += 1
            continue
        name, eq, inline = a.partition("=")
        found = TABLE.get(name)
        if found is None or (eq and not name.startswith("--")):
            return None
        field_name, spec = found
        if spec.kind == "flag":
            if eq:
                return None
            given[field_name] = True
            i += 1
            continue
        if eq:
            value = inline
            i += 1
        elif i + 1 < len(args):
            value = args[i + 1]
            i += 2
        else:
            return None
        if spec.choices and value not in spec.choices:
            return None
        typed: Any = Path(value) if spec.kind in ("path", "multipath") else value
        if spec.repeatable:
            given[field_name] = (*given.get(field_name, ()), typed)
        else:
            given[field_name] = typed
    if paths:
        given["paths"] = tuple(paths)
    return CheckOptions(**given)


def run_fast(argv: list[str]) -> int | None:
    if not argv or argv[0] != "check":
        return None
    opts = parse_check(argv[1:])
    if opts is None:
        return None
    # Here, not at the top: the typer path (`miglint --help`, `miglint explain ...`) never needs the pipeline.
    from ..pipeline import run_check

    return run_guarded(lambda: run_check(opts))
