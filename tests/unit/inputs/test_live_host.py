"""check --connect with a stand-in libvirt module: what is read, what the lint makes of it, and proof that
only read-only calls are made (the real daemon is in tests/live/)."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from miglint.cli.app import main
from miglint.inputs.live import file_storage, fs_magic, fuse_type, is_local

# Every call miglint may make on a connection and a domain; anything else fails the test.
READ_ONLY = {"openReadOnly", "registerErrorHandler", "getLibVersion", "getType", "getVersion", "lookupByName",
             "lookupByUUIDString", "lookupByID", "close", "state", "isActive", "isPersistent", "snapshotNum", "XMLDesc"}


class FakeError(Exception):
    def get_error_message(self):
        return str(self)


class Recorder:
    """Records every method called on it; unknown names are recorded too (and fail the allow-list check)."""

    def __init__(self, log, methods):
        self._log, self._methods = log, methods

    def __getattr__(self, name):
        def call(*args):
            self._log.append((name, args))
            if name not in self._methods:
                raise AssertionError(f"miglint called {name}{args}: not a read-only call")
            return self._methods[name](*args)
        return call


def fake_libvirt(domains, log, version=9000000, qemu=7002000, driver="QEMU", refuse=False):
    lv = types.ModuleType("libvirt")
    lv.libvirtError = FakeError
    consts = dict(VIR_DOMAIN_NOSTATE=0, VIR_DOMAIN_RUNNING=1, VIR_DOMAIN_BLOCKED=2, VIR_DOMAIN_PAUSED=3,
                  VIR_DOMAIN_SHUTDOWN=4, VIR_DOMAIN_SHUTOFF=5, VIR_DOMAIN_CRASHED=6, VIR_DOMAIN_PMSUSPENDED=7,
                  VIR_DOMAIN_PAUSED_UNKNOWN=0, VIR_DOMAIN_PAUSED_USER=1, VIR_DOMAIN_PAUSED_MIGRATION=2,
                  VIR_DOMAIN_PAUSED_IOERROR=5, VIR_DOMAIN_PAUSED_POSTCOPY=12, VIR_DOMAIN_PAUSED_POSTCOPY_FAILED=13,
                  VIR_DOMAIN_RUNNING_UNKNOWN=0, VIR_DOMAIN_RUNNING_BOOTED=1, VIR_DOMAIN_RUNNING_POSTCOPY_FAILED=10,
                  VIR_DOMAIN_XML_SECURE=1, VIR_DOMAIN_XML_INACTIVE=2, VIR_DOMAIN_XML_MIGRATABLE=8)
    for k, v in consts.items():
        setattr(lv, k, v)

    def domain(d):
        return Recorder(log, {
            "state": lambda *a: (d["state"], d.get("reason", 1)),
            "isActive": lambda: int(d["state"] in (1, 2, 3, 4, 7)),
            "isPersistent": lambda: 1,
            "snapshotNum": lambda flags: d.get("snapshots", 0),
            "XMLDesc": lambda flags: d["xml"],
        })

    def lookup(name):
        if name not in domains:
            raise FakeError(f"Domain not found: no domain with matching name '{name}'")
        return domain(domains[name])

    def not_found(*a):
        raise FakeError("Domain not found")

    conn = Recorder(log, {"getLibVersion": lambda: version, "getType": lambda: driver, "getVersion": lambda: qemu,
                          "lookupByName": lookup, "lookupByUUIDString": not_found, "lookupByID": not_found,
                          "close": lambda: 0})

    def open_read_only(uri):
        log.append(("openReadOnly", (uri,)))
        if refuse:
            raise FakeError("Failed to connect socket to '/run/libvirt/libvirt-sock-ro': No such file or directory")
        return conn

    def forbidden(name):
        def call(*a, **k):
            log.append((name, a))
            raise AssertionError(f"miglint called libvirt.{name}: not read-only")
        return call
    lv.openReadOnly = open_read_only
    lv.registerErrorHandler = lambda *a: log.append(("registerErrorHandler", ()))
    for name in ("open", "openAuth"):
        setattr(lv, name, forbidden(name))
    return lv


def domain_xml(name, path, cache="none"):
    return (f"<domain type='kvm'><name>{name}</name><devices><disk type='file' device='disk'>"
            f"<driver name='qemu' type='raw' cache='{cache}'/><source file='{path}'/><target dev='vda'/></disk>"
            f"</devices></domain>")


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A stand-in host with domains on a local file; returns (domains, log)."""
    image = tmp_path / "images" / "web1.img"
    image.parent.mkdir()
    image.write_bytes(b"\0" * 4096)
    domains = {
        "web1": {"state": 1, "xml": domain_xml("web1", image)},
        "snap": {"state": 1, "snapshots": 2, "xml": "<domain><name>snap</name></domain>"},
        "stuck": {"state": 3, "reason": 5, "xml": "<domain><name>stuck</name></domain>"},
        "off": {"state": 5, "reason": 1, "xml": "<domain><name>off</name></domain>"},
        "pcfail": {"state": 3, "reason": 13, "xml": "<domain><name>pcfail</name></domain>"},
    }
    log = []
    monkeypatch.setitem(sys.modules, "libvirt", fake_libvirt(domains, log))
    return domains, log


