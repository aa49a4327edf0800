"""One migration with everything written in the call."""
import libvirt


def move(conn):
    dom = conn.lookupByName("web1")
    dom.migrateToURI3(
        "qemu+ssh://dst.example.org/system",
        {libvirt.VIR_MIGRATE_PARAM_BANDWIDTH: 100, "migrate_uri": "tcp://10.0.0.2"},
        libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER,
    )


def old_api(dom, dconn):
    dom.migrate(dconn, libvirt.VIR_MIGRATE_LIVE, "web1-new", None, 0)
    dom.migrateToURI("tcp://10.0.0.3", flags=3, bandwidth=50)
