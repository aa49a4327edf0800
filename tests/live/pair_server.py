#!/usr/bin/python3
"""A source and a destination libvirt 9.0.0 daemon with test domains that have a disk on local storage.

Runs under Debian's /usr/bin/python3 (the interpreter that imports python3-libvirt), started by
tests/live/conftest.py as ``unshare --pid --fork --kill-child --mount-proc /usr/bin/python3 pair_server.py
HARNESS_DIR``: everything it starts lives in a private PID namespace and dies with it. The daemons
themselves are the conformance harness's (``Daemon`` and ``classify`` of HARNESS_DIR/oracle.py: two privileged
libvirtd in private mount namespaces, unix sockets, loopback only, a destination that refuses the data
connection so that an accepted request stops there); this file only adds domains with disks.

Host-visible changes: none but the work directory under /tmp (sockets, disk images, logs). The domains' disks
are /var/lib/libvirt/images/NAME.img in each daemon's own /var/lib/libvirt (WORK/src/lib, WORK/dst/lib). The directories
the daemons' bind mounts need (/run/libvirt, /var/lib/libvirt, ...) are made on tmpfs mounts private to this
process's mount namespace.

Protocol (one JSON object per line): first ``{"id": "__setup__", "src_uri", "dst_uri", "domains": {...},
"libvirt_version", "qemu_version", "work"}``; then requests on stdin, answers on stdout:
  {"op": "observe", "domain": D} -> state, reason, persistent, snapshots, job type, live and inactive XML
  {"op": "virsh", "args": [...]}  -> real virsh ``-c SRC migrate ARGS`` ({dest} = the destination URI),
                                     outcome, message, verdict (the harness's classification); then the
                                     reference state is restored
  {"op": "suspend" | "resume", "domain": D}
End of input: domains destroyed, daemons stopped, work directory removed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile

DOMAIN = """<domain type='qemu'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{image}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <target dev='sda' bus='ide'/>
      <readonly/>
    </disk>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
