"""Python source that calls libvirt-python's migrate APIs (or runs virsh): read with ``ast``, never run."""
