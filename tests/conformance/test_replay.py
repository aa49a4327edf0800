"""Replay every recorded libvirt 9.0.0 answer against miglint (no libvirt needed; runs in every test run)."""

from __future__ import annotations

import pytest

from miglint.policies import load_policies

from . import cases as case_gen
from . import compare, fixture, oracle

pytestmark = pytest.mark.conformance


@pytest.fixture(scope="module")
def recording():
    return fixture.load()


@pytest.fixture(scope="module")
def summary(recording):
    _, records = recording
    s = compare.compare_all(records, load_policies(use_cache=False))
    compare.REPORTS["replay"] = s
    return s


def test_header_says_what_was_recorded(recording):
    header, records = recording
    assert header["schema"] == fixture.SCHEMA
    assert header["libvirt_version"] == "9.0.0"
    assert header["generator"] == {"module": "tests/conformance/cases.py", "version": case_gen.GENERATOR_VERSION,
                                   "seed": case_gen.SEED, "cases": len(records)}
    assert header["cases"] == len(records) >= 2000


def test_recording_holds_exactly_the_generated_cases(recording):
    """Same seed, same cases: a changed generator needs a new recording (run.py record --reuse)."""
    _, records = recording
    generated = case_gen.generate()
    assert [c["id"] for c in generated] == [r["id"] for r in records]
    changed = [c["id"] for c, r in zip(generated, records) if fixture.case_body(c) != r["case"]]
    assert not changed, f"cases changed since the recording: {changed[:10]}"


def test_recorded_verdicts_follow_the_classification(recording):
    """The verdict stored with each answer is what oracle.classify() says about it today."""
    _, records = recording
    wrong = [r["id"] for r in records
             if oracle.classify(r["libvirt"]["outcome"], r["libvirt"].get("message"))[0] != r["libvirt"]["verdict"]]
    assert not wrong, wrong[:10]


def test_every_verdict_agrees(summary):
    bad = summary.verdict_disagreements
    assert not bad, "\n".join(f"{c.id}: libvirt {c.libvirt_verdict} ({c.libvirt_message!r}), miglint "
                              f"{c.prediction} ({c.rule}: {c.miglint_message!r})" for c in bad[:30])


def test_messages_agree_unless_known(summary):
    bad = summary.unexplained_messages
    assert not bad, "\n".join(f"{c.id}: libvirt {c.libvirt_message!r}, miglint {c.rule} {c.miglint_message!r}"
                              for c in bad[:30])


def test_known_differences_are_reasoned_and_needed(summary):
    policies = load_policies(use_cache=False)
    known = compare.load_known_differences()
    for kd in known:
        assert kd.rule in policies.rules, kd.rule
        assert len(kd.reason) >= 40, f"{kd.rule}: say why the message differs"
    # An entry that explains nothing is stale, unless it is there for messages that vary between runs.
    used = {c.known.rule for c in summary.comparisons if c.known is not None}
    stale = [kd.rule for kd in known if kd.rule not in used and not kd.varies]
    assert not stale, f"known differences no case needs: {stale}"


def test_environment_failures_are_few_and_explained(summary):
    env = [c for c in summary.comparisons if c.verdict_agrees is None]
    assert len(env) <= 0.01 * len(summary.comparisons)
    notes = {compare.env_note(c) for c in env}
    assert notes <= {note for _, note in oracle.ENV}, notes


def test_every_rule_that_can_fire_at_9_0_0_was_libvirts_first_error(summary):
    """Coverage: a rule no case exercises is either out of scope for this test bed (with the reason) or a gap."""
    first = {c.rule for c in summary.comparisons if c.libvirt_verdict == "rejected" and c.verdict_agrees}
    gaps = [r for r in summary.rules if r not in first and r not in summary.scope]
    assert not gaps, f"rules no recorded case exercises: {gaps}"
