"""virsh migrate run from Python: argv lists, and strings a shell reads."""
import os
import subprocess
from subprocess import check_call as run_checked


def by_argv(vm, dest, extra):
    subprocess.run(["virsh", "migrate", "--live", "--p2p", vm, dest], check=True)
    cmd = ["/usr/bin/virsh", "-c", "qemu:///system", "migrate", "--live"]
    if extra:
        cmd.append("--compressed")
    run_checked(cmd + [vm, *extra])


def by_string(vm, dest):
    os.system("virsh migrate --live --persistent web1 qemu+ssh://dst/system")
    subprocess.call(f"virsh migrate --live {vm} {dest}", shell=True)
    os.popen("virsh migrate --offline %s %s" % (vm, "qemu+ssh://dst/system"))
    subprocess.run("virsh list --all", shell=True)
    subprocess.run(["ls", "-l"])
