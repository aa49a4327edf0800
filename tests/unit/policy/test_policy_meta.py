"""Properties every policy and rule must have: valid files, unique stable ids, citations, reasons, fixes."""

from __future__ import annotations

import re

import pytest

from miglint import yamlload
from miglint.policy import schemas
from miglint.policy.files import builtin_dir
from miglint.policy.load import load_policies

_PS = load_policies(use_cache=False)
FILES = sorted(builtin_dir().glob("*.yaml"))
ID_PREFIX = {"virsh": "V", "libvirt": "A", "qemu": "Q", "libxl": "X", "vz": "Z", "vz-2015": "P"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_file_matches_schema(path):
    doc = yamlload.load_yaml(path.read_bytes(), str(path))
    kind = "vocabulary" if doc.get("schema") == "miglint-vocabulary/1" else "policy"
    assert schemas.errors(doc, kind) == []


def test_the_four_hypervisors_and_two_layers_exist(policies):
    assert {"qemu", "libxl", "vz", "vz-2015"} <= set(policies.drivers)
    assert {"virsh", "libvirt"} == set(policies.layers)
    assert policies.drivers["vz-2015"].status == "proposal"
    for name in ("qemu", "libxl", "vz", "vz-2015"):
        assert policies.drivers[name].doc["layers"] == ["virsh", "libvirt"]


@pytest.mark.parametrize("rule_id", sorted(_PS.rules))
def test_rule_is_complete(policies, rule_id):
    r = policies.rules[rule_id]
    assert r.id.startswith(ID_PREFIX[r.policy]), "rule ids carry their policy's letter"
    assert re.fullmatch(r"[a-z][a-z0-9-]+", r.name)
    assert r.source.file.startswith(("src/", "tools/")) and r.source.function, "every rule cites libvirt's source"
    assert len(r.why) >= 10
    if r.effect in ("reject", "fail"):
        assert r.message, "a rejecting rule carries libvirt's message"
    assert r.fix.text or not r.fix.is_empty() or r.fix_matched, "every rule says how to fix it"


def test_ids_and_names_are_unique(policies):
    ids = [r.id for r in policies.rules.values()]
    names = [r.name for r in policies.rules.values()]
    assert len(ids) == len(set(ids)) and len(names) == len(set(names))


def test_rule_groups_exist_in_some_mode(policies):
    for d in policies.drivers.values():
        groups = {g for seq in d.sequences.values() for g in seq}
        for r in d.rules:
            assert set(r.groups) & groups, f"{r.id} belongs to no check group of {d.name}"


def test_messages_use_known_error_codes(policies):
    for r in policies.rules.values():
        if r.code:
            assert r.code in policies.vocab.error_codes, r.id


def test_intents_pass_check(policies, evaluator):
    from miglint.inputs.request import make_request

    for name, d in policies.drivers.items():
        for intent, spec in d.doc.get("intents", {}).items():
            if "unsupported" in spec:
                continue
            req = make_request(policies, hypervisor=name, state=spec["state"], flags=spec.get("flags", []),
                               mode=spec.get("mode"))
            result = evaluator(req)
            assert result.prediction == "accepted", (name, intent, [f.rule for f in result.findings])
