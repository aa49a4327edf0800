"""Suppressions through the runner: what they hide, unused ones reported (M001), --no-suppress."""

from __future__ import annotations

import json

import pytest

from miglint.cli.app import main
from miglint.inputs.script import script_jobs
from miglint.model import Job
from miglint.settings import Defaults

SCRIPT = """\
#!/bin/bash
# miglint: disable-file=M003 -- the here-documents below write config files
cat <<END >/tmp/motd
maintenance
END
# miglint: disable=Q053 -- the definition is copied by the next step
virsh migrate --offline a qemu+ssh://h/system
virsh migrate --offline b qemu+ssh://h/system  # miglint: disable=A002 -- wrong rule: reported as unused
virsh migrate --live c qemu+ssh://h/system  # miglint: disable=domain-not-running -- c is running
"""


@pytest.fixture
def script(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.sh").write_text(SCRIPT)
    return "s.sh"


def run(capsys, *args):
    code = main(["check", "--no-config", "--format", "json", "--json-schema-version", "1", "--state", "shutoff", *args])
    return code, json.loads(capsys.readouterr().out)


def test_suppressed_findings_are_hidden_and_counted(capsys, script):
    code, doc = run(capsys, script)
    found = {r["command"].split()[-2]: [f["rule"] for f in r["findings"]] for r in doc["results"]}
    assert found == {"a": [], "b": ["Q053"], "c": []}
    assert doc["summary"]["suppressed"] == 2
    notes = [(n["rule"], n["location"]["line"], n["message"]) for n in doc["notes"]]
    assert notes == [("M001", 8, "suppression of A002 matches no finding")]
    assert code == 1  # b is still an error


def test_no_suppress_shows_everything(capsys, script):
    code, doc = run(capsys, "--no-suppress", script)
    found = {r["command"].split()[-2]: [f["rule"] for f in r["findings"]] for r in doc["results"]}
    assert found == {"a": ["Q053"], "b": ["Q053"], "c": ["Q030"]}
    assert doc["summary"]["suppressed"] == 0
    assert [n["rule"] for n in doc["notes"]] == ["M003"]  # the file-level suppression is off too


def test_unused_suppressions_can_fail_the_check(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.sh").write_text("virsh migrate --live a qemu+ssh://h/system  # miglint: disable=Q053 -- old\n")
    assert main(["check", "--no-config", "--state", "running", "ok.sh"]) == 0
    assert main(["check", "--no-config", "--state", "running", "--fail-on", "warning", "ok.sh"]) == 1
    assert "M001 unused-suppression" in capsys.readouterr().out


def test_plan_ignore_with_reasons(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.plan.yaml").write_text("""\
ignore:
  - {rule: Z011, reason: our runbooks spell out --live on purpose}
migrations:
  - id: db
    hypervisor: qemu
    state: shutoff
    flags: [OFFLINE]
    ignore:
      - {rule: offline-needs-persistent, reason: defined by hand afterwards}
  - id: ct
    hypervisor: vz
    state: running
    flags: [LIVE, PEER2PEER]
  - id: web
    hypervisor: qemu
    state: shutoff
    flags: [OFFLINE]
    ignore: [Q053, Q199]
""")
    code, doc = run(capsys, "p.plan.yaml")
    found = {r["id"]: [f["rule"] for f in r["findings"]] for r in doc["results"]}
    assert found == {"db": [], "ct": [], "web": []}
    notes = sorted((n["rule"], n["location"]["line"], n["message"].split(" (")[0]) for n in doc["notes"])
    assert notes == [("M002", 14, "ignore names unknown rule 'Q199'"),
                     ("M002", 14, "ignore of Q053 gives no reason")]
    assert code == 0


def test_bad_ignore_shape_is_an_input_error(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.plan.yaml").write_text("- {hypervisor: qemu, flags: [LIVE], ignore: [{why: x}]}\n")
    code = main(["check", "--no-config", "p.plan.yaml"])
    assert code == 2 and "'ignore' takes rule ids" in capsys.readouterr().out


def test_text_output_shows_notes_with_their_place(capsys, script):
    main(["check", "--no-config", "--state", "shutoff", script])
    out = capsys.readouterr().out
    assert "s.sh:8:48: warning M001 unused-suppression: suppression of A002 matches no finding" in out
    assert out.rstrip().endswith("2 suppressed; 1 note(s)")


def test_miglint_own_rule_ids_are_stable_and_distinct(policies):
    import re

    from miglint.notes import NOTE_RULES

    assert list(NOTE_RULES) == ["M001", "M002", "M003", "M004", "M005", "M006", "M007", "M008"]
    for r in NOTE_RULES.values():
        assert re.fullmatch(r"M[0-9]{3}", r.id) and r.id not in policies.rules
        assert r.name not in policies.rules_by_name and r.severity in ("error", "warning", "info")
        assert r.summary and r.why and r.fix


def test_a_comment_above_a_compound_command_speaks_of_what_it_runs(policies):
    text = ("# miglint: disable=Q053 -- definitions copied by hand\n"
            "for d in a b; do\n"
            "  virsh migrate --offline \"$d\" qemu+ssh://dst/system\n"
            "done\n"
            "# miglint: disable=A006 -- not this one\n"
            "if true; then\n"
            "  :\n"
            "fi\n"
            "virsh migrate --offline c qemu+ssh://dst/system\n")
    jobs = [i for i in script_jobs(text, "s.sh", policies, Defaults(hypervisor="qemu")) if isinstance(i, Job)]
    assert [sorted(s.rule for s in j.suppressed) for j in jobs] == [["Q053"], ["Q053"], []]
