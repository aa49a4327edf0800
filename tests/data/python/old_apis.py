"""The APIs without a parameter dict: their fixed arguments stand for typed parameters."""
import shlex
import subprocess

import libvirt

P2P = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER


def managed(dom, dconn, xml):
    dom.migrate2(dconn, xml, libvirt.VIR_MIGRATE_LIVE, dname="web2", uri="tcp://10.0.0.9", bandwidth=0)


def peer_to_peer(dom, dconn):
    dom.migrate(dconn, P2P, None, "qemu+tls://dst/system")
    dom.migrate2(libvirt.open("qemu+ssh://dst/system"), None, P2P, None, "tcp://10.0.0.9")


def by_uri(dom):
    dom.migrateToURI2("qemu+ssh://dst/system", "tcp://10.0.0.9", None, P2P, None, 100)
    dom.migrateToURI2(miguri="tcp://10.0.0.9", flags=libvirt.VIR_MIGRATE_LIVE)


class Guest:
    """A wrapper with libvirt's method name and other arguments: not libvirt-python's."""

    def migrate(self, destination, migrate_uri=None, flags=0):
        self._domain.migrateToURI3(destination, params={"migrate_uri": migrate_uri}, flags=flags)


def wrapper_user(guest):
    guest.migrate("qemu+ssh://dst/system", migrate_uri="tcp://x", flags=libvirt.VIR_MIGRATE_LIVE)


def split(vm):
    subprocess.run(shlex.split("virsh migrate --live web1 qemu+ssh://dst/system"), check=True)
