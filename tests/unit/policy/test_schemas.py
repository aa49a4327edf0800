"""The shipped JSON Schemas: plans and JSON output validate; the plan schema matches the vocabulary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from miglint.cli.app import app, main
from miglint.inputs.request import ENTRY_KEYS
from miglint.policy import schemas

ROOT = Path(__file__).resolve().parents[3]
runner = CliRunner()


def validator(name):
    return Draft202012Validator(schemas.schema(name))


@pytest.mark.parametrize("name", schemas.SCHEMAS)
def test_schemas_are_valid_and_printed(name):
    Draft202012Validator.check_schema(schemas.schema(name))
    result = runner.invoke(app, ["schema", name])
    assert result.exit_code == 0 and json.loads(result.output) == schemas.schema(name)


@pytest.mark.parametrize("golden,name", [("mixed-plan.json", "result"), ("mixed-plan-v1.json", "result-1")])
def test_golden_json_output_validates(golden, name):
    doc = json.loads((ROOT / "tests" / "golden" / golden).read_text())
    assert list(validator(name).iter_errors(doc)) == []


@pytest.mark.parametrize("version,name", [("2", "result"), ("1", "result-1")])
def test_fresh_json_and_jsonl_output_validate(capsys, monkeypatch, version, name):
    monkeypatch.chdir(ROOT)
    paths = ["examples/fleet.plan.yaml", "examples/evacuate.sh", "no/such/file.yaml"]
    main(["check", "--format", "json", "--json-schema-version", version, *paths])
    doc = json.loads(capsys.readouterr().out)
    assert doc["errors"] and list(validator(name).iter_errors(doc)) == []
    main(["check", "--format", "jsonl", "--json-schema-version", version, *paths])
    schema = schemas.schema(name)
    lines = capsys.readouterr().out.splitlines()
    for line in lines:
        item = json.loads(line)
        kind = next((k for k in ("error", "note", "schema", "files", "rules") if k in item), "result")
        ref = {"error": "line_error", "note": "note_line", "schema": "schema_line", "files": "files_line",
               "rules": "rules_line"}.get(kind, "result")
        if ref not in schema["$defs"]:
            continue  # schema 1 describes no note lines
        sub = {"$ref": "#/$defs/" + ref, "$defs": schema["$defs"]}
        assert list(Draft202012Validator(sub).iter_errors(item)) == [], line
    if version == "2":  # the tables come before what refers to them
        files, rules = [], {}
        for item in map(json.loads, lines):
            files += item.get("files", [])
            rules.update(item.get("rules", {}))
            if "prediction" in item:
                assert item["file"] < len(files)
                assert all(f["rule"] in rules for f in item.get("findings", []))


@pytest.mark.parametrize("path", ["examples/fleet.plan.yaml", "tests/data/mixed.plan.yaml"])
def test_example_plans_validate(path):
    doc = yaml.safe_load((ROOT / path).read_text())
    assert list(validator("plan").iter_errors(doc)) == []


def test_rule_examples_validate_as_plan_entries(policies):
    v = validator("plan")
    entries = [dict(e) for r in policies.rules.values() for kind in ("fail", "pass")
               for e in r.examples.get(kind, []) if isinstance(e, dict)]
    assert len(entries) > 50
    for e in entries:
        assert list(v.iter_errors([e])) == [], e


@pytest.mark.parametrize("doc", [
    [{"command": "virsh migrate d x", "flags": ["LIVE"]}],
    [{"hypervisor": "qemu", "flagz": ["LIVE"]}],
    {"migrations": [], "defaults": {"colour": "red"}},
    [{"hypervisor": "qemu", "state": "sleeping"}],
    [{"hypervisor": "qemu", "params": {"bandwidth": "fast"}}],
])
def test_bad_plans_do_not_validate(doc):
    assert list(validator("plan").iter_errors(doc))


def test_plan_schema_matches_the_vocabulary(policies):
    defs = schemas.schema("plan")["$defs"]
    names = set(defs["flag"]["anyOf"][0]["enum"])
    assert {f for f in names if not f.startswith("VIR_")} == set(policies.vocab.flags)
    assert set(defs["params"]["properties"]) == set(policies.vocab.params)


def test_plan_schema_lists_the_vocabulary_facts(policies):
    """Editors complete fact names from the schema: it must list exactly the facts a plan may give, typed as
    the vocabulary types them (regenerate with schemas.fact_properties when the vocabulary changes)."""
    defs = schemas.schema("plan")["$defs"]
    assert defs["facts"]["properties"] == schemas.fact_properties(policies.vocab.facts)
    assert defs["entry"]["properties"]["host"]["properties"] == schemas.fact_properties(policies.vocab.facts, "host.")
    assert "domain.snapshots" in defs["facts"]["properties"] and "request.domain" not in defs["facts"]["properties"]


def test_plan_schema_defaults_take_every_entry_key_but_the_id():
    defs = schemas.schema("plan")["$defs"]
    expected = {k for k in ENTRY_KEYS if k != "id"} | {k.replace("_", "-") for k in ENTRY_KEYS if "_" in k}
    assert set(defs["defaults"]["properties"]) == expected


@pytest.mark.parametrize("doc, ok", [
    ({"defaults": {"libvirt-version": "9.10.0", "facts": {"domain.snapshots": 0}}, "migrations": []}, True),
    ({"defaults": {"host": {"migrate_tls_force": True}}, "migrations": []}, True),
    ([{"command": "virsh migrate --live d qemu:///system", "facts": {"domain.snapshot": 2}}], False),
    ([{"command": "virsh migrate --live d qemu:///system", "facts": {"domain.snapshots": "two"}}], False),
    ([{"command": "virsh migrate --live d qemu:///system", "host": {"migrate_tls_forc": True}}], False),
    ([{"command": "virsh migrate --live d qemu:///system", "libvirt_version": 9.1}], False),
    ({"defaults": {"id": "x"}, "migrations": []}, False),
])
def test_plan_schema_facts_and_defaults(doc, ok):
    assert (list(validator("plan").iter_errors(doc)) == []) is ok
