"""Facts beyond the command line: --fact, --host-fact, --qemu-version, --domain-xml and plan entries'
domain_xml / host / qemu_version, and how they meet each request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from miglint.cli.app import main
from miglint.errors import UserError
from miglint.inputs.context import parse_assignments, typed_value

DATA = Path(__file__).resolve().parents[2] / "data" / "domains"
WEB = """<domain type='kvm'>
  <name>web1</name>
  <uuid>6d6c6300-0000-4000-8000-0000000000b1</uuid>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='/var/lib/libvirt/images/web1.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk>
  </devices>
</domain>
"""
LIVE_P2P = "virsh migrate --live --p2p web1 qemu+ssh://dst/system"


def run_json(capsys, *args):
    code = main(["check", "--no-config", "--format", "json", "--json-schema-version", "1", *args])
    out = capsys.readouterr().out
    return code, json.loads(out)


def results(doc):
    return [(r["prediction"], [f["rule"] for f in r["findings"]]) for r in doc["results"]]


@pytest.fixture
def web(tmp_path):
    p = tmp_path / "web1.xml"
    p.write_text(WEB)
    return str(p)


@pytest.mark.parametrize("fact, text, value", [
    ("host.migrate_tls_force", "true", True), ("host.migrate_tls_force", "False", False),
    ("connection.readonly", "yes", True), ("domain.snapshots", "0", 0), ("domain.snapshots", "2", 2),
    ("qemu.version", "7.2", "7.2"), ("qemu.version", "9", "9"), ("domain.local_disks", "vda,vdb", ("vda", "vdb")),
    ("domain.local_disks", "vda,", ("vda",)), ("host.shared_paths", "/mnt/nfs", ("/mnt/nfs",)),
    ("domain.local_disks", "", ()), ("dest.hostname", "n2.example", "n2.example"),
])
def test_command_line_values_are_read_as_the_facts_type(policies, fact, text, value):
    assert typed_value(policies.vocab.facts[fact], text, "--fact") == value


@pytest.mark.parametrize("fact, text", [("domain.snapshots", "two"), ("host.migrate_tls_force", "maybe"),
                                        ("qemu.version", " ")])
def test_a_value_of_the_wrong_type_says_what_the_fact_takes(policies, fact, text):
    with pytest.raises(UserError, match=f"--fact {fact}=.*: takes "):
        typed_value(policies.vocab.facts[fact], text, "--fact")


def test_assignments(policies):
    vocab = policies.vocab
    assert parse_assignments(vocab, ["migrate_tls_force=true", "shared_paths=/a,/b"], "--host-fact", "host.") == {
        "host.migrate_tls_force": True, "host.shared_paths": ("/a", "/b")}
    assert parse_assignments(vocab, ["domain.snapshots=2"], "--fact") == {"domain.snapshots": 2}
    with pytest.raises(UserError, match="--fact takes NAME=VALUE"):
        parse_assignments(vocab, ["domain.snapshots"], "--fact")
    with pytest.raises(UserError, match="--fact: unknown fact 'snapshots' \\(did you mean 'domain.snapshots'\\?\\)"):
        parse_assignments(vocab, ["snapshots=2"], "--fact")
    with pytest.raises(UserError, match="--host-fact: unknown fact 'migrate_tls_forc' \\(did you mean 'migrate_tls_force'"):
        parse_assignments(vocab, ["migrate_tls_forc=true"], "--host-fact", "host.")


def test_host_fact_decides_a_qemu_conf_rule(capsys):
    base = ["--state", "running", "--command", LIVE_P2P]
    assert results(run_json(capsys, *base)[1]) == [("accepted", [])]
    code, doc = run_json(capsys, "--host-fact", "migrate_tls_force=true", *base)
    assert code == 1 and results(doc) == [("rejected", ["Q010"])]
    assert results(run_json(capsys, "--host-fact", "migrate_tls_force=1", *base[:-1], LIVE_P2P + " --tls")[1]) \
        == [("accepted", [])]


def test_fact_option(capsys):
    code, doc = run_json(capsys, "--fact", "domain.snapshots=2", "--state", "running", "--command", LIVE_P2P)
    assert results(doc) == [("rejected", ["Q031"])]
    assert "cannot migrate domain with 2 snapshots" in doc["results"][0]["findings"][0]["message"]


def test_qemu_version(capsys):
    cmd = ["--state", "running", "--libvirt-version", "9.0.0", "--command",
           "virsh migrate --live --p2p --comp-methods mt web1 qemu+ssh://dst/system"]
    assert results(run_json(capsys, *cmd)[1]) == [("accepted", [])]
    assert results(run_json(capsys, "--qemu-version", "7.2", *cmd)[1]) == [("accepted", [])]
    code, doc = run_json(capsys, "--qemu-version", "10.0.0", *cmd)
    assert results(doc) == [("rejected", ["Q120"])]
    assert doc["results"][0]["findings"][0]["message"] == \
        "argument unsupported: Migration option 'compress' is not supported by QEMU binary"


def test_bad_qemu_version_is_a_user_error(capsys):
    assert main(["check", "--no-config", "--qemu-version", "seven", "--command", LIVE_P2P]) == 2
    assert "invalid QEMU version 'seven'" in capsys.readouterr().err


def test_domain_xml_without_storage_facts_depends(capsys, web):
    code, doc = run_json(capsys, "--domain-xml", web, "--state", "running", "--command", LIVE_P2P)
    r = doc["results"][0]
    assert r["prediction"] == "depends" and r["depends_on"] == ["fact:domain.local_disks"]


@pytest.mark.parametrize("command, shared, expected", [
    (LIVE_P2P, "/mnt/nfs", ("rejected", ["Q033"])),
    (LIVE_P2P, "/var/lib/libvirt/images", ("accepted", [])),
    ("virsh migrate --live --p2p --copy-storage-all web1 qemu+ssh://dst/system", "/mnt/nfs", ("accepted", [])),
    ("virsh migrate --live --p2p --unsafe web1 qemu+ssh://dst/system", "/mnt/nfs", ("accepted", [])),
    ("virsh migrate --live --p2p --copy-storage-all --migrate-disks vda web1 qemu+ssh://dst/system", "/mnt/nfs",
     ("accepted", [])),
    ("virsh migrate --live --p2p --copy-storage-all --migrate-disks vdb web1 qemu+ssh://dst/system", "/mnt/nfs",
     ("rejected", ["Q033", "Q058"])),
    ("virsh migrate --live --p2p --copy-storage-all --migrate-disks vda,sda web1 qemu+ssh://dst/system", "/mnt/nfs",
     ("rejected", ["Q063"])),  # a CD-ROM is a disk target too, but an empty one has nothing to copy
    ("virsh migrate --live --p2p --copy-storage-all --migrate-disks vda web1 qemu+ssh://dst/system", None,
     ("accepted", [])),  # the only writable disk is copied: where it lives does not matter
])
def test_domain_xml_disk_rules(capsys, web, command, shared, expected):
    storage = ["--host-fact", f"shared_paths={shared}"] if shared else []
    code, doc = run_json(capsys, "--domain-xml", web, *storage,
                         "--state", "running", "--libvirt-version", "9.0.0", "--command", command)
    assert results(doc) == [expected]


def test_domain_xml_matches_by_name_or_uuid_and_notes_others(capsys, web):
    by_uuid = LIVE_P2P.replace("web1", "6d6c6300-0000-4000-8000-0000000000b1")
    code, doc = run_json(capsys, "--domain-xml", web, "--host-fact", "shared_paths=/nfs", "--state", "running",
                         "--command", by_uuid, "--command", LIVE_P2P.replace("web1", "db7"))
    assert results(doc) == [("rejected", ["Q033"]), ("accepted", [])]
    assert [(n["rule"], n["message"]) for n in doc["notes"]] == [
        ("M005", "no --domain-xml describes domain 'db7' (given: web1)")]


def test_bad_domain_xml_stops_the_run(capsys, tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<domain>\n<name>x</name>\n<devices>\n</domain>\n")
    assert main(["check", "--no-config", "--domain-xml", str(bad), "--command", LIVE_P2P]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:4:3: malformed domain XML: mismatched tag" in err and "Traceback" not in err
    assert main(["check", "--no-config", "--domain-xml", str(tmp_path / "none.xml"), "--command", LIVE_P2P]) == 2
    assert "cannot read domain XML" in capsys.readouterr().err


def test_plan_entries_with_domain_xml_host_and_qemu_version(capsys, tmp_path):
    (tmp_path / "xml").mkdir()
    (tmp_path / "xml" / "web1.xml").write_text(WEB)
    inline = WEB.replace("web1", "web2").replace("/var/lib/libvirt/images", "/mnt/nfs")
    plan = tmp_path / "p.plan.yaml"
    plan.write_text(
        "defaults: {state: running, libvirt_version: 9.0.0}\n"
        "migrations:\n"
        f"  - {{command: \"{LIVE_P2P}\", domain_xml: xml/web1.xml, host: {{shared_paths: [/mnt/nfs]}}}}\n"
        "  - command: virsh migrate --live --p2p web2 qemu+ssh://dst/system\n"
        "    host: {shared_paths: [/mnt/nfs]}\n"
        "    domain_xml: |\n" + "".join(f"      {line}\n" for line in inline.splitlines()) +
        "  - {command: \"virsh migrate --live --p2p --comp-methods mt web3 qemu+ssh://dst/system\", qemu_version: '9.1'}\n"
        "  - {hypervisor: qemu, flags: [LIVE, PEER2PEER], domain: web1, domain_xml: xml/web1.xml,\n"
        "     host: {shared_paths: [/mnt/nfs]}}\n")
    code, doc = run_json(capsys, str(plan))
    assert results(doc) == [("rejected", ["Q033"]), ("accepted", []), ("rejected", ["Q120"]), ("rejected", ["Q033"])]


def test_entry_facts_win_over_the_command_line(capsys, tmp_path):
    plan = tmp_path / "p.plan.yaml"
    plan.write_text(f"- {{command: \"{LIVE_P2P}\", state: running, host: {{migrate_tls_force: false}}}}\n"
                    f"- {{command: \"{LIVE_P2P}\", state: running}}\n")
    code, doc = run_json(capsys, "--host-fact", "migrate_tls_force=true", str(plan))
    assert results(doc) == [("accepted", []), ("rejected", ["Q010"])]


def test_bad_domain_xml_in_a_plan_is_reported_at_its_entry(capsys, tmp_path):
    plan = tmp_path / "p.plan.yaml"
    plan.write_text(f"- {{command: \"{LIVE_P2P}\", state: running, domain_xml: missing.xml}}\n"
                    f"- {{command: \"{LIVE_P2P}\", state: running, domain_xml: \"<domain><name>x</domain>\"}}\n"
                    f"- {{command: \"{LIVE_P2P}\", state: running, domain_xml: \"<!DOCTYPE d><domain/>\"}}\n")
    assert main(["check", "--no-config", str(plan)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{plan}:1:98: error: domain_xml {tmp_path}/missing.xml: cannot read domain XML: No such file or directory"
    assert out[1] == f"{plan}:2:98: error: domain_xml:1:18: malformed domain XML: mismatched tag"
    assert out[2].startswith(f"{plan}:3:98: error: domain_xml:1:") and "DOCTYPE declaration is refused" in out[2]


def test_connect_without_the_binding_says_how_to_get_it(capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "libvirt", None)  # import libvirt -> ImportError
    assert main(["check", "--no-config", "--connect", "qemu:///system", "--command", LIVE_P2P]) == 2
    err = capsys.readouterr().err
    assert "pip install 'miglint[live]'" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
