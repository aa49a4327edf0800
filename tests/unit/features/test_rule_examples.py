"""Every rule's own examples: each failing example triggers it, each passing example does not."""

from __future__ import annotations

import pytest

from miglint.features.examples import cases, check_example, missing_examples
from miglint.policy.load import load_policies

_PS = load_policies(use_cache=False)
CASES = [(r.id, kind, i) for r, kind, i in cases(_PS.rules.values())]


@pytest.mark.parametrize("rule_id,kind,index", CASES)
def test_example(policies, evaluator, rule_id, kind, index):
    outcome = check_example(policies, evaluator, policies.rules[rule_id], kind, index)
    assert outcome.ok, f"{outcome.example!r}: {outcome.message}"


def test_every_rule_has_both_kinds_of_example(policies):
    missing = missing_examples(policies.rules.values())
    assert not missing, f"rules without a failing and a passing example: {missing}"
