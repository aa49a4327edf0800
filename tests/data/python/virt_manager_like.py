"""flags = 0, then one |= per option the user ticked; a tunnelled migration goes another way (virt-manager)."""
import libvirt


def migrate(vm, destconn, dest_uri, tunnel, unsafe, temporary, xml):
    flags = 0
    flags |= libvirt.VIR_MIGRATE_LIVE
    if not temporary:
        flags |= libvirt.VIR_MIGRATE_PERSIST_DEST
        flags |= libvirt.VIR_MIGRATE_UNDEFINE_SOURCE
    if unsafe:
        flags |= libvirt.VIR_MIGRATE_UNSAFE

    params = {}
    if xml:
        params[libvirt.VIR_MIGRATE_PARAM_DEST_XML] = xml

    if tunnel:
        flags |= libvirt.VIR_MIGRATE_PEER2PEER | libvirt.VIR_MIGRATE_TUNNELLED
        vm.migrateToURI3(dest_uri, params, flags)
    else:
        vm.migrate3(destconn, params, flags)
