"""The domain XML adapter: XML text -> domain.* facts, as libvirt's qemuMigrationSrcIsSafe sees the disks."""

from __future__ import annotations

from pathlib import Path

import pytest

from miglint.errors import UserError
from miglint.inputs import domainxml as dx
from miglint.model import UNKNOWN

DATA = Path(__file__).resolve().parents[2] / "data" / "domains"
MIXED = (DATA / "mixed.xml").read_text()


def disk_xml(*disks: str, name: str = "d") -> str:
    return f"<domain type='kvm'><name>{name}</name><devices>{''.join(disks)}</devices></domain>"


def file_disk(target: str, path: str, extra: str = "", cache: str | None = None) -> str:
    driver = f"<driver name='qemu' cache='{cache}'/>" if cache else ""
    return f"<disk type='file' device='disk'>{driver}<source file='{path}'/><target dev='{target}'/>{extra}</disk>"


def test_every_kind_of_disk():
    info = dx.domain_info(MIXED, "mixed.xml")
    assert info.name == "mixed" and info.uuid == "6d6c6300-0000-4000-8000-0000000000aa"
    by = {d.target: d for d in info.disks}
    assert list(by) == ["vda", "vdb", "vdc", "sda", "vdd", "sdb", "vde"]
    assert by["vda"] == dx.Disk("vda", "disk", "file", "/var/lib/libvirt/images/mixed.qcow2", False, False, "none", True)
    assert by["vdb"].cache == "default" and by["vdc"].readonly
    assert by["sda"].device == "cdrom" and by["sda"].readonly and not by["sda"].has_source
    assert by["vdd"].type == "network" and by["vdd"].path is None and by["vdd"].has_source
    assert by["sdb"] == dx.Disk("sdb", "lun", "block", "/dev/mapper/shared-lun", False, True, "directsync", True)
    assert info.hostdevs == 2  # <hostdev> and <interface type='hostdev'>, not the plain interface
    assert info.memory_hard_limit == 2048 * 1024


def test_facts_without_knowing_where_files_live():
    f = dx.facts(dx.domain_info(MIXED))
    assert f["domain.disk_targets"] == ("vda", "vdb", "vdc", "sda", "vdd", "sdb", "vde")
    # vda, vdb and vde are files on storage nothing describes: the answer is unknown, not a guess
    assert f["domain.local_disks"] is UNKNOWN and f["domain.cache_unsafe_disks"] is UNKNOWN
    assert f["domain.shareable_local_disks"] == ()  # the only shareable disk is a block device
    assert f["domain.hostdevs"] == 2 and f["domain.memory_hard_limit"] == 2097152 and f["domain.name"] == "mixed"


def test_facts_with_shared_and_cluster_paths():
    storage = dx.prefix_storage(shared=["/mnt/nfs"], cluster=["/gfs2/"])
    f = dx.facts(dx.domain_info(MIXED), storage)
    assert f["domain.local_disks"] == ("vda",)
    # vdb: on NFS with the default cache mode; vde (cluster) and vdd (network) are safe with any cache mode
    assert f["domain.cache_unsafe_disks"] == ("vdb",)


def test_prefixes_match_whole_directories_and_the_longest_wins():
    storage = dx.prefix_storage(shared=["/srv"], cluster=["/srv/gfs"])
    assert storage("/srv/a.img") == "shared" and storage("/srv/gfs/a.img") == "cluster"
    assert storage("/srvx/a.img") == "local" and storage("/srv") == "shared"


def test_host_facts_describe_storage():
    assert dx.host_storage({}) is None
    storage = dx.host_storage({"host.shared_paths": "/mnt/nfs"})
    assert storage is not None and storage("/mnt/nfs/x") == "shared" and storage("/var/x") == "local"
    with pytest.raises(UserError, match="absolute directories"):
        dx.host_storage({"host.shared_paths": ("relative/dir",)})


@pytest.mark.parametrize("disk, local, cache", [
    (file_disk("vda", "/local/a.img", cache="none"), ("vda",), ()),
    (file_disk("vda", "/local/a.img"), ("vda",), ("vda",)),
    (file_disk("vda", "/local/a.img", "<readonly/>"), (), ()),
    (file_disk("vda", "/local/a.img", "<shareable/>"), ("vda",), ()),  # shareable: no cache check
    ("<disk type='file' device='disk'><target dev='vda'/></disk>", (), ()),  # no source
    ("<disk type='file' device='disk'><source file=''/><target dev='vda'/></disk>", (), ()),
    ("<disk type='block' device='disk'><source dev='/dev/sdb'/><target dev='vda'/></disk>", (), ("vda",)),
    ("<disk type='nvme' device='disk'><driver cache='none'/><source type='pci' managed='yes' namespace='1'>"
     "<address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source><target dev='vda'/></disk>", ("vda",), ()),
    ("<disk type='network' device='disk'><source protocol='nbd' name='x'><host name='h'/></source>"
     "<target dev='vda'/></disk>", (), ()),
    ("<disk device='disk'><source file='/local/a.img'/><target dev='vda'/></disk>", ("vda",), ("vda",)),  # type defaults to file
])
def test_one_disk(disk, local, cache):
    f = dx.facts(dx.domain_info(disk_xml(disk)), dx.prefix_storage(shared=["/mnt/nfs"]))
    assert f["domain.local_disks"] == local and f["domain.cache_unsafe_disks"] == cache
    assert f["domain.disk_targets"] == ("vda",)


