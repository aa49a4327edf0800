"""The vocabulary agrees with the shared reference (libvirt-migration.json): flags, params, virsh options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from miglint.version import parse_version

# A copy of ../shared/reference/libvirt-migration.json (facts, kept beside the tests so the check always runs).
REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference" / "libvirt-migration.json"
SHARED = Path(__file__).resolve().parents[4] / "shared" / "reference" / "libvirt-migration.json"


def test_copy_is_current():
    if not SHARED.exists():
        pytest.skip("../shared not beside this checkout; the copy in tests/data is used")
    assert json.loads(SHARED.read_text()) == json.loads(REFERENCE.read_text())


@pytest.fixture(scope="module")
def ref():
    return json.loads(REFERENCE.read_text())


def test_flags_match(policies, ref):
    vocab = policies.vocab
    assert len(vocab.flags) == len(ref["flags"])
    for f in ref["flags"]:
        fd = vocab.flag(f["name"])
        assert (fd.macro, fd.bit, fd.value, fd.since) == (f["name"], f["bit"], f["value"], parse_version(f["since"]))


def test_params_match(policies, ref):
    """The reference describes libvirt up to 11.3.0; newer parameters (12.2.0's migrate_disks_target_zero) are
    checked against the 12.8.0 binding by the live conformance test."""
    vocab = policies.vocab
    assert len([p for p in vocab.params.values() if p.since <= (11, 3, 0)]) == len(ref["params"])
    for p in ref["params"]:
        pd = vocab.params[p["key"]]
        assert (pd.macro, pd.type, pd.multi, pd.since) == (p["macro"], p["type"], p["multiple"], parse_version(p["since"]))
        assert vocab.param_key(p["macro"]) == p["key"]
        assert (pd.since <= (9, 0, 0)) == p["present_in_9_0_0"]


@pytest.mark.parametrize("version", ["9.0.0", "11.3.0"])
def test_virsh_options_match(policies, ref, version):
    vocab = policies.vocab
    v = parse_version(version)
    known = vocab.options_at(v)
    ref_opts = ref["virsh_migrate_options"][version]
    ref_names = {o["option"] for o in ref_opts if o["type"] != "alias"}
    assert set(known) == ref_names
    for o in ref_opts:
        if o["type"] == "alias":
            assert vocab.resolve_option(o["option"]) == o["alias_of"]
            continue
        od = known[o["option"]]
        assert od.position(v) == o["positional_index"], o["option"]
        assert (vocab.flags[od.flag].macro if od.flag else None) == o["sets_flag"]
        assert (vocab.params[od.param].macro if od.param else None) == o["sets_param"]
        assert od.required == o["required"]
        kind = {"bool": "bool", "string": "string"}.get(o["type"]) or {"uint32": "uint", "int32": "int",
                                                                       "uint64": "ullong"}[o["parsed_as"]]
        assert od.type == kind, o["option"]


@pytest.mark.parametrize("driver", ["qemu", "libxl", "vz"])
@pytest.mark.parametrize("version", ["9.0.0", "11.3.0"])
def test_accepted_sets_match(policies, ref, driver, version):
    vocab = policies.vocab
    view = policies.driver(driver).view(parse_version(version))
    want = ref["driver_accepted"][driver][version]
    assert set(vocab.flag_names(view.accepted_flags)) == {f[len("VIR_MIGRATE_"):] for f in want["flags"]}
    assert view.accepted_params == {vocab.param_key(p) for p in want["params"]}
    assert hex(view.accepted_flags) == want["flags_mask_hex"]


@pytest.mark.parametrize("driver", ["qemu", "libxl", "vz"])
@pytest.mark.parametrize("version", ["9.0.0", "11.3.0"])
def test_feature_answers_match(policies, ref, driver, version):
    view = policies.driver(driver).view(parse_version(version))
    for name, answer in ref["driver_features"][driver].items():
        if isinstance(answer, dict):
            answer = answer[version]
        assert view.features.get(name, False) == bool(answer), (driver, name)
