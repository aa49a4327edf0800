"""Configuration: found upward, pyproject or YAML, command line wins, unknown keys refused, `config show`."""

from __future__ import annotations

import json

import pytest

from miglint import config as cfg
from miglint.cli.app import main

OFFLINE = "virsh migrate --offline d qemu+ssh://x/system"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "sub" / "deeper")
    return tmp_path


def test_found_upward_in_pyproject(repo, capsys):
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.miglint]\nstate = "shutoff"\n'
                                         'fail-on = "warning"\n\n[tool.miglint.severity]\nQ053 = "info"\n')
    eff = cfg.resolve()
    assert eff.file == repo / "pyproject.toml"
    assert eff.values["state"] == cfg.Value("shutoff", str(repo / "pyproject.toml") + ":5:1")
    assert eff.values["severity"].source.endswith("pyproject.toml:8:1")
    assert main(["check", "--command", OFFLINE]) == 0  # Q053 is now info, below fail-on = warning
    assert "info Q053" in capsys.readouterr().out


def test_pyproject_without_table_is_skipped(repo):
    (repo / "pyproject.toml").write_text('[project]\nname = "miglint-user"\n')
    (repo / "sub" / ".miglint.yaml").write_text("state: running\n")
    assert cfg.resolve().file == repo / "sub" / ".miglint.yaml"


def test_yaml_beats_pyproject_in_the_same_directory(repo):
    (repo / "pyproject.toml").write_text('[tool.miglint]\nstate = "paused"\n')
    (repo / ".miglint.yaml").write_text("state: running\n")
    assert cfg.resolve().file == repo / ".miglint.yaml"


def test_command_line_overrides_and_lists_add(repo):
    (repo / ".miglint.yaml").write_text("state: running\ndisable: [Q053]\nexit-zero: true\n")
    eff = cfg.resolve(cli=cfg.as_cli(state="shutoff", disable=["Q030"], fail_on=None))
    assert eff.values["state"] == cfg.Value("shutoff", "command line")
    assert eff["disable"] == ["Q053", "Q030"] and eff.values["disable"].source.endswith(" + command line")
    assert eff["fail-on"] == "error" and eff.values["fail-on"].source == "default"
    assert eff["exit-zero"] is True


def test_policy_dirs_are_relative_to_the_file(repo):
    (repo / ".miglint.yaml").write_text("policy-dirs: [policies]\n")
    assert cfg.resolve()["policy-dirs"] == [str(repo / "policies")]


def test_exit_zero_and_disable_from_config(repo, capsys):
    (repo / ".miglint.yaml").write_text("state: shutoff\ndisable: [offline-needs-persistent]\n")
    assert main(["check", "--command", OFFLINE]) == 0
    out = capsys.readouterr().out
    assert "error Q053" not in out
    assert "rejected" in out, "disabling a rule hides it; libvirt's prediction stays what it is"
    assert main(["check", "--no-config", "--state", "shutoff", "--command", OFFLINE]) == 1


@pytest.mark.parametrize("text,message", [
    ("fail_onn: error\n", "unknown configuration key 'fail_onn' (did you mean 'fail-on'?)"),
    ("state: runing\n", "(did you mean 'running'?)"),
    ("exit-zero: 1\n", "takes true or false"),
    ("disable: [Q999]\n", "disable: unknown rule 'Q999'"),
    ("severity: {Q053: fatal}\n", "is not one of error, warning, info"),
    ("hypervisor: kvm\n", "unknown hypervisor 'kvm'"),
    ("replace: {qemu: vz}\n", "'vz' does not extend 'qemu'"),
    ("- a\n", "a configuration file is a YAML mapping"),
])
def test_bad_configuration_is_one_line_exit_two(repo, capsys, text, message):
    (repo / ".miglint.yaml").write_text(text)
    assert main(["check", "--command", OFFLINE]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert ".miglint.yaml:1" in err


def test_unknown_key_in_pyproject_names_its_line(repo, capsys):
    (repo / "pyproject.toml").write_text('[tool.miglint]\nstate = "running"\nexlude = ["x"]\n')
    assert main(["check", "--command", OFFLINE]) == 2
    assert "pyproject.toml:3:1: unknown configuration key 'exlude' (did you mean 'exclude'?)" in capsys.readouterr().err


def test_explicit_config_file(repo, capsys, tmp_path):
    other = tmp_path / "ci.yaml"
    other.write_text("state: shutoff\n")
    assert main(["check", "--config", str(other), "--command", OFFLINE]) == 1
    assert main(["check", "--config", str(tmp_path / "none.yaml"), "--command", OFFLINE]) == 2
    assert "configuration file not found" in capsys.readouterr().err


def test_config_show(repo, capsys):
    (repo / ".miglint.yaml").write_text("# comment\nhypervisor: qemu\nfail-on: warning\n")
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "# configuration file: " in out
    lines = {l.split(" = ")[0]: l for l in out.splitlines() if " = " in l}
    assert lines["hypervisor"].endswith(".miglint.yaml:2:1")
    assert lines["exit-zero"].endswith("# default")
    assert main(["config", "show", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["settings"]["fail-on"]["value"] == "warning"
    assert doc["settings"]["fail-on"]["source"].endswith(".miglint.yaml:3:1")


def test_excludes_from_config_apply_to_directory_walks(repo, capsys):
    (repo / ".miglint.yaml").write_text("state: shutoff\nexclude: [legacy/*, '*.old.sh']\n")
    for rel in ("scripts/a.sh", "legacy/b.sh", "scripts/c.old.sh", ".git/hooks/d.sh"):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(OFFLINE + "\n")
    assert main(["check", "--format", "json", str(repo)]) == 1
    doc = json.loads(capsys.readouterr().out)
    files = [doc["files"][r["file"]] for r in doc["results"]]
    assert [f.rsplit("/", 2)[-2:] for f in files] == [["scripts", "a.sh"]]


def test_symlink_loop_is_a_note_not_an_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.sh").write_text(OFFLINE + "\n")
    (tmp_path / "d" / "loop").symlink_to(tmp_path / "d")
    assert main(["check", "--no-config", "--state", "shutoff", "d"]) == 1
    out = capsys.readouterr().out
    assert "M004 directory-loop" in out and out.count("d/a.sh:1:1") == 1


def test_unknown_rule_on_the_command_line(capsys):
    assert main(["check", "--no-config", "--disable", "Q05", "--command", OFFLINE]) == 2
    assert capsys.readouterr().err.startswith("miglint: error: disable: unknown rule 'Q05' (did you mean")


def test_closed_pipe_is_quiet(tmp_path):
    import subprocess
    import sys

    (tmp_path / "big.sh").write_text(OFFLINE + "\n" * 1 + (OFFLINE + "\n") * 2000)  # far more than a pipe holds
    proc = subprocess.Popen([sys.executable, "-m", "miglint", "check", "--no-config", "--state", "shutoff", "big.sh"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait()
    assert proc.returncode == 1 and err == ""
