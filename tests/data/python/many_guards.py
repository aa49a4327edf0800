"""Ten independent options: 1024 flag sets, more than the reader follows by default."""
import libvirt


def migrate(dom, dest, o):
    flags = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER
    if o.a:
        flags |= libvirt.VIR_MIGRATE_TUNNELLED
    if o.b:
        flags |= libvirt.VIR_MIGRATE_PERSIST_DEST
    if o.c:
        flags |= libvirt.VIR_MIGRATE_UNDEFINE_SOURCE
    if o.d:
        flags |= libvirt.VIR_MIGRATE_PAUSED
    if o.e:
        flags |= libvirt.VIR_MIGRATE_CHANGE_PROTECTION
    if o.f:
        flags |= libvirt.VIR_MIGRATE_UNSAFE
    if o.g:
        flags |= libvirt.VIR_MIGRATE_COMPRESSED
    if o.h:
        flags |= libvirt.VIR_MIGRATE_ABORT_ON_ERROR
    if o.i:
        flags |= libvirt.VIR_MIGRATE_AUTO_CONVERGE
    if o.j:
        flags |= libvirt.VIR_MIGRATE_TLS
    dom.migrateToURI3(dest, {}, flags)
    dom.migrateToURI3(dest, {}, libvirt.VIR_MIGRATE_LIVE)
