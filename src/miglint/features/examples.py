"""Rule examples as tests: each failing example must trigger its rule, each passing one must not.

Shared by the test suite and ``miglint policy test``. Pure: policies and an evaluator in, outcomes out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from ..engine.evaluate import Evaluator
from ..errors import UserError
from ..inputs.request import job_from_entry
from ..model import Job, Location
from ..policy.load import PolicySet, Rule
from ..settings import Defaults


class Outcome(NamedTuple):
    rule: str
    kind: str  # fail | pass
    number: int  # the example's position in its list
    example: Any
    ok: bool
    message: str


def example_job(policies: PolicySet, rule: Rule, example: Any, index: int = 0) -> Job:
    """A rule's example (a virsh line, or a plan entry) as a job. A bare line runs on a running domain; a plan
    entry without a hypervisor runs on the rule's own policy (a layer names one in ``example_hypervisor``)."""
    entry = {"command": example, "state": "running"} if isinstance(example, str) else dict(example)
    policy = policies.docs[rule.policy]
    default_hv = rule.policy if policy.get("kind") == "driver" else str(policy.get("example_hypervisor", ""))
    if default_hv not in policies.drivers:
        raise UserError(f"policy {rule.policy!r}: examples need a hypervisor (example_hypervisor)")
    if "command" not in entry:
        entry.setdefault("hypervisor", default_hv)
    defaults = Defaults(hypervisor=default_hv)
    return job_from_entry(policies, entry, defaults, Location(f"{rule.id}-example", 1, 1), index)


def check_example(policies: PolicySet, evaluator: Evaluator, rule: Rule, kind: str, index: int) -> Outcome:
    example = rule.examples[kind][index]
    try:
        job = example_job(policies, rule, example, index)
    except UserError as e:
        return Outcome(rule.id, kind, index, example, False, f"the example itself is invalid: {e.message}")
    result = evaluator(job.request)
    fired = {f.rule: f for f in result.findings}
    if kind == "fail":
        if rule.id not in fired:
            return Outcome(rule.id, kind, index, example, False,
                           f"should trigger {rule.id}; found {', '.join(sorted(fired)) or 'nothing'}")
        if fired[rule.id].depends_on:
            return Outcome(rule.id, kind, index, example, False,
                           f"only may trigger {rule.id} (depends on {', '.join(fired[rule.id].depends_on)})")
        return Outcome(rule.id, kind, index, example, True, "")
    if rule.id in fired:
        return Outcome(rule.id, kind, index, example, False, f"should not trigger {rule.id}: {fired[rule.id].message}")
    return Outcome(rule.id, kind, index, example, True, "")


def cases(rules: Iterable[Rule]) -> list[tuple[Rule, str, int]]:
    return [(r, kind, i) for r in rules for kind in ("fail", "pass") for i, _ in enumerate(r.examples.get(kind, []))]


def run_examples(policies: PolicySet, evaluator: Evaluator, rules: Iterable[Rule]) -> list[Outcome]:
    return [check_example(policies, evaluator, r, kind, i) for r, kind, i in cases(rules)]


def missing_examples(rules: Iterable[Rule]) -> list[tuple[str, tuple[str, ...]]]:
    """Rules lacking a triggering (fail) or a passing example, with what they lack."""
    out = []
    for r in rules:
        lack = tuple(k for k in ("fail", "pass") if not r.examples.get(k))
        if lack:
            out.append((r.id, lack))
    return out
