"""Compiled rules (engine.compiled): for every request the same findings as each rule's nodes give, unknowns
(and so depends_on) included; what a request's driver, version, mode and state decide is left out."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from test_projection import POLICIES, SETTINGS, api_requests, command_requests

from miglint.engine.evaluate import Evaluator
from miglint.inputs.request import make_request

COMPILED = Evaluator(POLICIES)
NODES = Evaluator(POLICIES, compiled=False)


@SETTINGS
@given(st.one_of(api_requests(), command_requests()))
def test_compiled_rules_answer_as_their_nodes(request):
    assert COMPILED.evaluate(request) == NODES.evaluate(request)


def test_every_rule_example_the_same():
    from miglint.engine.assume import assume_state
    from miglint.features.examples import cases, example_job

    for rule, kind, index in cases(POLICIES.rules.values()):
        job = assume_state(NODES, example_job(POLICIES, rule, rule.examples[kind][index], index))
        assert COMPILED.evaluate(job.request) == NODES.evaluate(job.request), (rule.id, kind, index)


def test_what_is_fixed_is_decided_once():
    api = make_request(POLICIES, hypervisor="qemu", state="running", flags=["LIVE", "PEER2PEER"],
                       libvirt_version="9.0.0")
    plan = COMPILED._plans.get(api)
    every = POLICIES.driver("qemu").rules_for(api.mode)
    assert len(plan.rules) < len(every)
    assert not any(p.rule.policy == "virsh" for p in plan.rules)  # virsh's own checks: never for API requests
    chosen = plan.select(api.flags, frozenset(), frozenset())
    assert len(chosen.rules) < len(plan.rules) / 2  # most rules need flags or parameters this request lacks
