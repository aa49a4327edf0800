"""Organisation policies: a YAML policy that extends a built-in one, loaded from the policy path, checked
against the same schema and by its own examples; its rules never change libvirt's prediction."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from miglint import yamlload
from miglint.cli.app import main
from miglint.engine.evaluate import Evaluator
from miglint.features.examples import example_job
from miglint.policy import schemas
from miglint.policy.load import load_policies

ROOT = Path(__file__).resolve().parents[2]
ORG_DIR = ROOT / "examples" / "policies"
ORG_FILES = sorted(ORG_DIR.glob("*.yaml"))
_PS = load_policies([ORG_DIR], use_cache=False)
ORG_RULES = sorted(r.id for r in _PS.rules.values() if _PS.docs[r.policy].get("status") == "organisation")
CASES = [(rid, kind, i) for rid in ORG_RULES for kind in ("fail", "pass")
         for i, _ in enumerate(_PS.rules[rid].examples.get(kind, []))]


@pytest.fixture(scope="module")
def org():
    return _PS


@pytest.mark.parametrize("path", ORG_FILES, ids=lambda p: p.name)
def test_org_policy_matches_the_schema(path):
    doc = yamlload.load_yaml(path.read_bytes(), str(path))
    assert schemas.errors(doc, "policy") == []
    assert doc["status"] == "organisation" and doc.get("extends")


def test_there_are_org_rules_with_examples():
    assert ORG_RULES == ["ACME001", "ACME002", "ACME003"]
    for rid in ORG_RULES:
        r = _PS.rules[rid]
        assert re.fullmatch(r"[A-Z]{1,8}[0-9]{3}", rid)
        assert r.examples.get("fail") and r.examples.get("pass")
        assert r.effect == "policy" and r.severity == "error" and r.kind == "policy"


@pytest.mark.parametrize("rule_id,kind,index", CASES)
def test_org_example(org, rule_id, kind, index):
    rule = org.rules[rule_id]
    job = example_job(org, rule, rule.examples[kind][index], index)
    assert job.request.hypervisor == "acme-qemu"
    result = Evaluator(org)(job.request)
    fired = {f.rule for f in result.findings}
    if kind == "fail":
        assert rule_id in fired
        assert result.prediction != "rejected" or result.first_error.effect != "policy"
    else:
        assert rule_id not in fired


def test_org_policy_inherits_every_qemu_rule(org):
    qemu = {r.id for r in org.driver("qemu").rules}
    acme = {r.id for r in org.driver("acme-qemu").rules}
    assert qemu < acme and acme - qemu == set(ORG_RULES)
    assert org.driver_family("acme-qemu") == "qemu"


def run_json(capsys, *args):
    code = main(["check", "--no-config", "--format", "json", "--json-schema-version", "1", "--policy-dir", str(ORG_DIR), *args])
    return code, json.loads(capsys.readouterr().out)


def test_policy_findings_fail_the_check_but_not_the_prediction(capsys):
    code, doc = run_json(capsys, "--hypervisor", "acme-qemu", "--state", "running",
                         "--command", "virsh migrate --live --p2p --unsafe web qemu+ssh://kvm-08/system")
    r = doc["results"][0]
    assert code == 1
    assert r["prediction"] == "accepted" and r["first_error"] is None
    assert [(f["rule"], f["effect"], f["severity"]) for f in r["findings"]] == [
        ("ACME001", "policy", "error"), ("ACME002", "policy", "error")]
    assert r["findings"][1]["location"]["column"] == 28  # at --unsafe


def test_libvirt_rejections_still_come_first(capsys):
    code, doc = run_json(capsys, "--hypervisor", "acme-qemu", "--state", "shutoff",
                         "--command", "virsh migrate --offline db qemu+ssh://kvm-08/system")
    r = doc["results"][0]
    assert r["prediction"] == "rejected" and r["first_error"]["rule"] == "Q053"


def test_default_hypervisor_maps_uris_of_its_driver_only(capsys):
    code, doc = run_json(capsys, "--hypervisor", "acme-qemu", "--state", "running",
                         "--command", "virsh migrate --live --p2p --tls a qemu+ssh://kvm-08/system",
                         "--command", "virsh migrate --live --p2p b vz+ssh://vz-04/system")
    assert [r["hypervisor"] for r in doc["results"]] == ["acme-qemu", "vz"]


def test_replace_makes_explicit_qemu_entries_use_the_org_policy(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".miglint.yaml").write_text(f"policy-dirs: [{ORG_DIR}]\nreplace: {{qemu: acme-qemu}}\n")
    (tmp_path / "p.plan.yaml").write_text(
        "- {id: a, hypervisor: qemu, state: running, flags: [LIVE, PEER2PEER]}\n"
        "- {id: b, hypervisor: vz, state: running, flags: [PEER2PEER]}\n")
    assert main(["check", "--format", "json", "--json-schema-version", "1", "p.plan.yaml"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [(r["hypervisor"], [f["rule"] for f in r["findings"]]) for r in doc["results"]] == [
        ("acme-qemu", ["ACME001"]), ("vz", [])]


def test_rules_command_lists_org_rules(capsys):
    assert main(["rules", "--policy-dir", str(ORG_DIR), "--hypervisor", "acme-qemu"]) == 0
    out = capsys.readouterr().out
    assert "ACME003" in out and "Q053" in out
