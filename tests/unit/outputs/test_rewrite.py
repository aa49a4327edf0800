"""miglint fix: minimal edits of command lines, scripts and plans; fixed requests pass check; idempotent."""

from __future__ import annotations

import os
import stat

import pytest

from miglint.cli.app import main
from miglint.engine.fixes import apply_fix
from miglint.engine.fixes import fix_stable as plan_fix
from miglint.features.examples import example_job
from miglint.inputs.virsh import command_job
from miglint.model import REJECTING
from miglint.outputs.rewrite import fix_text, rewrite_command
from miglint.settings import Defaults


def _job(policies, text, hv=None, state="running", version=None):
    return command_job(text, policies=policies, hypervisor=hv, state=state,
                       version=policies.vocab.version(version), job_id="t")


def _fixed(policies, evaluator, text, **kw):
    job = _job(policies, text, **kw)
    plan = plan_fix(evaluator, job.request)
    return rewrite_command(text, job.request, plan.request, policies.vocab)


@pytest.mark.parametrize("text,state,expected", [
    ("virsh migrate --offline dom qemu+ssh://dst/system", "shutoff",
     "virsh migrate --persistent --offline dom qemu+ssh://dst/system"),
    ("virsh migrate --p2p --compressed dom vz+ssh://dst/system", "running",
     "virsh migrate --p2p dom vz+ssh://dst/system"),
    # quoting, the --opt=value form and continuation lines stay as written
    ("sudo virsh -c 'vz:///system' migrate \\\n  --compressed \\\n  --p2p 'my dom' \"vz+ssh://dst/system\"", "running",
     "sudo virsh -c 'vz:///system' migrate \\\n  --p2p 'my dom' \"vz+ssh://dst/system\""),
    ("virsh migrate --live --tunnelled dom qemu+ssh://dst/system", "running",
     "virsh migrate --p2p --live --tunnelled dom qemu+ssh://dst/system"),
])
def test_command_rewrite_is_minimal(policies, evaluator, text, state, expected):
    assert _fixed(policies, evaluator, text, state=state) == expected


def test_removing_an_option_takes_its_value_word(policies, evaluator):
    text = "virsh migrate --p2p --bandwidth=5 --dname new --listen-address 0.0.0.0 dom vz+ssh://dst/system"
    job = _job(policies, text)
    plan = plan_fix(evaluator, job.request, unsafe=True)
    out = rewrite_command(text, job.request, plan.request, policies.vocab)
    # --listen-address goes with its value word; --bandwidth=5 (ignored by vz in p2p mode, Z005) in one word
    assert out == "virsh migrate --p2p --dname new dom vz+ssh://dst/system"


def _command_examples(policies):
    for rule in policies.rules.values():
        for i, ex in enumerate(rule.examples.get("fail", [])):
            if isinstance(ex, str) or "command" in ex:
                yield pytest.param(rule.id, i, id=f"{rule.id}-{i}")


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_fixed_examples_pass_check_and_fixing_twice_changes_nothing(policies, evaluator, unsafe):
    checked = 0
    for param in _command_examples(policies):
        rule_id, i = param.values
        rule = policies.rules[rule_id]
        job = example_job(policies, rule, rule.examples["fail"][i], i)
        text = job.text
        plan = plan_fix(evaluator, job.request, unsafe=unsafe)
        fixed = rewrite_command(text, job.request, plan.request, policies.vocab)
        again = command_job(fixed, policies=policies, hypervisor=job.request.hypervisor, state=job.request.state,
                            version=policies.vocab.version(job.request.libvirt_version), job_id="t")
        assert again.request.flags == plan.request.flags, (rule_id, fixed)
        assert dict(again.request.params) == dict(plan.request.params), (rule_id, fixed)
        result = evaluator(again.request)
        for f in result.findings:
            if f.effect in REJECTING and not f.fix.is_empty() and not unsafe and f.fix.safe:
                # left only when its fix trades it for a refusal no safe fix resolves (a person decides)
                traded = evaluator(apply_fix(again.request, f.fix, evaluator))
                was = {g.rule for g in result.findings}
                assert any(g.effect in REJECTING and not g.depends_on and g.rule not in was
                           and (g.fix.is_empty() or not g.fix.safe) for g in traded.findings), \
                    f"{rule_id}: {fixed!r} still has {f.rule}, which a fix could address"
        if unsafe and result.prediction == "rejected":
            continue  # unsafe fixes may contradict each other (add --live / drop --live): no fixpoint to reach
        plan2 = plan_fix(evaluator, again.request, unsafe=unsafe)
        refixed = rewrite_command(fixed, again.request, plan2.request, policies.vocab) if plan2.changed else fixed
        assert refixed == fixed, f"{rule_id}: fixing twice changed {fixed!r} to {refixed!r}"
        checked += 1
    assert checked > 50


