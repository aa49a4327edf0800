"""What `miglint check` does once its arguments are parsed (by typer, or by the fast path in fastcli.py)."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from .errors import UserError


def execute(paths: list[str] | None = None, command: list[str] | None = None, hypervisor: str | None = None,
            state: str | None = None, libvirt_version: str | None = None, mode: str | None = None,
            fmt: list[str] | None = None, output: Path | None = None, fail_on: str | None = None,
            exit_zero: bool = False, disable: list[str] | None = None, no_suppress: bool = False,
            policy_dir: list[Path] | None = None, config: Path | None = None, no_config: bool = False,
            quiet: bool = False) -> int:
    from . import config as cfg
    from .output import open_output, parse_formats
    from .policies import load_policies
    from .reporters import FORMATS, make_reporter
    from .run import check as run_check

    formats = parse_formats(fmt or [], output, FORMATS)
    if not paths and not command:
        raise UserError("nothing to check: give files, directories, - for stdin, or --command")
    eff = cfg.resolve(config, no_config, cfg.as_cli(
        hypervisor=hypervisor, state=state, libvirt_version=libvirt_version, mode=mode, fail_on=fail_on,
        exit_zero=True if exit_zero else None, disable=disable, policy_dirs=[str(p) for p in policy_dir or []]))
    policies = load_policies(eff["policy-dirs"])
    settings = cfg.settings(eff, policies, suppress=not no_suppress)
    with ExitStack() as stack:
        reporters = []
        for name, path in formats:
            out = stack.enter_context(open_output(path))
            reporters.append(make_reporter(name, out, policies.vocab, verbose=not quiet, policies=policies,
                                           rule_docs=eff["rule-docs-url"], fail_on=settings.fail_on))
        return run_check(paths or [], command or [], policies, settings, reporters)
