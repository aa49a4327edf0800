import libvirt


class VM:
    def __init__(self, conn, name): self.dom = conn.lookupByName(name)

    def migrate(self, dest_host, extra_flags=0):
        flags = libvirt.VIR_MIGRATE_PEER2PEER | extra_flags
        self.dom.migrateToURI3("qemu+ssh://%s/system" % dest_host, {}, flags)


def evacuate(conn, names, target):
    for name in names:
        VM(conn, name).migrate(target, libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_TUNNELLED)


def schema(t):
    t.migrate()  # a database migration, not a domain's
    t.migrate("0042")