SCRIPT = """#!/bin/sh
# evacuate (comments and other commands stay)
for d in a b; do
  virsh -c qemu:///system migrate --offline \\
      --compressed "$d" 'qemu+ssh://dst/system'   # trailing comment
done
virsh migrate --p2p --compressed ct1 vz+ssh://vz2/system && echo ok
"""


def test_script_fix(policies, evaluator):
    ff = fix_text(SCRIPT, "evac.sh", "script", policies, Defaults(state="shutoff"), evaluator)
    # --persistent added (Q053); --compressed, which an offline migration ignores (Q111), goes with the
    # continuation before it; vz refuses --compressed although it always compresses (Z002)
    assert ff.new == SCRIPT.replace("migrate --offline \\\n      --compressed", "migrate --persistent --offline").replace(
        "--p2p --compressed ct1", "--p2p ct1")
    again = fix_text(ff.new, "evac.sh", "script", policies, Defaults(state="shutoff"), evaluator)
    assert not again.changed


PLAN = """# plan (this comment stays)
migrations:
  - id: a   # first
    hypervisor: qemu
    state: shutoff
    flags:
      - OFFLINE   # offline
      - PEER2PEER
    params:
      bandwidth: 10
  - {id: b, hypervisor: vz, state: running, flags: 0x802}
  - id: c
    hypervisor: vz
    state: running
    flags: "VIR_MIGRATE_PEER2PEER|VIR_MIGRATE_COMPRESSED"
  - id: d
    hypervisor: qemu
    state: shutoff
    command: virsh migrate --offline d qemu+ssh://dst/system
  - id: e
    hypervisor: vz
    state: running
    flags: [VIR_MIGRATE_PEER2PEER, VIR_MIGRATE_COMPRESSED]
    params: {bandwidth: 5}
"""


def test_yaml_plan_fix_keeps_layout_and_comments(policies, evaluator):
    ff = fix_text(PLAN, "p.plan.yaml", "yaml", policies, Defaults(), evaluator)
    expected = (PLAN.replace("      - PEER2PEER\n", "      - PEER2PEER\n      - PERSIST_DEST\n")
                .replace("flags: 0x802", "flags: 0x2")
                .replace('"VIR_MIGRATE_PEER2PEER|VIR_MIGRATE_COMPRESSED"', '"VIR_MIGRATE_PEER2PEER"')
                .replace("migrate --offline d", "migrate --persistent --offline d")
                .replace("[VIR_MIGRATE_PEER2PEER, VIR_MIGRATE_COMPRESSED]", "[VIR_MIGRATE_PEER2PEER]")
                .replace("params: {bandwidth: 5}", "params: {}"))  # vz ignores bandwidth in p2p mode (Z005)
    assert ff.new == expected
    assert not ff.errors
    assert all(j.after is None or j.after.prediction == "accepted" for j in ff.jobs)
    assert not fix_text(ff.new, "p.plan.yaml", "yaml", policies, Defaults(), evaluator).changed


