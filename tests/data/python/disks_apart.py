"""A constant base, and the disks to copy chosen apart from the copy-storage flag."""
from libvirt import VIR_MIGRATE_LIVE, VIR_MIGRATE_NON_SHARED_DISK, VIR_MIGRATE_PARAM_MIGRATE_DISKS
import libvirt as lv

BASE_FLAGS = VIR_MIGRATE_LIVE | lv.VIR_MIGRATE_PEER2PEER | lv.VIR_MIGRATE_PERSIST_DEST


def run(dom, job):
    flags = BASE_FLAGS
    if job.copy_storage:
        flags |= VIR_MIGRATE_NON_SHARED_DISK
    params = {}
    if job.disks:
        params[VIR_MIGRATE_PARAM_MIGRATE_DISKS] = job.disks
    dom.migrateToURI3(job.dest, params, flags)