"""
DOMAINS = {"mll-disk": ("6d6c6c00-0000-4000-8000-000000000001", True),
           "mll-off": ("6d6c6c00-0000-4000-8000-000000000002", False)}
IMAGE_BYTES = 1 << 20


def private_dirs(targets: list[str]) -> None:
    """Make each mount target exist in this mount namespace only: a tmpfs over its parent when it is missing."""
    for t in targets:
        if os.path.isdir(t):
            continue
        parent = os.path.dirname(t)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "miglint-live", parent], check=True)
        os.makedirs(t, exist_ok=True)


def main() -> int:
    harness_dir = sys.argv[1]
    sys.path.insert(0, harness_dir)
    import libvirt
    import oracle  # the conformance harness: Daemon, classify, MOUNTS

    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    # Our own namespace's view: nothing here is seen by the host or by other harness runs.
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    for parent in ("/run", "/var/lib", "/var/cache", "/var/log"):
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "miglint-live", parent], check=True)
    private_dirs(list(oracle.MOUNTS.values()))
    work = tempfile.mkdtemp(prefix="miglint-live-", dir="/tmp")
    daemons = {n: oracle.Daemon(n, u, work, 49700 + 64 * i) for i, (n, u) in enumerate(oracle.DAEMONS.items())}
    conns: dict[str, object] = {}
    out = sys.stdout
    try:
        pki = os.path.join(work, "pki")
        os.makedirs(pki)
        for d in daemons.values():
            d.prepare(pki)
            d.start()
        for d in daemons.values():
            d.wait_ready()
        src = conns["src"] = libvirt.open(daemons["src"].uri)
        dst = conns["dst"] = libvirt.open(daemons["dst"].uri)
        xml = {}
        for name, (uuid, _) in DOMAINS.items():
            # /var/lib/libvirt is each daemon's own directory (a bind mount of WORK/src/lib or WORK/dst/lib): like
            # two hosts with local disks, the destination has its own (pre-created, empty) image at the same path.
            for side in daemons.values():
                image = os.path.join(side.dir, "lib", "images", f"{name}.img")
                os.makedirs(os.path.dirname(image), exist_ok=True)
                with open(image, "wb") as f:
                    f.truncate(IMAGE_BYTES)
            xml[name] = DOMAIN.format(name=name, uuid=uuid, image=f"/var/lib/libvirt/images/{name}.img")
            src.defineXML(xml[name])

        def restore() -> None:
            for dom in dst.listAllDomains():
                try:
                    if dom.isActive():
                        dom.destroy()
                    if dom.isPersistent():
                        dom.undefine()
                except libvirt.libvirtError:
                    pass
            for name, (_, running) in DOMAINS.items():
                try:
                    dom = src.lookupByName(name)
                except libvirt.libvirtError:
                    dom = None
                if dom is None or not dom.isPersistent():
                    dom = src.defineXML(xml[name])
                if running:
                    if dom.isActive() and dom.jobInfo()[0] != libvirt.VIR_DOMAIN_JOB_NONE:
                        dom.destroy()  # a migration job left behind (libvirt 9.0.0, managed mode)
                    st = dom.state()[0]
                    if st == libvirt.VIR_DOMAIN_PAUSED:
                        dom.resume()
                    elif not dom.isActive():
                        dom.create()
                elif dom.isActive():
                    dom.destroy()

        restore()
        version = lambda v: f"{v // 1000000}.{v // 1000 % 1000}.{v % 1000}"  # noqa: E731
        out.write(json.dumps({"id": "__setup__", "src_uri": daemons["src"].uri, "dst_uri": daemons["dst"].uri,
                              "domains": {n: {"running": r, "disk": "vda"} for n, (_, r) in DOMAINS.items()},
                              "libvirt_version": version(src.getLibVersion()),
                              "qemu_version": version(src.getVersion()), "work": work}) + "\n")
        out.flush()

        def serve(req: dict) -> dict:
            op = req["op"]
            if op == "observe":
                dom = src.lookupByName(req["domain"])
                state, reason = dom.state()
                answer = {"state": state, "reason": reason, "persistent": dom.isPersistent(),
                          "snapshots": dom.snapshotNum(0), "job": dom.jobInfo()[0] if dom.isActive() else None,
                          "xml": dom.XMLDesc(0), "inactive_xml": dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)}
            elif op in ("suspend", "resume"):
                getattr(src.lookupByName(req["domain"]), op)()
                answer = {"ok": True}
            elif op == "virsh":
                args = [a.replace("{dest}", daemons["dst"].uri) for a in req["args"]]
                env = dict(os.environ, LC_ALL="C", LANG="C")
                env.pop("LIBVIRT_DEFAULT_URI", None)
                p = subprocess.run(["/usr/bin/virsh", "-c", daemons["src"].uri, "migrate", *args], env=env,
                                   capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
                errors = [x[len("error: "):] for x in p.stderr.splitlines() if x.startswith("error: ")]
                outcome = "ok" if p.returncode == 0 else "error"
                message = None if p.returncode == 0 else (errors[-1] if errors else p.stderr.strip()[-300:])
                verdict, note = oracle.classify(outcome, message)
                answer = {"outcome": outcome, "message": message, "verdict": verdict, "note": note, "rc": p.returncode}
                restore()
            else:
                answer = {"error": f"unknown op {op!r}"}
            return answer

        for line in sys.stdin:
            if not line.strip():
                continue
            req = json.loads(line)
            try:
                answer = serve(req)
            except Exception as e:  # noqa: BLE001 - the test reports it
                answer = {"error": repr(e)}
            out.write(json.dumps({"id": req.get("id"), **answer}) + "\n")
            out.flush()
        return 0
    finally:
        for c in conns.values():
            try:
                for dom in c.listAllDomains():  # type: ignore[attr-defined]
                    if dom.isActive():
                        dom.destroy()
                c.close()  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001
                pass
        for d in daemons.values():
            try:
                d.stop()
            except Exception:  # noqa: BLE001
                pass
        if os.environ.get("MIGLINT_LIVE_KEEP"):
            print("pair_server: work directory kept:", work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def init() -> int:
    """PID 1 of the private PID namespace reaps every orphan (QEMU daemonizes; a zombie would make libvirt
    think a killed process still runs) and exits with the server; the kernel then kills what is left."""
    import signal

    child = os.fork()
    if child == 0:
        os._exit(main())
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda s, f: os.kill(child, signal.SIGTERM))
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            return 1
        except InterruptedError:
            continue
        if pid == child:
            return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(init() if os.getpid() == 1 else main())
