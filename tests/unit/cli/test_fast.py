"""The typer-free fast path for `check` builds the same CheckOptions as the typer command, or steps aside."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields

import pytest

from miglint import pipeline
from miglint.cli import main as entry_main
from miglint.cli.fast import TABLE, parse_check
from miglint.options import CheckOptions

ARGV = [
    ["--command", "virsh migrate --live d qemu+ssh://x/system"],
    ["--command=virsh migrate d x", "--command", "virsh migrate e y", "--hypervisor", "vz", "--state", "shutoff"],
    ["plan.yaml", "-", "--format", "json", "-f", "sarif=out.sarif", "--output", "r.txt", "--fail-on", "warning"],
    ["--exit-zero", "--no-suppress", "--disable", "Q053", "--disable=V001", "--policy-dir", "p", "-q", "a.sh"],
    ["--fail-on-depends", "--stdin-filename", "x.sh", "-"],
    ["--config", "c.yaml", "--no-config", "--libvirt-version", "9.0.0", "--mode", "p2p", "--", "--odd-name.sh"],
    ["--domain-xml", "d.xml", "--fact", "domain.snapshots=2", "--host-fact=migrate_tls_force=true",
     "--qemu-version", "7.2", "--connect", "qemu:///system", "x.sh"],
    ["--max-file-size", "10M", "--max-line-size=64K", "plan.jsonl", "--json-schema-version", "1"],
]


def typer_options(monkeypatch, argv):
    seen = []

    def fake(opts):
        seen.append(opts)
        return 0
    monkeypatch.setattr(pipeline, "run_check", fake)
    from miglint.cli.app import main
    assert main(["check", *argv]) == 0
    return seen[0]


@pytest.mark.parametrize("argv", ARGV)
def test_same_options_as_typer(monkeypatch, argv):
    fast = parse_check(argv)
    assert fast is not None
    assert fast == typer_options(monkeypatch, argv)


def test_every_declared_option_is_exercised():
    reached = {TABLE[a.split("=")[0]][0] for argv in ARGV for a in argv if a.split("=")[0] in TABLE}
    assert reached == {f.name for f in fields(CheckOptions)} - {"paths"}


@pytest.mark.parametrize("argv", [
    ["--help"], ["--no-such-option"], ["--state", "sleeping", "x"], ["--command"], ["-qf", "json", "x"],
    ["--exit-zero=yes", "x"], ["-f=json", "x"],
])
def test_steps_aside_for_typer(argv):
    assert parse_check(argv) is None


@pytest.mark.parametrize("argv", [["check", "--state", "sleeping", "--command", "virsh migrate d qemu:///x"],
                                  ["check", "--no-such-option"]])
def test_what_the_fast_path_leaves_is_a_usage_error_from_typer(argv, capsys):
    assert entry_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("miglint: error:") and "Traceback" not in err


def test_console_entry_runs_check_without_typer(tmp_path):
    code = ("import sys; from miglint.cli import main; "
            "rc = main(['check', '--state', 'running', '--command', 'virsh migrate --live --p2p d qemu+ssh://x/system']); "
            "print(rc, 'typer' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split()[-2:] == ["0", "False"]
