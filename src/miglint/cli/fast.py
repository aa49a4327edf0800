"""A fast path for the most common invocation, `miglint check ...`, that does not import typer.

A pre-commit hook or a CI step pays start-up time on every run, and importing typer (with pydantic when
installed) costs several times what a check does. This parser understands exactly the options of
`miglint check` (tests/test_fastcli.py compares it with typer's parse of the same argv and with the
command's declared options); anything else — help, an unknown option, a bad choice, a combined short
option — returns None and the full typer CLI handles the whole command line, errors included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..model import MODES, SEVERITIES, STATES

# option -> (parameter of checkcmd.execute, kind, choices)
OPTIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "--command": ("command", "multi", ()),
    "--hypervisor": ("hypervisor", "value", ()),
    "--state": ("state", "value", STATES),
    "--libvirt-version": ("libvirt_version", "value", ()),
    "--mode": ("mode", "value", MODES),
    "--format": ("fmt", "multi", ()),
    "-f": ("fmt", "multi", ()),
    "--output": ("output", "path", ()),
    "-o": ("output", "path", ()),
    "--fail-on": ("fail_on", "value", SEVERITIES),
    "--exit-zero": ("exit_zero", "flag", ()),
    "--disable": ("disable", "multi", ()),
    "--no-suppress": ("no_suppress", "flag", ()),
    "--policy-dir": ("policy_dir", "multipath", ()),
    "--config": ("config", "path", ()),
    "--no-config": ("no_config", "flag", ()),
    "--quiet": ("quiet", "flag", ()),
    "-q": ("quiet", "flag", ()),
    "--domain-xml": ("domain_xml", "multi", ()),
    "--fact": ("fact", "multi", ()),
    "--host-fact": ("host_fact", "multi", ()),
    "--qemu-version": ("qemu_version", "value", ()),
    "--connect": ("connect", "value", ()),
    "--max-file-size": ("max_file_size", "value", ()),
    "--max-line-size": ("max_line_size", "value", ()),
}


def parse_check(args: list[str]) -> dict[str, Any] | None:
    """The keyword arguments of checkcmd.execute for `check ARGS`, or None when typer should decide."""
    out: dict[str, Any] = {}
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
        spec = OPTIONS.get(name)
        if spec is None or (eq and not name.startswith("--")):
            return None
        param, kind, choices = spec
        if kind == "flag":
            if eq:
                return None
            out[param] = True
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
        if choices and value not in choices:
            return None
        if kind == "multi":
            out.setdefault(param, []).append(value)
        elif kind == "multipath":
            out.setdefault(param, []).append(Path(value))
        elif kind == "path":
            out[param] = Path(value)
        else:
            out[param] = value
    if paths:
        out["paths"] = paths
    return out


def run_fast(argv: list[str]) -> int | None:
    if not argv or argv[0] != "check":
        return None
    kwargs = parse_check(argv[1:])
    if kwargs is None:
        return None
    from .checkcmd import execute
    from .guard import run_guarded

    return run_guarded(lambda: execute(**kwargs))
