import libvirt


def quiet(dom, dest):
    # miglint: ignore[A010] the destination checks this itself
    dom.migrateToURI3(dest, {}, libvirt.VIR_MIGRATE_LIVE)
    dom.migrateToURI(dest, libvirt.VIR_MIGRATE_LIVE)  # miglint: ignore[A010, Q052] -- old host
    dom.migrateToURI(dest, 0)
    # miglint: disable=direct-migration-unsupported -- the shell spelling
    dom.migrateToURI(dest, 0)
    # miglint: ignore[] no rule
    dom.migrateToURI(dest, 0)
