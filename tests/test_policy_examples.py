"""Every rule's own examples: each failing example triggers it, each passing example does not."""

from __future__ import annotations

import pytest

from examples_util import example_job
from miglint.policies import load_policies

_PS = load_policies(use_cache=False)
CASES = [(r.id, kind, i) for r in _PS.rules.values() for kind in ("fail", "pass")
         for i, _ in enumerate(r.examples.get(kind, []))]


@pytest.mark.parametrize("rule_id,kind,index", CASES)
def test_example(policies, evaluator, rule_id, kind, index):
    rule = policies.rules[rule_id]
    example = rule.examples[kind][index]
    job = example_job(policies, rule, example, index)
    result = evaluator(job.request)
    fired = {f.rule: f for f in result.findings}
    if kind == "fail":
        assert rule_id in fired, f"{example!r} should trigger {rule_id}; got {sorted(fired)}"
        assert not fired[rule_id].depends_on, f"{rule_id} only 'depends' on {fired[rule_id].depends_on}"
    else:
        assert rule_id not in fired, f"{example!r} should not trigger {rule_id}: {fired[rule_id].message}"


def test_every_rule_has_both_kinds_of_example(policies):
    missing = [r.id for r in policies.rules.values()
               if not r.examples.get("fail") or not r.examples.get("pass")]
    assert not missing, f"rules without a failing and a passing example: {missing}"
