"""The domain's state from an isActive() guard: offline when it is not running."""
import libvirt


def migrate(dom, dest):
    if not dom.isActive():
        flags = libvirt.VIR_MIGRATE_OFFLINE | libvirt.VIR_MIGRATE_PERSIST_DEST
    else:
        flags = libvirt.VIR_MIGRATE_LIVE
    flags |= libvirt.VIR_MIGRATE_PEER2PEER
    dom.migrateToURI3(dest, {}, flags)


def only_running(dom, dest):
    if dom.isActive() == 0:
        raise RuntimeError("not running")
    dom.migrateToURI(dest, libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER)
