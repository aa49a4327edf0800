"""Live conformance: ask a real libvirt 9.0.0 again (marker ``live``).

They run when this machine can start the oracle (root, Debian 12's libvirt 9.0.0 packages) and skip with
the reason otherwise; with MIGLINT_REQUIRE_LIBVIRT=1 (CI) a missing libvirt is a failure instead.
MIGLINT_LIVE=0 skips them. Alone: ``.venv/bin/python -m pytest tests/conformance -m live -s``.
"""

from __future__ import annotations

import os

import pytest

from miglint.version import parse_version

from . import compare, fixture, harness, live

pytestmark = [pytest.mark.live, pytest.mark.conformance]


@pytest.fixture(scope="module")
def libvirt_here():
    if os.environ.get("MIGLINT_LIVE") == "0":
        pytest.skip("MIGLINT_LIVE=0: live libvirt conformance tests skipped")
    reason = harness.unavailable()
    if reason:
        if os.environ.get("MIGLINT_REQUIRE_LIBVIRT") == "1":
            pytest.fail(f"MIGLINT_REQUIRE_LIBVIRT=1, but a real libvirt cannot be started here: {reason}")
        pytest.skip(f"no live libvirt 9.0.0 here ({reason}); set MIGLINT_REQUIRE_LIBVIRT=1 to fail instead")
    return True


def test_binding_vocabulary_equals_miglints(libvirt_here, policies):
    """Every VIR_MIGRATE_* flag and VIR_MIGRATE_PARAM_* key of python3-libvirt 9.0.0 is in miglint's
    vocabulary at 9.0.0 with the same value, and nothing else is."""
    binding = harness.binding_vocabulary()
    assert binding["version"] == 9000000
    vocab = policies.vocab
    v = parse_version("9.0.0")
    ours_flags = {f.macro: f.value for f in vocab.flags.values() if f.since <= v}
    assert binding["flags"] == ours_flags
    ours_params = {p.macro: p.key for p in vocab.params.values() if p.since <= v}
    assert binding["params"] == ours_params


@pytest.fixture(scope="module")
def live_run(libvirt_here, policies):
    _, records = fixture.load()
    jobs = int(os.environ.get("MIGLINT_LIVE_JOBS", "2"))
    result = live.run(records, policies, jobs=jobs, progress=harness.iter_progress(every=30.0))
    compare.REPORTS["live"] = result.summary
    return result


def test_live_answers_match_the_recording(live_run):
    assert not live_run.drift, "libvirt's answers drifted from the recording:\n" + "\n".join(live_run.drift[:40])


def test_live_verdicts_agree_with_miglint(live_run):
    bad = live_run.summary.verdict_disagreements
    assert not bad, "\n".join(f"{c.id}: libvirt {c.libvirt_verdict} ({c.libvirt_message!r}), miglint "
                              f"{c.prediction} ({c.rule})" for c in bad[:30])


def test_live_messages_agree_unless_known(live_run):
    bad = live_run.summary.unexplained_messages
    assert not bad, "\n".join(f"{c.id}: libvirt {c.libvirt_message!r}, miglint {c.rule} {c.miglint_message!r}"
                              for c in bad[:30])


def test_nothing_left_behind(live_run):
    """The oracles' work dirs are gone, and no daemon they started is still running."""
    works = live_run.setup.get("works") or []
    assert works and all(works)
    for work in works:
        assert not os.path.exists(work), f"{work} left behind"
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmdline = f.read().decode(errors="replace")
            except OSError:
                continue
            assert not any(work in cmdline for work in works), f"process {pid} still runs: {cmdline!r}"
