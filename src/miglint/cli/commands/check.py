"""miglint check: lint migration requests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..app import Mode, PolicyDirs, Severity, State, app, user_errors

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
    domain_xml: Annotated[Optional[list[str]], typer.Option("--domain-xml", help="A domain's XML (virsh dumpxml DOMAIN), for the requests naming that domain: its disks, host devices, memory limit (repeatable).")] = None,
    fact: Annotated[Optional[list[str]], typer.Option("--fact", help="A fact for every request, NAME=VALUE: domain.snapshots=2 (true/false, integers, comma lists; repeatable).")] = None,
    host_fact: Annotated[Optional[list[str]], typer.Option("--host-fact", help="A host setting, KEY=VALUE: migrate_tls_force=true, shared_paths=/mnt/nfs,/srv/vms (repeatable).")] = None,
    qemu_version: Annotated[Optional[str], typer.Option("--qemu-version", help="The QEMU version on the hosts (7.2, 9.1.0), for rules about the QEMU binary.")] = None,
    connect: Annotated[Optional[str], typer.Option("--connect", help="Read the source host over a read-only libvirt connection: libvirt version, driver, each named domain's state, snapshots and XML (pip install 'miglint\\[live]').")] = None,
    max_file_size: Annotated[Optional[str], typer.Option("--max-file-size", metavar="SIZE", help="Refuse plans and scripts larger than this (default 64MiB; JSON Lines is streamed).")] = None,
    max_line_size: Annotated[Optional[str], typer.Option("--max-line-size", metavar="SIZE", help="Refuse JSON Lines lines longer than this (default 1MiB).")] = None,
) -> None:
    """Lint migration requests; exit 0 when clean, 1 on findings, 2 on usage or input errors."""
    from ..checkcmd import execute

    raise typer.Exit(execute(
        paths, command, hypervisor, state.value if state else None, libvirt_version, mode.value if mode else None,
        fmt, output, fail_on.value if fail_on else None, exit_zero, disable, no_suppress, policy_dir, config,
        no_config, quiet, domain_xml, fact, host_fact, qemu_version, connect, max_file_size, max_line_size))
