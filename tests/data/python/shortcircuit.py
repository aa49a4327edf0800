"""Guards inside expressions: and/or, conditional expressions, getattr with a default, and except."""
import libvirt

try:
    ZEROCOPY = libvirt.VIR_MIGRATE_ZEROCOPY
except AttributeError:
    ZEROCOPY = 0


def move(dom, cfg, dest):
    flags = libvirt.VIR_MIGRATE_LIVE | (cfg.tls and libvirt.VIR_MIGRATE_TLS)
    if cfg.disks and not cfg.shared:
        flags |= libvirt.VIR_MIGRATE_NON_SHARED_DISK
    dom.migrateToURI3(dest, {}, flags)


def pick(dom, cfg, dest):
    flags = libvirt.VIR_MIGRATE_PEER2PEER if cfg.p2p else 0
    dom.migrateToURI(dest, flags | libvirt.VIR_MIGRATE_LIVE)


def compat(dom, dest):
    flags = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER | ZEROCOPY
    flags |= getattr(libvirt, "VIR_MIGRATE_PARALLEL", 0)
    params = {}
    params.update({"parallel.connections": 4}, bandwidth=1024)
    params.setdefault("bandwidth", 10)
    dom.migrateToURI3(dest, params, flags)
