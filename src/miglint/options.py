"""The options of `check` and `fix`, declared once.

Each field says how it is spelt on the command line (:class:`Opt`); the typer commands
(``miglint.cli.commands``) and the fast path for `check` (``miglint.cli.fast``) are both built from these
fields, and the Python API fills the same objects. The pipeline (``miglint.pipeline``) takes them whole:
there is no list of arguments to keep in step anywhere else.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from .model import MODES, SEVERITIES, STATES


@dataclass(frozen=True)
class Opt:
    """How one option is written. kind: flag (no value), value, path, multi (repeatable value), multipath
    (repeatable path) or arguments (the positional words)."""

    names: tuple[str, ...]
    help: str
    kind: str = "value"
    choices: tuple[str, ...] = ()
    metavar: str | None = None
    config: str | None = None  # the configuration key this option sets (it wins over the file)

    @property
    def repeatable(self) -> bool:
        return self.kind in ("multi", "multipath", "arguments")


def option(*names: str, help: str, kind: str = "value", choices: tuple[str, ...] = (),
           metavar: str | None = None, config: str | None = None) -> Any:
    """A dataclass field described by an :class:`Opt`; its default is "not given" (None, False or ())."""
    spec = Opt(tuple(names), help, kind, choices, metavar, config)
    default: Any = False if kind == "flag" else () if spec.repeatable else None
    return field(default=default, metadata={"cli": spec})


def spec_of(f: Any) -> Opt:
    cli = f.metadata.get("cli")
    assert isinstance(cli, Opt), f.name
    return cli


@dataclass(frozen=True)
class RunOptions:
    """What every run reads: inputs, the policies and configuration, defaults for requests, and the facts
    that come from outside the requests (the options `check` and `fix` share)."""

    paths: tuple[str, ...] = option(
        help="Plan files (YAML, JSON, JSON Lines), shell scripts or directories; - for stdin.", kind="arguments")
    command: tuple[str, ...] = option("--command", kind="multi",
                                      help="A 'virsh ... migrate ...' command line (repeatable).")
    hypervisor: str | None = option(
        "--hypervisor", config="hypervisor",
        help="Policy for requests that do not name one: qemu, libxl, vz, vz-2015, ...; several (qemu,vz) check "
             "every request against each.")
    state: str | None = option("--state", choices=STATES, config="state",
                               help="Domain state for requests that do not give one.")
    libvirt_version: str | None = option("--libvirt-version", config="libvirt-version",
                                         help="libvirt version (default: the newest the policies know).")
    mode: str | None = option("--mode", choices=MODES, config="mode",
                              help="managed, p2p or direct, for requests that do not say.")
    disable: tuple[str, ...] = option("--disable", kind="multi", config="disable",
                                      help="Do not report this rule, by id or name (repeatable).")
    no_suppress: bool = option("--no-suppress", kind="flag",
                               help="Ignore '# miglint: disable' comments and plans' ignore: show everything.")
    policy_dir: tuple[Path, ...] = option("--policy-dir", kind="multipath", config="policy-dirs",
                                          help="Extra policy directory or file (repeatable).")
    config: Path | None = option(
        "--config", kind="path",
        help="Configuration file (default: .miglint.yaml, or pyproject.toml with a tool.miglint table, "
             "searched upward).")
    no_config: bool = option("--no-config", kind="flag", help="Ignore configuration files.")
    domain_xml: tuple[str, ...] = option(
        "--domain-xml", kind="multi",
        help="A domain's XML (virsh dumpxml DOMAIN), for the requests naming that domain: its disks, host "
             "devices, memory limit (repeatable).")
    fact: tuple[str, ...] = option(
        "--fact", kind="multi",
        help="A fact for every request, NAME=VALUE: domain.snapshots=2 (true/false, integers, comma lists; "
             "repeatable).")
    host_fact: tuple[str, ...] = option(
        "--host-fact", kind="multi",
        help="A host setting, KEY=VALUE: migrate_tls_force=true, shared_paths=/mnt/nfs,/srv/vms (repeatable).")
    qemu_version: str | None = option(
        "--qemu-version", help="The QEMU version on the hosts (7.2, 9.1.0), for rules about the QEMU binary.")
    connect: str | None = option(
        "--connect",
        help="Read the source host over a read-only libvirt connection: libvirt version, driver, each named "
             "domain's state, snapshots and XML (pip install 'miglint\\[live]').")
    max_file_size: str | None = option(
        "--max-file-size", metavar="SIZE", config="max-file-size",
        help="Refuse plans and scripts larger than this (default 64MiB; JSON Lines is streamed).")
    max_line_size: str | None = option("--max-line-size", metavar="SIZE", config="max-line-size",
                                       help="Refuse JSON Lines lines longer than this (default 1MiB).")
    stdin_filename: str | None = option(
        "--stdin-filename", metavar="NAME",
        help="The name of what - reads from stdin: its kind (a plan, a script, a runbook) and where findings point. "
             "Without it, stdin's content decides.")

    def config_values(self) -> dict[str, Any]:
        """The configuration keys these options set (None and () mean "not given")."""
        out: dict[str, Any] = {}
        for f in fields(self):
            spec = spec_of(f)
            if spec.config is None:
                continue
            value = getattr(self, f.name)
            if spec.kind == "flag":
                value = True if value else None
            elif spec.kind == "multipath":
                value = [str(p) for p in value]
            elif spec.repeatable:
                value = list(value)
            out[spec.config] = value
        return out

    @property
    def has_context(self) -> bool:
        """Facts from outside the requests were given."""
        return bool(self.domain_xml or self.fact or self.host_fact or self.qemu_version or self.connect)


@dataclass(frozen=True)
class CheckOptions(RunOptions):
    """`miglint check`: lint migration requests; exit 0 when clean, 1 on findings, 2 on usage or input errors."""

    format: tuple[str, ...] = option(
        "--format", "-f", kind="multi",
        help="text, json, jsonl, sarif, junit or github; NAME=FILE writes that format to FILE (repeatable).")
    output: Path | None = option("--output", "-o", kind="path",
                                 help="Write the report (of the format without =FILE) to this file.")
    fail_on: str | None = option("--fail-on", choices=SEVERITIES, config="fail-on",
                                 help="Exit 1 when a finding has this severity or worse (default: error).")
    fail_on_depends: bool = option(
        "--fail-on-depends", kind="flag", config="fail-on-depends",
        help="Also fail on findings that depend on a fact the input does not give (the state, an unknown word).")
    exit_zero: bool = option("--exit-zero", kind="flag", config="exit-zero",
                             help="Exit 0 even with findings (errors in input still exit 2).")
    quiet: bool = option("--quiet", "-q", kind="flag", help="Text: leave out why and fix.")
    json_schema_version: str | None = option(
        "--json-schema-version", choices=("1", "2"),
        help="JSON and JSON Lines: 2 (the default: each rule's text once, findings refer to it) or 1 (every "
             "finding with its rule's text, as before; kept for a release).")


@dataclass(frozen=True)
class FixOptions(RunOptions):
    """`miglint fix`: apply the findings' fixes: safe ones by default (add a required flag, drop a refused
    one that changes nothing). Exit 0 when nothing is left to fix, 1 when a diff is pending or a request is
    still refused, 2 on usage or input errors."""

    diff: bool = option("--diff", kind="flag", help="Show a unified diff (the default for files).")
    in_place: bool = option("--in-place", "-i", kind="flag",
                            help="Rewrite the files (atomically; untouched files are not written).")
    unsafe_fixes: bool = option("--unsafe-fixes", kind="flag",
                                help="Also apply fixes that change what the migration does.")


def option_table(cls: type[RunOptions]) -> dict[str, tuple[str, Opt]]:
    """Every spelling of every option of ``cls`` -> (field name, how it is written)."""
    out: dict[str, tuple[str, Opt]] = {}
    for f in fields(cls):
        spec = spec_of(f)
        for name in spec.names:
            out[name] = (f.name, spec)
    return out


def defaults_of(cls: type[RunOptions]) -> dict[str, Any]:
    return {f.name: f.default for f in fields(cls) if f.default is not MISSING}