def check(capsys, *args, uri="qemu:///system"):
    code = main(["check", "--no-config", "--format", "json", "--json-schema-version", "1", "--connect", uri, *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def cmd(domain, *opts):
    return ["--command", " ".join(["virsh migrate", *opts, domain, "qemu+ssh://dst/system"])]


def summary(doc):
    return [(r["hypervisor"], r["libvirt_version"], r["state"], r["prediction"], [f["rule"] for f in r["findings"]])
            for r in doc["results"]]


def test_local_disk_on_a_local_host_is_unsafe(capsys, host):
    code, doc, _ = check(capsys, *cmd("web1", "--live", "--p2p"))
    assert code == 1 and summary(doc) == [("qemu", "9.0.0", "running", "rejected", ["Q033"])]
    assert doc["results"][0]["findings"][0]["message"] == "Unsafe migration: Migration without shared storage is unsafe"
    code, doc, _ = check(capsys, *cmd("web1", "--live", "--p2p", "--copy-storage-all"))
    assert summary(doc) == [("qemu", "9.0.0", "running", "accepted", [])]
    code, doc, _ = check(capsys, *cmd("web1", "--live", "--p2p", "--copy-storage-all", "--migrate-disks", "vdz"))
    assert summary(doc) == [("qemu", "9.0.0", "running", "rejected", ["Q033", "Q058"])]


def test_a_remote_host_cannot_tell_where_files_live(capsys, host):
    code, doc, _ = check(capsys, *cmd("web1", "--live", "--p2p"), uri="qemu+ssh://src.example.com/system")
    assert summary(doc) == [("qemu", "9.0.0", "running", "depends", ["Q033"])]
    assert doc["results"][0]["depends_on"] == ["fact:domain.local_disks"]
    # ... unless the operator says
    image_dir = str(Path(host[0]["web1"]["xml"].split("file='")[1].split("'")[0]).parent)
    code, doc, _ = check(capsys, "--host-fact", f"shared_paths={image_dir}", *cmd("web1", "--live", "--p2p"),
                         uri="qemu+ssh://src.example.com/system")
    assert summary(doc) == [("qemu", "9.0.0", "running", "accepted", [])]


@pytest.mark.parametrize("domain, opts, expected", [
    ("snap", ["--live", "--p2p"], ("running", "rejected", ["Q031"])),
    ("stuck", ["--live", "--p2p", "--abort-on-error"], ("paused", "rejected", ["Q032"])),
    ("stuck", ["--live", "--p2p"], ("paused", "accepted", [])),
    ("off", ["--live", "--p2p"], ("shutoff", "rejected", ["Q030"])),
    ("off", ["--offline", "--persistent", "--p2p"], ("shutoff", "accepted", [])),
    ("web1", ["--live", "--p2p", "--postcopy", "--postcopy-resume", "--copy-storage-all"],
     ("running", "rejected", ["Q021"])),
    ("pcfail", ["--live", "--p2p", "--postcopy", "--postcopy-resume"], ("paused", "accepted", [])),
])
def test_state_rules_from_the_host(capsys, host, domain, opts, expected):
    code, doc, _ = check(capsys, *cmd(domain, *opts))
    assert summary(doc)[0][2:] == expected


def test_explicit_values_win_over_the_host(capsys, host):
    code, doc, _ = check(capsys, "--libvirt-version", "11.3.0", "--state", "shutoff", *cmd("web1", "--live", "--p2p"))
    # the host's state is the truth; the command line's version is a what-if
    assert summary(doc) == [("qemu", "11.3.0", "running", "rejected", ["Q033"])]
    code, doc, _ = check(capsys, "--fact", "domain.snapshots=0", *cmd("snap", "--live", "--p2p"))
    assert summary(doc) == [("qemu", "9.0.0", "running", "accepted", [])]


def test_qemu_version_comes_from_the_host(capsys, host, monkeypatch):
    log = []
    monkeypatch.setitem(sys.modules, "libvirt", fake_libvirt(host[0], log, qemu=10000000))
    code, doc, _ = check(capsys, *cmd("snap", "--live", "--p2p", "--comp-methods", "mt"), "--fact", "domain.snapshots=0")
    assert summary(doc) == [("qemu", "9.0.0", "running", "rejected", ["Q120"])]


def test_only_read_only_calls_and_each_domain_read_once(capsys, host):
    domains, log = host
    check(capsys, *cmd("web1", "--live", "--p2p"), *cmd("web1", "--offline", "--persistent"), *cmd("snap", "--live"))
    names = [n for n, _ in log]
    assert set(names) <= READ_ONLY, set(names) - READ_ONLY
    assert names[:2] == ["registerErrorHandler", "openReadOnly"] and names[-1] == "close"
    assert names.count("lookupByName") == 2 and names.count("XMLDesc") == 2
    assert ("XMLDesc", (0,)) in log  # the current definition: the live one of a running domain


def test_unknown_domain_is_an_input_error(capsys, host):
    code, doc, _ = check(capsys, *cmd("nope", "--live", "--p2p"), *cmd("web1", "--live", "--p2p"))
    assert code == 2 and summary(doc) == [("qemu", "9.0.0", "running", "rejected", ["Q033"])]
    assert doc["errors"][0]["message"] == "domain 'nope' not found on qemu:///system"


def test_connection_refused_is_one_line(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "libvirt", fake_libvirt({}, [], refuse=True))
    code = main(["check", "--no-config", "--connect", "qemu:///system", *cmd("web1", "--live")])
    err = capsys.readouterr().err
    assert code == 2 and "cannot connect to qemu:///system: Failed to connect socket" in err
    assert len(err.strip().splitlines()) == 1


def test_unknown_driver_leaves_the_hypervisor_to_the_command(capsys, host, monkeypatch):
    monkeypatch.setitem(sys.modules, "libvirt", fake_libvirt(host[0], [], driver="LXC"))
    code, doc, _ = check(capsys, *cmd("off", "--live", "--p2p"))
    assert summary(doc)[0][:3] == ("qemu", "9.0.0", "shutoff")


@pytest.mark.parametrize("uri, local", [("qemu:///system", True), ("qemu+unix:///system?socket=/tmp/s", True),
                                        ("qemu+ssh://h/system", False), ("qemu+tcp://10.0.0.1/system", False)])
def test_local_uris(uri, local):
    assert is_local(uri) is local


TABLE = {"fuse_magic": 0x65735546,
         "magic": [{"name": "nfs", "magic": 0x6969}, {"name": "gfs2", "magic": 0x01161970, "cluster": True}],
         "fuse": [{"name": "glusterfs", "type": "fuse.glusterfs", "cluster": True},
                  {"name": "quobyte", "type": "fuse.quobyte"}]}


@pytest.mark.parametrize("magic, fuse, expected", [
    (0x6969, None, "shared"), (0x01161970, None, "cluster"), (0xEF53, None, "local"),  # ext4
    (0x65735546, "fuse.glusterfs", "cluster"), (0x65735546, "fuse.quobyte", "shared"),
    (0x65735546, "fuse.sshfs", "local"),
])
def test_storage_from_the_filesystem_table(magic, fuse, expected):
    assert file_storage("/x/y.img", TABLE, magic=magic, fuse=fuse) == expected


def test_the_vocabulary_table_is_libvirts(policies):
    table = policies.vocab.shared_filesystems
    assert file_storage("/x", table, magic=0x6969) == "shared"
    assert file_storage("/x", table, magic=0xFF534D42) == "shared"  # CIFS: above 2**31
    assert file_storage("/x", table, magic=0x00C36400) == "cluster"  # CephFS


def test_statfs_walks_up_to_an_existing_directory(tmp_path):
    magic = fs_magic(str(tmp_path))
    assert isinstance(magic, int) and magic > 0
    assert fs_magic(str(tmp_path / "not" / "there.img")) == magic
    assert fs_magic("relative/path") is None


def test_fuse_mount_type_longest_prefix_and_escapes(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/vda / ext4 rw 0 0\n"
                      "gl:/vol /mnt/gluster fuse.glusterfs rw 0 0\n"
                      "sshfs#h: /mnt/gluster/sub\\040dir fuse.sshfs rw 0 0\n")
    assert fuse_type("/mnt/gluster/a.img", str(mounts)) == "fuse.glusterfs"
    assert fuse_type("/mnt/gluster/sub dir/a.img", str(mounts)) == "fuse.sshfs"
    assert fuse_type("/mnt/glusterfs/a.img", str(mounts)) == "ext4"
