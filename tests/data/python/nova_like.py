"""Flags parsed once from configuration into attributes, chosen per call and rewritten after (OpenStack Nova)."""
import libvirt

CONF = None


class Driver:
    def __init__(self):
        self._parse_migration_flags()

    def _parse_migration_flags(self):
        live = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER | libvirt.VIR_MIGRATE_UNDEFINE_SOURCE
        if CONF.libvirt.live_migration_tunnelled:
            live |= libvirt.VIR_MIGRATE_TUNNELLED
        self._live_migration_flags = live
        self._block_migration_flags = live | libvirt.VIR_MIGRATE_NON_SHARED_INC

    def _live_migration(self, guest, dest, block_migration, device_names):
        if block_migration:
            migration_flags = self._block_migration_flags
        else:
            migration_flags = self._live_migration_flags
        params = {
            "bandwidth": CONF.libvirt.live_migration_bandwidth,
            "destination_xml": guest.xml,
            "migrate_disks": device_names,
        }
        if migration_flags & libvirt.VIR_MIGRATE_TUNNELLED != 0:
            params.pop("migrate_disks")
        if not device_names:
            migration_flags &= ~libvirt.VIR_MIGRATE_NON_SHARED_INC
        guest.domain.migrateToURI3(dest, params=params, flags=migration_flags)
