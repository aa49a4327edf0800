import libvirt


def quiet(dom, dest):
    # miglint: ignore[Q051] the destination checks this itself
    dom.migrateToURI3(dest, {}, libvirt.VIR_MIGRATE_LIVE)
    dom.migrateToURI(dest, libvirt.VIR_MIGRATE_LIVE)  # miglint: ignore[Q051, Q052] -- old host
    dom.migrateToURI(dest, 0)
    # miglint: disable=Q051 -- the shell spelling
    dom.migrateToURI(dest, 0)
    # miglint: ignore[] no rule
    dom.migrateToURI(dest, 0)
