"""How conditions are decided: a module constant, an early return, a reassigned variable, hasattr."""
import libvirt

DEBUG = False


def migrate(dom, cfg, dest, probe, add_more):
    flags = libvirt.VIR_MIGRATE_LIVE | 1 << 25
    if DEBUG:
        flags |= libvirt.VIR_MIGRATE_UNSAFE
    if not cfg.tls:
        return
    if cfg.tls:
        flags |= libvirt.VIR_MIGRATE_TLS
    ok = probe()
    if ok:
        flags |= libvirt.VIR_MIGRATE_COMPRESSED
    ok = probe()
    if ok:
        flags |= libvirt.VIR_MIGRATE_COMPRESSED
    if hasattr(libvirt, "VIR_MIGRATE_ZEROCOPY"):
        flags |= getattr(libvirt, "VIR_MIGRATE_ZEROCOPY", 0)
    params = {"bandwidth": 10}
    add_more(params)
    dom.migrateToURI3(dest, params, flags)
