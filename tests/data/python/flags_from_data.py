"""Flag names read from a TOML file and looked up on the module; a literal list of names is followed."""
import tomllib

import libvirt


def flags_for(names):
    flags = 0
    for name in names:
        flags |= getattr(libvirt, "VIR_MIGRATE_" + name.upper())
    return flags


def from_file(dom, path):
    with open(path, "rb") as f:
        cfg = tomllib.load(f)
    dom.migrateToURI3(cfg["dest"], {}, flags_for(cfg["flags"]))


def from_literal(dom):
    flags = 0
    for name in ("LIVE", "PEER2PEER", "TLS"):
        flags |= getattr(libvirt, "VIR_MIGRATE_" + name)
    dom.migrateToURI3("qemu+tls://dst/system", {}, flags)
