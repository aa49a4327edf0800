"""The core issue's acceptance cases, through the real CLI entry point and JSON output."""

from __future__ import annotations

import json

from miglint.cli.app import main


def run_json(capsys, *args):
    code = main(["check", "--format", "json", "--json-schema-version", "1", *args])
    out = capsys.readouterr().out
    doc = json.loads(out)
    assert doc["schema"] == "miglint-result/1"
    return code, doc["results"][0]


def test_vz_2015_demands_all_three_flags_at_once(capsys):
    code, r = run_json(capsys, "--hypervisor", "vz-2015", "--state", "running",
                       "--command", "virsh migrate --p2p dom vz+ssh://dst/system")
    assert code == 1
    assert r["prediction"] == "rejected"
    messages = [f["message"] for f in r["findings"]]
    assert any("VIR_MIGRATE_PERSIST_DEST must be set" in m for m in messages)
    assert any("VIR_MIGRATE_LIVE must be set" in m for m in messages)
    assert any("VIR_MIGRATE_COMPRESSED must be set" in m for m in messages)
    assert sorted(r["fix"]["add_flags"]) == ["VIR_MIGRATE_COMPRESSED", "VIR_MIGRATE_LIVE", "VIR_MIGRATE_PERSIST_DEST"]
    assert r["fix"]["prediction_after"] == "accepted"


def test_shipped_vz_refuses_compressed(capsys):
    code, r = run_json(capsys, "--hypervisor", "vz", "--libvirt-version", "9.0.0", "--state", "running",
                       "--command", "virsh migrate --p2p --compressed dom vz+ssh://dst/system")
    assert code == 1
    assert r["prediction"] == "rejected"
    assert r["first_error"]["message"] == "unsupported flags (0x800) in function vzDomainMigratePerform3Params"
    assert r["first_error"]["code"] == "VIR_ERR_INVALID_ARG"


def test_qemu_offline_needs_persistent(capsys):
    code, r = run_json(capsys, "--hypervisor", "qemu", "--libvirt-version", "9.0.0", "--state", "shutoff",
                       "--command", "virsh migrate --offline dom qemu+ssh://dst/system")
    assert code == 1
    assert r["prediction"] == "rejected"
    assert r["first_error"]["message"].endswith("offline migration must be specified with the persistent flag set")
    assert r["first_error"]["code"] == "VIR_ERR_OPERATION_INVALID"


def test_qemu_live_p2p_is_accepted(capsys):
    code, r = run_json(capsys, "--hypervisor", "qemu", "--state", "running",
                       "--command", "virsh migrate --live --p2p dom qemu+ssh://dst/system")
    assert code == 0
    assert r["prediction"] == "accepted" and r["findings"] == [] and r["first_error"] is None
    assert r["mode"] == "p2p" and r["flags"] == ["VIR_MIGRATE_LIVE", "VIR_MIGRATE_PEER2PEER"]


def test_a_command_without_offline_is_taken_to_move_a_running_domain(capsys):
    code, r = run_json(capsys, "--hypervisor", "qemu", "--command", "virsh migrate --live --p2p dom qemu+ssh://dst/system")
    assert r["prediction"] == "accepted" and r["state"] == "active" and code == 0
    assert r["assumed"] == ["the domain is running or paused: a migration without --offline moves the memory of a "
                            "domain that runs"]


def test_what_depends_on_the_state_does_not_fail_unless_asked(capsys):
    argv = ["--hypervisor", "qemu", "--command", "virsh migrate --live --p2p --postcopy dom qemu+ssh://dst/system"]
    code, r = run_json(capsys, *argv)
    assert r["prediction"] == "depends" and r["depends_on"] == ["state"] and code == 0  # refused if dom is paused
    assert [(f["rule"], f["depends_on"]) for f in r["findings"]] == [("Q090", ["state"])]
    code, r = run_json(capsys, "--fail-on-depends", *argv)
    assert code == 1
    code, r = run_json(capsys, "--state", "running", *argv)
    assert r["prediction"] == "accepted" and r["assumed"] == [] and code == 0
