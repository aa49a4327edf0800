"""The Python API returns exactly what the CLI's JSON prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import miglint
from miglint.cli.app import main

ROOT = Path(__file__).resolve().parents[2]
PLAN = "tests/data/mixed.plan.yaml"


def cli_json(capsys, *args):
    main(["check", "--no-config", "--format", "json", "--json-schema-version", "1", *args])
    return json.loads(capsys.readouterr().out)


def test_check_is_the_cli_document(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert miglint.check([PLAN]) == cli_json(capsys, PLAN)
    args = dict(hypervisor="vz-2015", state="running")
    cmd = "virsh migrate --p2p dom vz+ssh://dst/system"
    assert miglint.check(commands=[cmd], **args) == cli_json(capsys, "--hypervisor", "vz-2015", "--state", "running",
                                                             "--command", cmd)


def test_check_with_org_policy_and_script(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    api = miglint.check(["examples/evacuate.sh"], policy_dirs=["examples/policies"], hypervisor="acme-qemu")
    assert api == cli_json(capsys, "--policy-dir", "examples/policies", "--hypervisor", "acme-qemu",
                           "examples/evacuate.sh")
    assert api["results"] and {"ACME001"} <= {f["rule"] for r in api["results"] for f in r["findings"]}


def test_command_result_dict_is_the_cli_result(capsys):
    cmd = "virsh migrate --offline --undefinesource db qemu+ssh://kvm-08/system"
    job, result = miglint.check_command_job(cmd, state="shutoff", libvirt_version="9.0.0")
    got = miglint.result_to_dict(result, job)
    want = cli_json(capsys, "--state", "shutoff", "--libvirt-version", "9.0.0", "--command", cmd)["results"][0]
    assert got == want and got["fix"] is not None


def test_request_result_dict_matches_a_plan_entry(capsys, tmp_path):
    plan = tmp_path / "p.plan.yaml"
    plan.write_text("- {hypervisor: qemu, state: shutoff, flags: [OFFLINE, PEER2PEER], libvirt_version: '9.0.0'}\n")
    want = cli_json(capsys, str(plan))["results"][0]
    result = miglint.check_request("qemu", state="shutoff", flags=["OFFLINE", "VIR_MIGRATE_PEER2PEER"],
                                   libvirt_version="9.0.0")
    got = miglint.result_to_dict(result)
    assert (got["id"], got["command"], got["location"]) == (None, None, None)
    for doc in (got, want):  # what only an input file knows: its id and positions
        doc.pop("id"), doc.pop("location")
        for f in doc["findings"]:
            f.pop("location")
    assert got == want


def test_flags_as_int_and_typed_results():
    result = miglint.check_request("qemu", state="shutoff", flags=0x400 | 0x2)
    assert isinstance(result, miglint.Result)
    assert result.prediction == "rejected" and result.first_error.rule == "Q053"
    assert all(isinstance(f, miglint.Finding) for f in result.findings)


def test_shared_policies_and_errors():
    ps = miglint.load_policies([ROOT / "examples" / "policies"])
    r = miglint.check_request("acme-qemu", state="running", flags=["LIVE", "PEER2PEER"], policies=ps)
    assert r.prediction == "accepted" and [f.rule for f in r.findings] == ["ACME001"]
    with pytest.raises(miglint.UserError, match="unknown hypervisor 'kvm'"):
        miglint.check_request("kvm")
    with pytest.raises(miglint.UserError, match="invalid state"):
        miglint.check(commands=["virsh migrate d qemu+ssh://x/system"], state="up")
    doc = miglint.check(["no/such/file.sh"])
    assert doc["errors"] == [{"where": "no/such/file.sh", "message": "no such file or directory"}]


def test_check_gives_the_compact_document_when_asked(capsys, monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    main(["check", "--no-config", "--format", "json", PLAN])
    assert miglint.check([PLAN], json_schema_version="2") == json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("call,message", [
    (lambda: miglint.check_command(None), "command must be a string, got nothing (None)"),
    (lambda: miglint.check_command(5), "command must be a string, got an int"),
    (lambda: miglint.check_command(["virsh", "migrate"]), "command must be a string, got a list"),
    (lambda: miglint.check(paths=None), "paths must be a list of paths"),
    (lambda: miglint.check(commands=[1]), "commands must be a list of strings"),
    (lambda: miglint.check(fail_on="eror"), "fail_on is one of error, warning, info, got 'eror'"),
    (lambda: miglint.check(json_schema_version=2), "json_schema_version is a string, one of 1, 2, got an int"),
    (lambda: miglint.result_to_dict(None), "result_to_dict takes a Result"),
    (lambda: miglint.check_request("qemu", params={None: 1}), "a parameter's name is a string, got null"),
])
def test_wrong_types_are_user_errors(call, message):
    with pytest.raises(miglint.UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_one_path_or_one_command_is_a_list_of_one(tmp_path, monkeypatch):
    (tmp_path / "a.plan.yaml").write_text("- {id: a, hypervisor: qemu, state: running, flags: [LIVE, PEER2PEER]}\n")
    monkeypatch.chdir(tmp_path)
    assert miglint.check("a.plan.yaml")["summary"]["requests"] == 1
    assert miglint.check(tmp_path / "a.plan.yaml")["summary"]["requests"] == 1
    assert miglint.check(commands="virsh migrate --live --p2p d qemu+ssh://h/system")["summary"]["requests"] == 1


def test_the_api_assumes_what_the_command_line_assumes(capsys):
    """No state given: the API takes the state the command line takes (and says it on the job), so both agree."""
    line = "virsh migrate d xen+ssh://h/system"
    job, result = miglint.check_command_job(line)
    assert job.assumed and "running or paused" in job.assumed[0]
    assert main(["check", "--no-config", "--format", "json", "--json-schema-version", "1", "--command", line]) == 0
    cli = json.loads(capsys.readouterr().out)["results"][0]
    assert (result.prediction, result.request.state) == (cli["prediction"], cli["state"])
    assert miglint.check_request("qemu", flags=["LIVE", "PEER2PEER"]).request.state == "active"
    assert miglint.check_request("qemu", flags=["OFFLINE", "PERSIST_DEST"]).request.state == "unknown"
