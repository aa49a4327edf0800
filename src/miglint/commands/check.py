"""miglint check: lint migration requests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..cli import Mode, PolicyDirs, Severity, State, app, user_errors
from ..errors import UserError


@app.command()
@user_errors
def check(
    paths: Annotated[Optional[list[str]], typer.Argument(help="Plan files (YAML, JSON, JSON Lines), shell scripts or directories; - for stdin.")] = None,
    command: Annotated[Optional[list[str]], typer.Option("--command", help="A 'virsh ... migrate ...' command line (repeatable).")] = None,
    hypervisor: Annotated[Optional[str], typer.Option(help="Policy for entries that do not name one: qemu, libxl, vz, vz-2015, ...; several (qemu,vz) check every request against each.")] = None,
    state: Annotated[Optional[State], typer.Option(help="Domain state for entries that do not give one.")] = None,
    libvirt_version: Annotated[Optional[str], typer.Option("--libvirt-version", help="libvirt version (default: the newest the policies know).")] = None,
    mode: Annotated[Optional[Mode], typer.Option(help="managed, p2p or direct, for entries that do not say.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, json or jsonl.")] = "text",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    fail_on: Annotated[Severity, typer.Option("--fail-on", help="Exit 1 when a finding has this severity or worse.")] = Severity.error,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even with findings (errors in input still exit 2).")] = False,
    policy_dir: PolicyDirs = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Text: leave out why and fix.")] = False,
) -> None:
    """Lint migration requests; exit 0 when clean, 1 on findings, 2 on usage or input errors."""
    from ..inputs.request import Defaults
    from ..policies import load_policies
    from ..reporters import FORMATS, make_reporter
    from ..run import Settings
    from ..run import check as run_check

    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not paths and not command:
        raise UserError("nothing to check: give files, directories, - for stdin, or --command")
    policies = load_policies(policy_dir or [])
    fleet = tuple(h.strip() for h in hypervisor.split(",") if h.strip()) if hypervisor else ()
    for h in fleet:
        policies.driver(h)
    if len(fleet) > 1:
        hypervisor = fleet[0]
    if libvirt_version is not None:
        policies.vocab.version(libvirt_version)
    settings = Settings(defaults=Defaults(hypervisor, state.value if state else None, libvirt_version,
                                          mode.value if mode else None),
                        fail_on=fail_on.value, exit_zero=exit_zero, hypervisors=fleet if len(fleet) > 1 else ())
    from ..output import open_output

    with open_output(output) as out:
        reporter = make_reporter(fmt, out, policies.vocab, **({"verbose": not quiet} if fmt == "text" else {}))
        code = run_check(paths or [], command or [], policies, settings, [reporter])
    raise typer.Exit(code)


