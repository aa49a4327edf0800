"""A migration source thread in the shape of oVirt VDSM's: a base of flags, then what the configuration
switches on; typed parameters from libvirt's constants. Never run by miglint, only read."""
import libvirt


class MigrationSource:
    def __init__(self, dom, cfg):
        self._dom = dom
        self._compressed = cfg.getboolean("migration", "compressed")
        self._parallel = cfg.getboolean("migration", "parallel")
        self._encrypted = cfg.getboolean("migration", "encrypted")

    def _flags(self):
        flags = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER | libvirt.VIR_MIGRATE_PERSIST_DEST
        if self._compressed:
            flags |= libvirt.VIR_MIGRATE_COMPRESSED
        if self._parallel:
            flags |= libvirt.VIR_MIGRATE_PARALLEL
        if self._encrypted:
            flags |= libvirt.VIR_MIGRATE_TLS
        return flags

    def migrate(self, dest_host):
        params = {libvirt.VIR_MIGRATE_PARAM_BANDWIDTH: 1024}
        if self._parallel:
            params[libvirt.VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS] = 4
        self._dom.migrateToURI3(f"qemu+tls://{dest_host}/system", params, self._flags())
