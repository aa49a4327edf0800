import libvirt


def broken(dom):
    dom.migrateToURI("qemu+ssh://x/system", libvirt.VIR_MIGRATE_LIVE
    return (
