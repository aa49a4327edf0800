"""The typer-free fast path for `check` parses exactly like the typer command, or steps aside."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from miglint.cli import checkcmd
from miglint.cli.app import app
from miglint.cli import main as entry_main
from miglint.cli.fast import OPTIONS, parse_check

ARGV = [
    ["--command", "virsh migrate --live d qemu+ssh://x/system"],
    ["--command=virsh migrate d x", "--command", "virsh migrate e y", "--hypervisor", "vz", "--state", "shutoff"],
    ["plan.yaml", "-", "--format", "json", "-f", "sarif=out.sarif", "--output", "r.txt", "--fail-on", "warning"],
    ["--exit-zero", "--no-suppress", "--disable", "Q053", "--disable=V001", "--policy-dir", "p", "-q", "a.sh"],
    ["--config", "c.yaml", "--no-config", "--libvirt-version", "9.0.0", "--mode", "p2p", "--", "--odd-name.sh"],
    ["--domain-xml", "d.xml", "--fact", "domain.snapshots=2", "--host-fact=migrate_tls_force=true",
     "--qemu-version", "7.2", "--connect", "qemu:///system", "x.sh"],
    ["--max-file-size", "10M", "--max-line-size=64K", "plan.jsonl"],
]
DEFAULTS = {"paths": None, "command": None, "hypervisor": None, "state": None, "libvirt_version": None,
            "mode": None, "fmt": None, "output": None, "fail_on": None, "exit_zero": False, "disable": None,
            "no_suppress": False, "policy_dir": None, "config": None, "no_config": False, "quiet": False,
            "domain_xml": None, "fact": None, "host_fact": None, "qemu_version": None, "connect": None,
            "max_file_size": None, "max_line_size": None}


def typer_kwargs(monkeypatch, argv):
    seen = {}

    def fake(*args):
        seen.update(zip(DEFAULTS, args))
        return 0
    monkeypatch.setattr(checkcmd, "execute", fake)
    from miglint.cli.app import main
    assert main(["check", *argv]) == 0
    return seen


@pytest.mark.parametrize("argv", ARGV)
def test_same_arguments_as_typer(monkeypatch, argv):
    fast = {**DEFAULTS, **parse_check(argv)}
    assert fast == typer_kwargs(monkeypatch, argv)


@pytest.mark.parametrize("argv", [
    ["--help"], ["--no-such-option"], ["--state", "sleeping", "x"], ["--command"], ["-qf", "json", "x"],
    ["--exit-zero=yes", "x"], ["-f=json", "x"],
])
def test_steps_aside_for_typer(argv):
    assert parse_check(argv) is None


def test_knows_every_option_of_the_command():
    command = typer_command()
    declared = {opt for p in command.params if getattr(p, "param_type_name", "") == "option" for opt in p.opts}
    assert declared == set(OPTIONS)


def typer_command():
    from typer.main import get_command

    return get_command(app).commands["check"]  # type: ignore[attr-defined]


def test_entry_point_errors_are_one_line(tmp_path, capsys):
    assert entry_main(["check", str(tmp_path / "missing.yaml")]) == 2
    assert entry_main(["check"]) == 2
    err = capsys.readouterr().err
    assert "nothing to check" in err and "Traceback" not in err


def test_fast_path_does_not_import_typer(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if k != "MIGLINT_NO_CACHE"}
    env["MIGLINT_CACHE_DIR"] = str(tmp_path)
    code = ("import sys; from miglint.cli import main; "
            "rc = main(['check', '--state', 'running', '--command', 'virsh migrate --live --p2p d qemu+ssh://x/system']); "
            "assert rc == 0, rc; heavy = sorted(m for m in ('typer', 'jsonschema', 'yaml', 'pydantic') if m in sys.modules); "
            "print(heavy)")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
            for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[-1].stderr
    assert runs[1].stdout.strip().splitlines()[-1] == "[]"  # warm policy cache: no typer, YAML or JSON Schema
