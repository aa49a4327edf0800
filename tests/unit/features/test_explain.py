"""miglint explain: the seed's scenario end to end, derived requirements, intents, rule documentation."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from miglint.cli.app import app
from miglint.features.capabilities import Analysis
from miglint.features.explain import explain_command, intents, rule_doc

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, ["explain", "--width", "150", *args])
    return result.exit_code, result.output


def test_seed_scenario_on_vz(policies, evaluator):
    exp = explain_command(policies, evaluator, "virsh migrate dom vz+ssh://dest/system", hypervisor="vz", state="running",
                          version=policies.vocab.newest)
    assert exp.result.prediction == "accepted"
    defaults = {o.flag: o.default for o in exp.omitted}
    assert defaults["LIVE"] == "on" and defaults["COMPRESSED"] == "on" and defaults["PERSIST_DEST"] == "on"
    assert exp.minimal.command == "virsh migrate dom vz+ssh://dest/system" and exp.minimal.prediction == "accepted"
    code, out = run("--hypervisor", "vz", "--state", "running", "--command", "virsh migrate dom vz+ssh://dest/system")
    assert code == 0
    assert "vz always migrates live." in out and "vz always compresses the memory it sends." in out
    assert "Minimal valid command for the same request:\n  virsh migrate dom vz+ssh://dest/system\n" in out


def test_seed_scenario_on_qemu(policies, evaluator):
    exp = explain_command(policies, evaluator, "virsh migrate dom qemu+ssh://dest/system", hypervisor="qemu", state="running",
                          version=policies.vocab.newest)
    defaults = {o.flag: o.default for o in exp.omitted}
    assert defaults["LIVE"] == "off" and defaults["COMPRESSED"] == "off"
    live = next(i for i in exp.intents if i.name == "live")
    assert live.command == "virsh migrate --live dom qemu+ssh://dest/system" and live.prediction == "accepted"
    code, out = run("--hypervisor", "qemu", "--state", "running", "--command", "virsh migrate dom qemu+ssh://dest/system")
    assert code == 0 and "The guest is paused for the whole memory transfer" in out
    assert "virsh migrate --live dom qemu+ssh://dest/system    -> accepted" in out


def test_explain_command_shows_ignored_flags_and_the_fixed_command(policies, evaluator):
    exp = explain_command(policies, evaluator, "virsh migrate --live --persistent --compressed --p2p d vz+ssh://h/system",
                          hypervisor=None, state="running", version=policies.vocab.newest)
    assert exp.result.prediction == "rejected"
    assert {i.flag for i in exp.ignored} == {"LIVE", "PERSIST_DEST"}
    assert exp.minimal.command == "virsh migrate --p2p d vz+ssh://h/system"
    assert exp.minimal.prediction == "accepted" and not exp.minimal.unsafe


def test_seed_proposal_needs_the_three_flags(policies, evaluator):
    exp = explain_command(policies, evaluator, "virsh migrate --p2p dom vz+ssh://dst/system", hypervisor="vz-2015",
                          state="running", version=policies.vocab.newest)
    assert exp.minimal.command == "virsh migrate --live --persistent --compressed --p2p dom vz+ssh://dst/system"


def test_required_and_forbidden_are_derived_from_rules(policies):
    a = Analysis(policies, "vz-2015", policies.vocab.newest)
    rows = {r.flag: r for r in a.flag_rows()}
    assert [(c.rule, c.condition) for c in rows["PERSIST_DEST"].required if c.rule.startswith("P")] == [("P002", "always")]
    assert ("P004", "the domain is running or paused") in [(c.rule, c.condition) for c in rows["LIVE"].required]
    assert ("P007", "the domain is shut off and --offline") in [(c.rule, c.condition) for c in rows["LIVE"].forbidden]
    assert rows["TUNNELLED"].accepted == "no" and rows["TUNNELLED"].refused_by == "P001"
    q = {r.flag: r for r in Analysis(policies, "qemu", policies.vocab.newest).flag_rows()}
    assert ("Q053", "--offline, without --postcopy-resume") in [(c.rule, c.condition) for c in q["PERSIST_DEST"].required]
    vz = {r.flag: r for r in Analysis(policies, "vz", policies.vocab.newest).flag_rows()}
    assert vz["LIVE"].when_set == "ignored" and vz["COMPRESSED"].when_set == "refused" and vz["COMPRESSED"].default == "on"


def test_version_dependent_acceptance(policies):
    old = {r.flag: r for r in Analysis(policies, "libxl", (9, 0, 0)).flag_rows()}
    new = {r.flag: r for r in Analysis(policies, "libxl", (11, 3, 0)).flag_rows()}
    assert old["CHANGE_PROTECTION"].accepted == "no" and new["CHANGE_PROTECTION"].accepted == "yes"
    assert "accepted >=11.3.0" in new["CHANGE_PROTECTION"].accepted_versions
    vz = {r.flag: r for r in Analysis(policies, "vz", (3, 0, 0)).flag_rows()}
    assert vz["LIVE"].accepted == "unsure"


@pytest.mark.parametrize("hv", ["qemu", "libxl", "vz", "vz-2015"])
@pytest.mark.parametrize("version", ["9.0.0", "11.3.0"])
def test_every_intent_is_checked_or_says_why_not(policies, evaluator, hv, version):
    items = intents(policies, evaluator, hv, policies.vocab.version(version))
    assert {i.name for i in items} == {"live", "offline", "storage"}
    for i in items:
        assert i.unsupported or i.prediction == "accepted", (hv, i)
    code, out = run("--hypervisor", hv, "--libvirt-version", version)
    assert code == 0 and "Minimal commands on" in out
    for i in items:
        assert (i.unsupported or i.command) in out


def test_rule_documentation(policies):
    d = rule_doc(policies, policies.rule("offline-needs-persistent"))
    assert d.message.startswith("Requested operation is not valid: offline migration")
    assert d.condition == "--offline, without --persistent or --postcopy-resume"
    code, out = run("Q053")
    assert code == 0
    for part in ("Q053 offline-needs-persistent", "[VIR_ERR_OPERATION_INVALID]", "why", "add --persistent",
                 "src/qemu/qemu_migration.c", "fails", "passes"):
        assert part in out
    code, out = run("q053", "--format", "json")
    assert code == 0 and json.loads(out)["id"] == "Q053"


@pytest.mark.parametrize("args,message", [
    (["nope"], "unknown rule 'nope'"),
    ([], "give --hypervisor"),
    (["--hypervisor", "kvm"], "unknown hypervisor 'kvm'"),
    (["--hypervisor", "qemu", "--format", "xml"], "unknown format"),
])
def test_user_errors(args, message):
    code, out = run(*args)
    assert code == 2 and message in out and "Traceback" not in out


def test_json_formats():
    code, out = run("--hypervisor", "vz", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["name"] == "vz" and len(data["flags"]) == 21
    code, out = run("--hypervisor", "vz", "--state", "running", "--format", "json", "--command", "virsh migrate d vz+ssh://dest/system")
    data = json.loads(out)
    assert data["result"]["prediction"] == "accepted" and data["minimal"]["command"] == "virsh migrate d vz+ssh://dest/system"
