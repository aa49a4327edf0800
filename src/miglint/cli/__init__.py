"""The console entry point: the fast path for `check`, else the full (typer) command line."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from ..outputs.streams import reports_to_stdout
    from .fast import run_fast

    reports_to_stdout()

    code = run_fast(args)
    if code is None:
        from .app import main as full

        code = full(args)
    return code


def console() -> None:
    sys.exit(main())