def test_block_lists_lose_lines_and_params_unsafe(policies, evaluator):
    plan = "- id: x\n  hypervisor: vz\n  state: running\n  flags:\n    - PEER2PEER\n    - COMPRESSED\n" \
           "  params:\n    bandwidth: 5\n    destination_xml: d.xml\n"
    ff = fix_text(plan, "x.yaml", "yaml", policies, Defaults(), evaluator, unsafe=True)
    # COMPRESSED (Z002), destination_xml (Z006) and bandwidth, which vz ignores in p2p mode (Z005): all go
    assert ff.new == "- id: x\n  hypervisor: vz\n  state: running\n  flags:\n    - PEER2PEER\n" \
                     "  params: {}\n"


def test_json_and_jsonl(policies, evaluator):
    js = '{"migrations": [\n  {"id": "a", "hypervisor": "qemu", "state": "shutoff", "flags": ["OFFLINE", "PEER2PEER"]}\n]}\n'
    ff = fix_text(js, "p.json", "json", policies, Defaults(), evaluator)
    assert ff.new == js.replace('"PEER2PEER"]', '"PEER2PEER", "PERSIST_DEST"]')
    jl = ('{"id": "a", "hypervisor": "vz", "state": "running", "command": "virsh migrate --p2p --compressed d vz+ssh://x/system"}\n'
          '{"id": "b", "hypervisor": "qemu", "state": "running", "flags": ["LIVE"]}\n')
    ff = fix_text(jl, "p.jsonl", "jsonl", policies, Defaults(), evaluator)
    assert ff.new == jl.replace("--p2p --compressed d", "--p2p d")


def test_missing_flags_key_is_added(policies, evaluator):
    plan = "- id: x\n  hypervisor: qemu\n  state: running\n  params: {tls.destination: h}\n  facts: {host.migrate_tls_force: true}\n"
    ff = fix_text(plan, "x.yaml", "yaml", policies, Defaults(), evaluator)
    assert ff.new == plan + "  flags: [TLS]\n"


def test_cli_in_place_keeps_permissions_and_leaves_clean_files_alone(tmp_path, capsys):
    bad = tmp_path / "evac.sh"
    bad.write_text("virsh migrate --offline d qemu+ssh://dst/system\n")
    bad.chmod(0o751)
    good = tmp_path / "ok.sh"
    good.write_text("virsh migrate --offline --persistent d qemu+ssh://dst/system\n")
    inode, mtime = good.stat().st_ino, good.stat().st_mtime_ns
    assert main(["fix", "--state", "shutoff", str(tmp_path)]) == 1  # a diff is pending
    assert "+virsh migrate --persistent --offline" in capsys.readouterr().out
    assert bad.read_text() == "virsh migrate --offline d qemu+ssh://dst/system\n"
    assert main(["fix", "--in-place", "--state", "shutoff", str(tmp_path)]) == 0
    assert bad.read_text() == "virsh migrate --persistent --offline d qemu+ssh://dst/system\n"
    assert stat.S_IMODE(bad.stat().st_mode) == 0o751
    assert (good.stat().st_ino, good.stat().st_mtime_ns) == (inode, mtime)
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]
    assert main(["fix", "--state", "shutoff", str(tmp_path)]) == 0


def test_cli_command(capsys):
    assert main(["fix", "--state", "running", "--command", "virsh migrate --p2p --compressed d vz+ssh://x/system"]) == 0
    assert capsys.readouterr().out == "virsh migrate --p2p d vz+ssh://x/system\n"
    assert main(["fix", "--state", "running", "--command",
                 "virsh migrate --live --p2p --tunnelled --postcopy d qemu+ssh://x/system"]) == 1
    captured = capsys.readouterr()
    assert "Q051" in captured.err


def test_fixed_command_passes_check(capsys):
    main(["fix", "--hypervisor", "vz-2015", "--state", "running", "--command", "virsh migrate --p2p dom vz+ssh://dst/system"])
    fixed = capsys.readouterr().out.strip()
    assert fixed == "virsh migrate --live --persistent --compressed --p2p dom vz+ssh://dst/system"
    assert main(["check", "--hypervisor", "vz-2015", "--state", "running", "--command", fixed]) == 0
