"""Loading policies: layers and extends merged, rules compiled (variants as a union), check order, the cache."""

from __future__ import annotations

import pytest

from miglint.errors import UserError
from miglint.inputs.request import make_request
from miglint.policy.files import builtin_dir
from miglint.policy.load import load_policies

RULE = """  - id: {id}
    name: {name}
    title: A rule of the test
    kind: policy
    effect: policy
    severity: error
    {when}
    why: The test needs a rule of its own.
"""


def org(tmp_path, rules, extra=""):
    (tmp_path / "acme.yaml").write_text("schema: miglint-policy/1\nname: acme\nkind: driver\nextends: qemu\n"
                                        f"status: organisation\n{extra}rules:\n{rules}")
    return load_policies([tmp_path], use_cache=False)


def test_a_driver_runs_its_layers_first_then_its_own_groups(policies):
    qemu = policies.driver("qemu")
    managed = qemu.sequences["managed"]
    assert managed[:managed.index("entry")] == [*policies.layers["virsh"]["groups"], *policies.layers["libvirt"]["groups"]]
    assert managed[-2:] == ["advice", "policy"]
    ordered = qemu.rules_for("managed")
    positions = [min(managed.index(g) for g in r.groups if g in managed) for r in ordered]
    assert positions == sorted(positions)


def test_every_rule_states_its_effect_severity_and_title(policies):
    for rule in policies.rules.values():
        assert rule.effect and rule.severity and 3 <= len(rule.title) <= 70, rule.id
        assert rule.doc["effect"] == rule.effect and rule.doc["severity"] == rule.severity


def test_variants_are_a_union_and_the_first_that_holds_gives_the_message(policies, evaluator):
    q001 = policies.rules["Q001"]
    assert len(q001.variants) == 2
    kw = dict(hypervisor="qemu", state="running", flags=["LIVE", "PEER2PEER", "ZEROCOPY", "PARALLEL"],
              libvirt_version="8.0.0")
    p2p = evaluator(make_request(policies, **kw))
    assert p2p.first_error.rule == "Q001" and "Perform3Params" in p2p.first_error.message
    managed = evaluator(make_request(policies, **{**kw, "flags": ["LIVE", "ZEROCOPY", "PARALLEL"]}))
    assert managed.first_error.rule == "Q001" and "Begin3Params" in managed.first_error.message


def test_a_rule_without_a_matching_variant_does_not_fire(tmp_path):
    ps = org(tmp_path, RULE.format(id="ACME001", name="acme-x", when="when: {flags: [LIVE]}") + """    variants:
      - {when: {state: shutoff}, message: "shut off"}
      - {when: {state: paused}, message: "paused"}
""")
    from miglint.engine.evaluate import Evaluator

    ev = Evaluator(ps)
    running = ev(make_request(ps, hypervisor="acme", state="running", flags=["LIVE"]))
    paused = ev(make_request(ps, hypervisor="acme", state="paused", flags=["LIVE"]))
    assert "ACME001" not in [f.rule for f in running.findings]
    assert [f.message for f in paused.findings if f.rule == "ACME001"] == ["paused"]
    assert ps.rules["ACME001"].message == "shut off"  # the headline: the first case's, without a general one


def test_extends_inherits_and_may_disable(tmp_path):
    ps = org(tmp_path, RULE.format(id="ACME001", name="acme-x", when='when: {flags: [UNSAFE]}\n    message: "no"'),
             extra="disable: [Q053]\n")
    acme = ps.driver("acme")
    ids = {r.id for r in acme.rules}
    assert "ACME001" in ids and "Q030" in ids and "Q053" not in ids
    assert ps.ancestors("acme") == ["qemu", "acme"] and ps.driver_family("acme") == "qemu"


@pytest.mark.parametrize("rules, extra, message", [
    (RULE.format(id="Q053", name="acme-x", when='message: "x"'), "", "duplicate rule id 'Q053'"),
    (RULE.format(id="ACME001", name="offline-needs-persistent", when='message: "x"'), "", "duplicate rule name"),
    ("  []\n", "disable: [Q999]\n", "disables unknown rule 'Q999'"),
])
def test_inconsistent_policies_are_refused(tmp_path, rules, extra, message):
    with pytest.raises(UserError, match=message):
        org(tmp_path, rules, extra)


def test_the_same_files_give_the_same_compiled_set_in_one_process():
    assert load_policies() is load_policies()
    assert load_policies(use_cache=False) is not load_policies(use_cache=False)


def test_a_changed_file_is_compiled_again(tmp_path):
    first = org(tmp_path, RULE.format(id="ACME001", name="acme-x", when='message: "one"'))
    second = org(tmp_path, RULE.format(id="ACME001", name="acme-x", when='message: "two"'))
    assert first.rules["ACME001"].message == "one" and second.rules["ACME001"].message == "two"
    assert load_policies([tmp_path]) is load_policies([tmp_path])


def test_builtin_policies_are_found_beside_the_package():
    assert (builtin_dir() / "vocabulary.yaml").is_file()
