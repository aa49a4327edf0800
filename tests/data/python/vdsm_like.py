"""The shape of oVirt VDSM's migration source thread."""
import libvirt


class SourceThread:
    def __init__(self, vm, cfg, schedule):
        self._vm = vm
        self._dom = vm.dom
        self._tunnelled = cfg.tunnelled
        self._abort_on_error = cfg.abort_on_error
        self._compressed = cfg.compressed
        self._auto_converge = cfg.auto_converge
        self._encrypted = cfg.encrypted
        self._parallel = cfg.parallel
        self._zerocopy = cfg.zerocopy
        self._persistent = cfg.persistent
        self._convergence_schedule = schedule

    def _migration_flags(self):
        flags = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER
        if self._tunnelled:
            flags |= libvirt.VIR_MIGRATE_TUNNELLED
        if self._abort_on_error:
            flags |= libvirt.VIR_MIGRATE_ABORT_ON_ERROR
        if self._compressed:
            flags |= libvirt.VIR_MIGRATE_COMPRESSED
        if self._auto_converge:
            flags |= libvirt.VIR_MIGRATE_AUTO_CONVERGE
        if self._encrypted:
            flags |= libvirt.VIR_MIGRATE_TLS
        if self._parallel:
            flags |= libvirt.VIR_MIGRATE_PARALLEL
        if self._zerocopy:
            flags |= libvirt.VIR_MIGRATE_ZEROCOPY
        if self._persistent:
            flags |= libvirt.VIR_MIGRATE_PERSIST_DEST
        for step in self._convergence_schedule["stalling"]:
            if step["action"]["name"] == "postcopy":
                flags |= libvirt.VIR_MIGRATE_POSTCOPY
                break
        return flags

    def _perform_migration(self, duri, muri):
        params = {libvirt.VIR_MIGRATE_PARAM_URI: str(muri)}
        if self._parallel:
            params[libvirt.VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS] = 4
        if self._encrypted:
            params[libvirt.VIR_MIGRATE_PARAM_TLS_DESTINATION] = "dst.example.org"
        self._dom.migrateToURI3(duri, params, self._migration_flags())
