"""Live conformance: ask the real libvirt 7.0.0, 9.0.0, 11.3.0 and 12.8.0 again (marker ``live``).

They run when this machine can start an oracle (root; Debian 12's libvirt 9.0.0 packages for 9.0.0, the chroots
that tests/conformance/chroot.sh builds for the others: bullseye for 7.0.0, trixie for 11.3.0, sid for 12.8.0)
and skip with the reason otherwise; with MIGLINT_REQUIRE_LIBVIRT=1 (CI) a missing libvirt is a failure instead.
MIGLINT_LIVE=0 skips them; MIGLINT_LIVE_TARGETS=9.0.0 (or a list: "7.0.0 12.8.0") runs those targets only.
Alone: ``.venv/bin/python -m pytest tests/conformance -m live -s``.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from miglint.version import parse_version

from . import compare, fixture, harness, live

pytestmark = [pytest.mark.live, pytest.mark.conformance]


def _targets() -> list[str]:
    wanted = os.environ.get("MIGLINT_LIVE_TARGETS", "").replace(",", " ").split()
    return [v for v in sorted(harness.TARGETS, key=parse_version) if not wanted or v in wanted]


@pytest.fixture(scope="module", params=_targets())
def target(request):
    return harness.TARGETS[request.param]


@pytest.fixture(scope="module")
def libvirt_here(target):
    if os.environ.get("MIGLINT_LIVE") == "0":
        pytest.skip("MIGLINT_LIVE=0: live libvirt conformance tests skipped")
    reason = target.unavailable()
    if reason:
        if os.environ.get("MIGLINT_REQUIRE_LIBVIRT") == "1":
            pytest.fail(f"MIGLINT_REQUIRE_LIBVIRT=1, but libvirt {target.version} cannot be started here: {reason}")
        pytest.skip(f"no live libvirt {target.version} here ({reason}); set MIGLINT_REQUIRE_LIBVIRT=1 to fail instead")
    return target


def test_binding_vocabulary_equals_miglints(libvirt_here, policies):
    """Every VIR_MIGRATE_* flag and VIR_MIGRATE_PARAM_* key of the target's python3-libvirt is in miglint's
    vocabulary at that version with the same value, and nothing else is."""
    target = libvirt_here
    binding = target.binding_vocabulary()
    v = parse_version(target.version)
    assert binding["version"] == v[0] * 1000000 + v[1] * 1000 + v[2]
    vocab = policies.vocab
    ours_flags = {f.macro: f.value for f in vocab.flags.values() if f.since <= v}
    assert binding["flags"] == ours_flags
    ours_params = {p.macro: p.key for p in vocab.params.values() if p.since <= v}
    assert binding["params"] == ours_params


@pytest.fixture(scope="module")
def live_run(libvirt_here, policies):
    target = libvirt_here
    header, records = fixture.load(target.fixture)
    jobs = int(os.environ.get("MIGLINT_LIVE_JOBS", "2"))
    result = live.run(records, policies, jobs=jobs, progress=harness.iter_progress(every=30.0), target=target,
                      qemu_version=header.get("qemu_version"))
    compare.REPORTS[f"live {target.version}"] = result.summary
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


def test_live_jobs_left_behind_are_announced(live_run):
    bad = live_run.summary.job_disagreements
    assert not bad, "\n".join(f"{c.id}: job left {c.job_left}, miglint {c.job_rules}" for c in bad[:30])


def test_nothing_left_behind(live_run, libvirt_here):
    """The oracles' work dirs are gone, no daemon they started is still running, and nothing is mounted in the
    chroot (its mounts lived in the oracle's own namespaces)."""
    works = live_run.setup.get("works") or []
    assert works and all(works)
    chroot = libvirt_here.chroot
    for work in works:
        assert not os.path.exists(libvirt_here.path(work)), f"{work} left behind"
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmdline = f.read().decode(errors="replace")
            except OSError:
                continue
            assert not any(work in cmdline for work in works), f"process {pid} still runs: {cmdline!r}"
    if chroot:
        with open("/proc/self/mounts") as f:
            inside = [line.split()[1] for line in f if line.split()[1].startswith(chroot.rstrip("/") + "/")
                      or line.split()[1] == chroot]
        assert not inside, f"mounted in the chroot: {inside[:5]}"


@pytest.mark.parametrize("version", [v for v in _targets() if harness.TARGETS[v].chroot is not None])
def test_chroot_script_is_quick_when_the_chroot_is_built(version):
    """tests/conformance/chroot.sh only checks a chroot whose stamp lists its packages (CI runs it every time)."""
    target = harness.TARGETS[version]
    if os.environ.get("MIGLINT_LIVE") == "0":
        pytest.skip("MIGLINT_LIVE=0: live libvirt conformance tests skipped")
    reason = target.unavailable()
    if reason:
        if os.environ.get("MIGLINT_REQUIRE_LIBVIRT") == "1":
            pytest.fail(f"MIGLINT_REQUIRE_LIBVIRT=1, but libvirt {version} cannot be started here: {reason}")
        pytest.skip(f"no live libvirt {version} here ({reason})")
    t0 = time.monotonic()
    p = subprocess.run(["bash", str(harness.CHROOT_SCRIPT), str(target.suite), str(target.chroot)], capture_output=True,
                       text=True)
    assert p.returncode == 0, p.stderr
    assert "is ready" in p.stderr and time.monotonic() - t0 < 5
