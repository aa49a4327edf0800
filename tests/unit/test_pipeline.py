"""The pipeline: options resolved once (configuration, policies, settings), then inputs -> jobs -> results,
filtered by the settings, handed to reporters, and an exit code. A recording reporter sees what reporters see."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from miglint import pipeline
from miglint.errors import UserError
from miglint.options import CheckOptions, FixOptions
from miglint.pipeline import Prepared, check, prepare
from miglint.settings import Defaults, Settings

OFFLINE = "virsh migrate --offline web1 qemu+ssh://kvm2/system"  # refused: Q053, --persistent missing
LIVE = "virsh migrate --live --p2p web1 qemu+ssh://kvm2/system"


class Recorder:
    def __init__(self):
        self.results, self.notes, self.errors, self.summary = [], [], [], None

    def start(self):
        pass

    def result(self, job, result, fix=None):
        self.results.append((job, result, fix))

    def note(self, note):
        self.notes.append(note)

    def error(self, where, message):
        self.errors.append((where, message))

    def finish(self, summary):
        self.summary = summary


def run(policies, commands=(), paths=(), **settings):
    settings.setdefault("defaults", Defaults(state="shutoff"))
    rec = Recorder()
    code = check(Prepared.of(policies, Settings(**settings)), list(paths), list(commands), [rec])
    return code, rec


def rules(rec):
    return [[f.rule for f in result.findings] for _, result, _ in rec.results]


def test_refused_exits_one_with_the_fix_plan(policies):
    code, rec = run(policies, [OFFLINE])
    assert code == 1 and rules(rec) == [["Q053"]]
    _, result, fix = rec.results[0]
    assert result.prediction == "rejected" and fix.add_flags == ("PERSIST_DEST",)
    assert rec.summary.requests == 1 and rec.summary.predictions["rejected"] == 1


def test_disabled_rules_are_not_shown_and_do_not_fail(policies):
    code, rec = run(policies, [OFFLINE], disabled=frozenset({"offline-needs-persistent"}))
    assert code == 0 and rules(rec) == [[]]


def test_severity_overrides_decide_the_exit_code(policies):
    code, rec = run(policies, [OFFLINE], severity=(("Q053", "warning"),))
    assert code == 0 and rec.results[0][1].findings[0].severity == "warning"
    assert run(policies, [OFFLINE], severity=(("Q053", "warning"),), fail_on="warning")[0] == 1
    assert run(policies, [OFFLINE], exit_zero=True)[0] == 0


def test_input_errors_exit_two_and_the_rest_is_still_checked(policies):
    code, rec = run(policies, [OFFLINE, "virsh migrate --offline 'web1"])  # the second never ends its quote
    assert code == 2 and len(rec.errors) == 1 and "unterminated" in rec.errors[0][1]
    assert rules(rec) == [["Q053"]]


def test_a_missing_file_is_an_input_error(policies, tmp_path):
    code, rec = run(policies, paths=[str(tmp_path / "nope.sh")])
    assert code == 2 and rec.errors[0][1] == "no such file or directory"


def test_suppressions_hide_findings_and_unused_ones_are_said(policies, tmp_path):
    script = tmp_path / "a.sh"
    script.write_text(f"# miglint: disable=Q053 -- planned\n{OFFLINE}\n# miglint: disable=Q030 -- stale\n{LIVE}\n")
    code, rec = run(policies, paths=[str(script)], defaults=Defaults(state="running"))
    assert code == 0 and rules(rec) == [[], []] and rec.summary.suppressed == 1
    assert [n.rule for n in rec.notes] == ["M001"] and "Q030" in rec.notes[0].message  # running: no Q030
    code, rec = run(policies, paths=[str(script)], defaults=Defaults(state="running"), suppress=False)
    assert code == 1 and rules(rec) == [["Q053"], []] and not rec.notes


def test_a_mixed_fleet_checks_each_request_against_each_hypervisor(policies):
    code, rec = run(policies, ["virsh migrate --live --p2p --compressed web1 qemu+ssh://kvm2/system"],
                    hypervisors=("qemu", "vz"), defaults=Defaults(state="running"))
    assert [r.request.hypervisor for _, r, _ in rec.results] == ["qemu", "vz"]
    assert [r.prediction for _, r, _ in rec.results] == ["accepted", "rejected"]


def test_an_organisation_policy_stands_in_for_the_one_it_extends(tmp_path):
    from miglint.policy.load import load_policies

    (tmp_path / "acme.yaml").write_text(
        "schema: miglint-policy/1\nname: acme\nkind: driver\nextends: qemu\nstatus: organisation\nrules:\n"
        "  - {id: ACME001, name: acme-tls, title: No TLS, kind: policy, effect: policy, severity: error,\n"
        "     when: {flags: {none: [TLS]}}, message: needs --tls, why: The organisation encrypts migrations.}\n")
    ps = load_policies([tmp_path])
    code, rec = run(ps, [LIVE], replace=(("qemu", "acme"),), defaults=Defaults(state="running"))
    assert code == 1 and rules(rec) == [["ACME001"]] and rec.results[0][1].prediction == "accepted"


def test_prepare_reads_the_configuration_for_check_and_fix_alike(tmp_path, monkeypatch):
    (tmp_path / ".miglint.yaml").write_text("hypervisor: vz\nstate: running\ndisable: [Z011]\n")
    monkeypatch.chdir(tmp_path)
    for opts in (CheckOptions(command=(LIVE,)), FixOptions(command=(LIVE,))):
        with ExitStack() as stack:
            prepared = prepare(opts, stack)
        assert prepared.settings.defaults == Defaults("vz", "running", None, None)
        assert prepared.settings.disabled == frozenset({"Z011"})
        assert prepared.effective.values["hypervisor"].source.endswith(".miglint.yaml:1:1")


def test_options_win_over_the_configuration(tmp_path, monkeypatch):
    (tmp_path / ".miglint.yaml").write_text("hypervisor: vz\nstate: running\n")
    monkeypatch.chdir(tmp_path)
    with ExitStack() as stack:
        prepared = prepare(CheckOptions(hypervisor="qemu", no_config=False), stack)
    assert prepared.settings.defaults.hypervisor == "qemu" and prepared.settings.defaults.state == "running"
    with ExitStack() as stack:
        assert prepare(CheckOptions(no_config=True), stack).settings.defaults.state is None


def test_context_options_become_facts_of_every_job(policies):
    with ExitStack() as stack:
        prepared = prepare(CheckOptions(fact=("domain.snapshots=2",), no_config=True), stack)
    assert prepared.context is not None and dict(prepared.context.facts) == {"domain.snapshots": 2}
    rec = Recorder()
    prepared = prepared._replace(settings=prepared.settings._replace(defaults=Defaults(state="running")))
    assert check(prepared, [], [LIVE], [rec]) == 1 and rules(rec) == [["Q031"]]


def test_nothing_to_check_is_a_usage_error():
    with pytest.raises(UserError, match="nothing to check"):
        pipeline.run_check(CheckOptions(no_config=True))