def test_volume_disks_are_unknown_even_with_shared_paths():
    xml = disk_xml("<disk type='volume' device='disk'><driver cache='none'/><source pool='p' volume='v'/>"
                   "<target dev='vda'/></disk>")
    f = dx.facts(dx.domain_info(xml), dx.prefix_storage(shared=["/mnt/nfs"]))
    assert f["domain.local_disks"] is UNKNOWN and f["domain.cache_unsafe_disks"] == ()


def test_shareable_local_disks():
    xml = disk_xml(file_disk("vda", "/local/a.img", cache="none"), file_disk("vdb", "/local/b.img", "<shareable/>"))
    f = dx.facts(dx.domain_info(xml), dx.prefix_storage())
    assert f["domain.local_disks"] == ("vda", "vdb") and f["domain.shareable_local_disks"] == ("vdb",)
    assert dx.facts(dx.domain_info(xml))["domain.shareable_local_disks"] is UNKNOWN


@pytest.mark.parametrize("value, unit, kib", [("4", "GiB", 4194304), ("1000", "KB", 977), ("4194304", None, 4194304),
                                              ("1024", "b", 1), ("1", "M", 1024)])
def test_memory_hard_limit_units(value, unit, kib):
    attr = f" unit='{unit}'" if unit else ""
    xml = f"<domain><name>m</name><memtune><hard_limit{attr}>{value}</hard_limit></memtune></domain>"
    assert dx.domain_info(xml).memory_hard_limit == kib


def test_no_hard_limit_is_zero():
    assert dx.facts(dx.domain_info("<domain><name>m</name></domain>"))["domain.memory_hard_limit"] == 0


@pytest.mark.parametrize("text, where, message", [
    ("<?xml version='1.0'?>\n<!DOCTYPE domain [\n<!ENTITY a 'aaaa'>\n]>\n<domain><name>&a;</name></domain>",
     "x.xml:2:", "DOCTYPE declaration is refused"),
    ("<!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;'>]><domain>&lol2;</domain>",
     "x.xml:1:", "DOCTYPE declaration is refused"),
    ("<!DOCTYPE domain SYSTEM 'http://example.invalid/domain.dtd'><domain/>", "x.xml:1:", "DOCTYPE"),
    ("<domain>\n  <name>x</name>\n  <devices>\n</domain>\n", "x.xml:4:3", "malformed domain XML: mismatched tag"),
    ("<domain><name>x &undefined; y</name></domain>", "x.xml:1:", "malformed domain XML: undefined entity"),
    ("", "x.xml:1:1", "malformed domain XML: no element found"),
    ("<network><name>n</name></network>", "x.xml:1", "not a domain XML: the root element is <network>"),
    ("<domain><devices><disk type='file'><source file='/a'/></disk></devices></domain>", "x.xml:1",
     "a <disk> without <target dev=...>"),
    ("<domain><memtune><hard_limit unit='parsecs'>3</hard_limit></memtune></domain>", "x.xml:1",
     "invalid <hard_limit> '3' parsecs"),
])
def test_refused_and_malformed_documents(text, where, message):
    with pytest.raises(UserError) as e:
        dx.domain_info(text, "x.xml")
    assert message in e.value.message and str(e.value.where).startswith(where), str(e.value)


def test_entities_are_not_expanded_and_nothing_is_fetched(monkeypatch):
    import socket

    def no_network(*a, **k):
        raise AssertionError("the XML parser reached for the network")
    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(UserError, match="DOCTYPE"):
        dx.domain_info("<!DOCTYPE d [<!ENTITY x SYSTEM 'http://example.invalid/x'>]><domain>&x;</domain>")


def test_bytes_and_an_xml_declaration_with_an_encoding():
    text = "<?xml version='1.0' encoding='UTF-8'?>\n<domain><name>caf\u00e9</name></domain>"
    assert dx.domain_info(text.encode()).name == "caf\u00e9"


def test_writable_disks_are_what_libvirt_checks_whatever_their_storage():
    xml = ("<domain><devices><disk type='file' device='disk'><source file='/x/vda.img'/><target dev='vda'/></disk>"
           "<disk type='file' device='cdrom'><source file='/x/cd.iso'/><target dev='hdc'/><readonly/></disk>"
           "<disk type='file' device='cdrom'><target dev='hdd'/></disk>"
           "<disk type='network' device='disk'><source protocol='rbd' name='p/i'/><target dev='vdb'/></disk>"
           "</devices></domain>")
    f = dx.facts(dx.domain_info(xml))
    assert f["domain.writable_disks"] == ("vda", "vdb") and f["domain.disk_targets"] == ("vda", "hdc", "hdd", "vdb")
    assert f["domain.local_disks"] is UNKNOWN  # vda's storage is not known
