"""What `miglint check` does once its arguments are parsed (by typer, or by the fast path in fastcli.py)."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from ..errors import UserError


def execute(paths: list[str] | None = None, command: list[str] | None = None, hypervisor: str | None = None,
            state: str | None = None, libvirt_version: str | None = None, mode: str | None = None,
            fmt: list[str] | None = None, output: Path | None = None, fail_on: str | None = None,
            exit_zero: bool = False, disable: list[str] | None = None, no_suppress: bool = False,
            policy_dir: list[Path] | None = None, config: Path | None = None, no_config: bool = False,
            quiet: bool = False, domain_xml: list[str] | None = None, fact: list[str] | None = None,
            host_fact: list[str] | None = None, qemu_version: str | None = None, connect: str | None = None,
            max_file_size: str | None = None, max_line_size: str | None = None) -> int:
    from .. import config as cfg
    from ..outputs.streams import open_output, parse_formats
    from ..policy.load import load_policies
    from ..outputs.reporters import FORMATS, make_reporter
    from ..pipeline import check as run_check

    formats = parse_formats(fmt or [], output, FORMATS)
    if not paths and not command:
        raise UserError("nothing to check: give files, directories, - for stdin, or --command")
    eff = cfg.resolve(config, no_config, cfg.as_cli(
        hypervisor=hypervisor, state=state, libvirt_version=libvirt_version, mode=mode, fail_on=fail_on,
        exit_zero=True if exit_zero else None, disable=disable, policy_dirs=[str(p) for p in policy_dir or []],
        max_file_size=max_file_size, max_line_size=max_line_size))
    policies = load_policies(cfg.policy_dirs(eff))
    with ExitStack() as stack:
        context = None
        if domain_xml or fact or host_fact or qemu_version or connect:
            from ..inputs.context import make_context

            context = make_context(stack, eff, policies, domain_xml=domain_xml or [], facts=fact or [],
                                   host_facts=host_fact or [], qemu_version=qemu_version, connect=connect)
        settings = cfg.settings(eff, policies, suppress=not no_suppress)
        if context is not None:
            settings = settings._replace(context=context, defaults=settings.defaults._replace(
                state=None if connect else settings.defaults.state))
        reporters = []
        for name, path in formats:
            out = stack.enter_context(open_output(path))
            reporters.append(make_reporter(name, out, policies.vocab, verbose=not quiet, policies=policies,
                                           rule_docs=eff["rule-docs-url"], fail_on=settings.fail_on))
        return run_check(paths or [], command or [], policies, settings, reporters)
