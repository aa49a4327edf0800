"""The command line: exit codes, errors without tracebacks, output files, formats."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from miglint.cli.app import app, main

runner = CliRunner()


def test_clean_exit_zero(capsys):
    assert main(["check", "--state", "running", "--command", "virsh migrate --live --p2p d qemu+ssh://x/system"]) == 0


def test_findings_exit_one_and_exit_zero_option(capsys):
    cmd = ["check", "--state", "shutoff", "--command", "virsh migrate --offline d qemu+ssh://x/system"]
    assert main(cmd) == 1
    assert main(cmd + ["--exit-zero"]) == 0


def test_fail_on_warning(capsys):
    cmd = ["check", "--state", "shutoff", "--command",
           "virsh migrate --offline --persistent --compressed d qemu+ssh://x/system"]
    assert main(cmd) == 0
    assert main(cmd + ["--fail-on", "warning"]) == 1


@pytest.mark.parametrize("args,message", [
    (["check", "--hypervisor", "kvm", "--command", "virsh migrate d x"], "unknown hypervisor 'kvm'"),
    (["check", "--libvirt-version", "nine", "--command", "virsh migrate d qemu:///x"], "invalid libvirt version"),
    (["check", "--command", "virsh migrate 'd"], "unterminated single quote"),
    (["check", "no/such/file.yaml"], "no such file or directory"),
    (["check"], "nothing to check"),
    (["check", "--format", "xml", "--command", "virsh migrate d qemu+ssh://x/system"], "unknown format 'xml'"),
])
def test_user_errors_are_one_line_and_exit_two(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_cli_option_is_exit_two():
    result = runner.invoke(app, ["check", "--no-such-option"])
    assert result.exit_code == 2


def test_output_file_is_written(tmp_path, capsys):
    out = tmp_path / "report.json"
    code = main(["check", "--format", "json", "--output", str(out), "--state", "running",
                 "--command", "virsh migrate --live --p2p d qemu+ssh://x/system"])
    assert code == 0 and capsys.readouterr().out == ""
    assert json.loads(out.read_text())["results"][0]["prediction"] == "accepted"


def test_rules_and_schema_commands():
    result = runner.invoke(app, ["rules", "--hypervisor", "vz"])
    assert result.exit_code == 0 and "Z002" in result.output and "Q053" not in result.output
    result = runner.invoke(app, ["schema", "policy"])
    assert result.exit_code == 0 and json.loads(result.output)["title"] == "miglint policy"


def test_python_m_and_version():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "miglint", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("miglint ")


@pytest.mark.parametrize("rule", ["M003", "heredoc-not-parsed"])
def test_explain_knows_miglints_own_rules(rule, capsys):
    assert main(["explain", rule]) == 0
    out = capsys.readouterr().out
    assert out.startswith("M003 heredoc-not-parsed (info") and "why:" in out and "fix:" in out
    assert main(["explain", rule, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "M003"
    assert main(["explain", rule, "--format", "markdown"]) == 0
    assert capsys.readouterr().out.startswith("# M003 heredoc-not-parsed")
