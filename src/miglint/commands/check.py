"""miglint check: lint migration requests."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..cli import Mode, PolicyDirs, Severity, State, app, user_errors

ConfigOption = Annotated[Optional[Path], typer.Option("--config", help="Configuration file (default: .miglint.yaml, or pyproject.toml with a tool.miglint table, searched upward).")]
NoConfig = Annotated[bool, typer.Option("--no-config", help="Ignore configuration files.")]


@app.command()
@user_errors
def check(
    paths: Annotated[Optional[list[str]], typer.Argument(help="Plan files (YAML, JSON, JSON Lines), shell scripts or directories; - for stdin.")] = None,
    command: Annotated[Optional[list[str]], typer.Option("--command", help="A 'virsh ... migrate ...' command line (repeatable).")] = None,
    hypervisor: Annotated[Optional[str], typer.Option(help="Policy for entries that do not name one: qemu, libxl, vz, vz-2015, ...; several (qemu,vz) check every request against each.")] = None,
    state: Annotated[Optional[State], typer.Option(help="Domain state for entries that do not give one.")] = None,
    libvirt_version: Annotated[Optional[str], typer.Option("--libvirt-version", help="libvirt version (default: the newest the policies know).")] = None,
    mode: Annotated[Optional[Mode], typer.Option(help="managed, p2p or direct, for entries that do not say.")] = None,
    fmt: Annotated[Optional[list[str]], typer.Option("--format", "-f", help="text, json, jsonl, sarif, junit or github; NAME=FILE writes that format to FILE (repeatable).")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the report (of the format without =FILE) to this file.")] = None,
    fail_on: Annotated[Optional[Severity], typer.Option("--fail-on", help="Exit 1 when a finding has this severity or worse (default: error).")] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even with findings (errors in input still exit 2).")] = False,
    disable: Annotated[Optional[list[str]], typer.Option("--disable", help="Do not report this rule, by id or name (repeatable).")] = None,
    no_suppress: Annotated[bool, typer.Option("--no-suppress", help="Ignore '# miglint: disable' comments and plans' ignore: show everything.")] = False,
    policy_dir: PolicyDirs = None,
    config: ConfigOption = None,
    no_config: NoConfig = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Text: leave out why and fix.")] = False,
    max_file_size: Annotated[Optional[str], typer.Option("--max-file-size", metavar="SIZE", help="Refuse plans and scripts larger than this (default 64MiB; JSON Lines is streamed).")] = None,
    max_line_size: Annotated[Optional[str], typer.Option("--max-line-size", metavar="SIZE", help="Refuse JSON Lines lines longer than this (default 1MiB).")] = None,
) -> None:
    """Lint migration requests; exit 0 when clean, 1 on findings, 2 on usage or input errors."""
    from .. import config as cfg
    from ..errors import UserError
    from ..output import open_output, parse_formats
    from ..policies import load_policies
    from ..reporters import FORMATS, make_reporter
    from ..run import check as run_check

    formats = parse_formats(fmt or [], output, FORMATS)
    if not paths and not command:
        raise UserError("nothing to check: give files, directories, - for stdin, or --command")
    eff = cfg.resolve(config, no_config, cfg.as_cli(
        hypervisor=hypervisor, state=state.value if state else None, libvirt_version=libvirt_version,
        mode=mode.value if mode else None, fail_on=fail_on.value if fail_on else None,
        exit_zero=True if exit_zero else None, disable=disable, policy_dirs=[str(p) for p in policy_dir or []],
        max_file_size=max_file_size, max_line_size=max_line_size))
    policies = load_policies(cfg.policy_dirs(eff))
    settings = cfg.settings(eff, policies, suppress=not no_suppress)
    with ExitStack() as stack:
        reporters = []
        for name, path in formats:
            out = stack.enter_context(open_output(path))
            reporters.append(make_reporter(name, out, policies.vocab, verbose=not quiet, policies=policies,
                                           rule_docs=eff["rule-docs-url"], fail_on=settings.fail_on))
        code = run_check(paths or [], command or [], policies, settings, reporters)
    raise typer.Exit(code)
