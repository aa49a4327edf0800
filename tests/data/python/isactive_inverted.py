"""isActive() read the wrong way round: LIVE goes to shut-off domains, OFFLINE to running ones."""
import libvirt


def evacuate(conn, dest):
    for dom in conn.listAllDomains():
        flags = libvirt.VIR_MIGRATE_PEER2PEER | libvirt.VIR_MIGRATE_PERSIST_DEST
        if dom.isActive():
            flags |= libvirt.VIR_MIGRATE_OFFLINE
        else:
            flags |= libvirt.VIR_MIGRATE_LIVE
        dom.migrateToURI3(dest, {}, flags)
