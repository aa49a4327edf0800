"""A base of LIVE|PEER2PEER, then flags switched on by the configuration (the shape of oVirt VDSM)."""
import libvirt


class SourceThread:
    def __init__(self, vm, cfg):
        self._dom = vm.dom
        self._encrypted = cfg.encrypted
        self._compressed = cfg.compressed
        self._zerocopy = cfg.zerocopy

    def _calculate_migration_flags(self):
        flags = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER
        if self._encrypted:
            flags |= libvirt.VIR_MIGRATE_TLS
        if self._zerocopy:
            if hasattr(libvirt, "VIR_MIGRATE_ZEROCOPY"):
                flags |= libvirt.VIR_MIGRATE_ZEROCOPY
        return flags

    def _perform_migration(self, duri, muri):
        params = {libvirt.VIR_MIGRATE_PARAM_URI: str(muri)}
        if self._encrypted:
            params[libvirt.VIR_MIGRATE_PARAM_TLS_DESTINATION] = "dst.example.org"
        flags = self._calculate_migration_flags()
        self._dom.migrateToURI3(duri, params, flags)
