"""POSTCOPY when the convergence schedule has a post-copy step: a loop that ORs one flag in and stops."""
import libvirt

POST_COPY = "postcopy"


def migration_flags(schedule):
    flags = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER
    for step in schedule.get("stalling", []):
        if step.get("action") == POST_COPY:
            flags |= libvirt.VIR_MIGRATE_POSTCOPY
            break
    return flags


def migrate(dom, dest, schedule, extra_flags):
    dom.migrateToURI3(dest, {}, migration_flags(schedule))
    flags = libvirt.VIR_MIGRATE_LIVE
    for name in extra_flags:
        flags |= getattr(libvirt, "VIR_MIGRATE_" + name)
        flags |= libvirt.VIR_MIGRATE_COMPRESSED
    dom.migrateToURI3(dest, {}, flags)
