"""Replay every recorded libvirt answer (7.0.0, 9.0.0, 11.3.0, 12.8.0) against miglint (no libvirt needed; runs in every
test run)."""

from __future__ import annotations

import pytest

from miglint.policy.load import load_policies

from . import cases as case_gen
from . import compare, fixture, harness, oracle

pytestmark = pytest.mark.conformance


@pytest.fixture(scope="module", params=sorted(harness.TARGETS, key=lambda v: tuple(map(int, v.split(".")))))
def target(request):
    return harness.TARGETS[request.param]


@pytest.fixture(scope="module")
def recording(target):
    return fixture.load(target.fixture)


@pytest.fixture(scope="module")
def summary(target, recording):
    header, records = recording
    s = compare.compare_all(records, load_policies(use_cache=False), libvirt_version=target.version,
                            qemu_version=header.get("qemu_version"))
    compare.REPORTS[f"replay {target.version}"] = s
    return s


def test_header_says_what_was_recorded(target, recording):
    header, records = recording
    assert header["schema"] == fixture.SCHEMA
    assert header["libvirt_version"] == target.version
    assert header["qemu_version"]
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


def test_a_job_left_behind_is_announced_and_only_then(summary):
    """libvirt left the domain's migration job active exactly when a rule with aftermath job-left fired."""
    bad = summary.job_disagreements
    assert not bad, "\n".join(f"{c.id}: job left {c.job_left}, miglint {c.job_rules}" for c in bad[:30])


def test_known_differences_are_reasoned_and_needed(target, summary):
    policies = load_policies(use_cache=False)
    known = compare.load_known_differences(version=target.version)
    for kd in compare.load_known_differences():
        assert kd.rule in policies.rules, kd.rule
        assert len(kd.reason) >= 40, f"{kd.rule}: say why the message differs"
        assert all(v in harness.TARGETS for v in kd.versions), kd.versions
    # An entry that explains nothing is stale, unless it is there for messages that vary between runs.
    used = {c.known.rule for c in summary.comparisons if c.known is not None}
    stale = [kd.rule for kd in known if kd.rule not in used and not kd.varies]
    assert not stale, f"known differences no case needs at libvirt {target.version}: {stale}"


def test_environment_failures_are_few_and_explained(summary):
    env = [c for c in summary.comparisons if c.verdict_agrees is None]
    assert len(env) <= 0.01 * len(summary.comparisons)
    notes = {compare.env_note(c) for c in env}
    assert notes <= {note for _, note in oracle.ENV}, notes


def test_every_rule_that_can_fire_was_libvirts_first_error(summary):
    """Coverage: a rule no case exercises is either out of scope for this test bed (with the reason) or a gap."""
    first = {c.rule for c in summary.comparisons if c.libvirt_verdict in ("rejected", "crash") and c.verdict_agrees}
    gaps = [r for r in summary.rules if r not in first and r not in summary.scope]
    assert not gaps, f"rules no recorded case exercises at libvirt {summary.version}: {gaps}"


def test_normalise_keeps_the_source_hosts_error():
    """libvirt 11.3.0 sometimes adds the destination's error (timestamps, PIDs) to a failed migration's message."""
    alone = "operation failed: job 'migration out' failed: Failed to connect to '127.0.0.3:49216': Connection refused"
    both = ("operation failed: migration failed. Message from the source host: " + alone.replace("49216", "49472")
            + ". Message from the destination host: internal error: QEMU unexpectedly closed the monitor (vm='x'): "
            "2026-11-26 02:05:37.194+0000: shutting down, reason=failed\n2026-11-26T02:05:37Z qemu: terminating")
    assert harness.normalise(both) == harness.normalise(alone)
    assert harness.both_hosts(both) and not harness.both_hosts(alone)


def test_without_a_qemu_version_the_assumed_qemu_gives_the_same_answers(target, recording):
    """A request that does not say which QEMU runs gets the QEMU the libvirt version's Debian release ships
    (vocabulary qemu_assumed): here, the very QEMU the oracle ran, so every verdict and message still agree."""
    header, records = recording
    policies = load_policies(use_cache=False)
    assumed = policies.vocab.assumed_qemu(tuple(map(int, target.version.split("."))))
    assert assumed and header["qemu_version"].startswith(assumed + ".")
    s = compare.compare_all(records, policies, libvirt_version=target.version, qemu_version=None)
    assert not s.verdict_disagreements and not s.unexplained_messages and not s.job_disagreements
