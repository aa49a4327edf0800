#!/usr/bin/python3
"""A real libvirt answering migration requests: Debian 12's libvirtd 9.0.0 with QEMU 7.2, or (in a chroot) Debian
11's 7.0.0 with QEMU 5.2, Debian 13's 11.3.0 with QEMU 10.0 or Debian unstable's 12.8.0 with QEMU 11.1; TCG guests.

Runs under Debian's own interpreter (/usr/bin/python3 of the host or of the chroot), the only one that imports
python3-libvirt; it uses nothing but the standard library and that binding, and nothing in it depends on the
libvirt version. The test harness (tests/conformance/harness.py) starts it as ``... oracle.py init ...`` in a
private PID namespace (for a chroot's libvirt also private mount and network namespaces, inside the chroot): when this
script ends, however it ends, the kernel kills whatever is left (daemons, QEMU).

Protocol: after setting up, one JSON line ``{"id": "__setup__", ...}`` on stdout; then one JSON case per
line on stdin, one JSON answer per line on stdout (same ``id``). End of input ends the run: domains are
destroyed, both daemons get SIGTERM by PID, the work dir is removed.

Set-up (method from ../shared/reference/libvirt-oracle.md, written for this project):
  * two privileged libvirtd, ``src`` and ``dst`` (different host_uuid), each in its own mount namespace in
    which /run and /var are overlays with their upper layer in a temporary work dir, /etc/libvirt,
    /run/libvirt, /var/{lib,cache,log}/libvirt are bind mounts of directories under the work dir and
    /etc/passwd, /etc/group copies that add the libvirt-qemu user -- nothing on the host changes;
    unix sockets only;
  * qemu.conf: root, no security driver, no cgroups, no namespaces, migration_address 127.0.0.2 but
    migration_host 127.0.0.3, so the destination tells the source to connect where nothing listens: a
    request every check lets through fails only at the data connection ("accepted");
  * TLS certificates made with openssl, so VIR_MIGRATE_TLS gets as far as a real TLS set-up;
  * on ``src``: a running and a shut-off persistent TCG domain without disks, a running one whose
    snapshot list holds one (metadata-only) snapshot, and a running one with a writable disk and a read-only
    CD-ROM on local storage (raw images in each daemon's own /var/lib/libvirt/images).

Case (JSON): {"id", "state": running|paused|shutoff, optionally "domain" (mlc-snap: a running domain with
a snapshot; mlc-disk: a running domain with disks; default mlc-run, or mlc-off when shut off), and either
  "api": managed|p2p|direct, "flags": [names without VIR_MIGRATE_], "params": {key: value}
  or "virsh": [arguments after "migrate"] with "{dom}", "{dest}", "{src}", "{domxml}" placeholders}.
The api adds nothing: p2p cases carry PEER2PEER in their flags themselves. A flag "0x..." is a raw bit;
"dest_uri" replaces the destination URI (p2p/direct; "{src}" is the source daemon itself, in managed mode
too; "{dstsock}", here and in virsh words, is the destination daemon's socket path). A parameter value "{domxml}" is replaced by the domain's migratable XML. Other keys are for the
comparison, not for libvirt (what miglint is told: compare.py).

Answer (JSON): {"id", "outcome": ok|error|crash|timeout|input-error|harness-error, "code", "message",
  "verdict": accepted|rejected|crash|env, "note", "origin": "src:function:line" | "dst:..." (the daemon
  function that raised the error, when one did), "seconds"}; virsh cases add "rc" and "errors" (every "error:"
  line virsh printed; "message" is the first). What the request left behind is observed too:
  "crashed": ["src"] when a daemon died during the case (outcome crash; both daemons and the domains are then
  set up again), "job_left": true when a source domain still had a migration job after the call returned
  (restore() then restarts the domain).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

DAEMONS = {"src": "5ac0ffee-0000-4000-8000-00000000a001", "dst": "5ac0ffee-0000-4000-8000-00000000b002"}
OVERLAYS = ["/run", "/var"]
MOUNTS = {"etc": "/etc/libvirt", "run": "/run/libvirt", "lib": "/var/lib/libvirt", "cache": "/var/cache/libvirt",
          "log": "/var/log/libvirt"}
DOMAINS = {"running": "mlc-run", "paused": "mlc-run", "shutoff": "mlc-off"}
UUIDS = {"mlc-run": "6d6c6300-0000-4000-8000-000000000001", "mlc-off": "6d6c6300-0000-4000-8000-000000000002",
         "mlc-snap": "6d6c6300-0000-4000-8000-000000000003", "mlc-disk": "6d6c6300-0000-4000-8000-000000000004"}
# Reference state of each source domain: running or not; mlc-snap carries one snapshot (metadata only); mlc-disk
# has a writable disk (vda) and a read-only CD-ROM (hdc) on local storage.
RUNNING = {"mlc-run": True, "mlc-off": False, "mlc-snap": True, "mlc-disk": True}
SNAPSHOT_XML = ("<domainsnapshot><name>s1</name><state>running</state><creationTime>1700000000</creationTime>"
                "<memory snapshot='no'/>{domain}</domainsnapshot>")
SENTINEL_HOST = "127.0.0.3"
LISTEN_HOST = "127.0.0.2"
DOMAIN_XML = """<domain type='qemu'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>{disks}
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
"""
# mlc-disk's disks: raw images under /var/lib/libvirt/images, which each daemon has privately (its own copy of
# the files: a storage copy writes to the destination's, and the two QEMUs never share an image).
IMAGES = {"mlc-disk.img": 8 << 20, "mlc-cd.iso": 1 << 20}
DISKS = {"mlc-disk": """
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='/var/lib/libvirt/images/mlc-disk.img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/var/lib/libvirt/images/mlc-cd.iso'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>"""}


def domain_xml(name: str) -> str:
    """The XML a test domain is defined with."""
    return DOMAIN_XML.format(name=name, uuid=UUIDS[name], disks=DISKS.get(name, ""))

# VIR_MIGRATE_* values (libvirt-domain.h): what the cases name, for a binding older than a flag (python3-libvirt
# 7.0.0 has no NON_SHARED_SYNCHRONOUS_WRITES, POSTCOPY_RESUME, ZEROCOPY); libvirt itself then refuses the bit as
# unsupported. A binding that has a flag must agree with this table.
FLAG_BITS = {"LIVE": 1 << 0, "PEER2PEER": 1 << 1, "TUNNELLED": 1 << 2, "PERSIST_DEST": 1 << 3,
             "UNDEFINE_SOURCE": 1 << 4, "PAUSED": 1 << 5, "NON_SHARED_DISK": 1 << 6, "NON_SHARED_INC": 1 << 7,
             "CHANGE_PROTECTION": 1 << 8, "UNSAFE": 1 << 9, "OFFLINE": 1 << 10, "COMPRESSED": 1 << 11,
             "ABORT_ON_ERROR": 1 << 12, "AUTO_CONVERGE": 1 << 13, "RDMA_PIN_ALL": 1 << 14, "POSTCOPY": 1 << 15,
             "TLS": 1 << 16, "PARALLEL": 1 << 17, "NON_SHARED_SYNCHRONOUS_WRITES": 1 << 18,
             "POSTCOPY_RESUME": 1 << 19, "ZEROCOPY": 1 << 20}

# -- verdicts ------------------------------------------------------------------------------------------
# accepted: nothing refused the request (it completed, or failed only at the refused data connection).
# env: this sandbox could not decide (listed causes); rejected: any other error.
ACCEPTED = [
    re.compile(r"unable to connect to server at '127\.0\.0\.3:\d+': Connection refused"),
    re.compile(r"Failed to connect to '127\.0\.0\.3:\d+': Connection refused"),
    # unix:///run/libvirt/mig.sock: each daemon has its own /run/libvirt, so the source's QEMU cannot reach the
    # socket the destination's QEMU listens on -- the same sentinel for migrations over a UNIX socket
    re.compile(r"Failed to connect (socket )?to '/run/libvirt/mig\.sock': No such file or directory"),
]
# Failures after every check that no environment avoids (libvirt defects): the request fails.
FAILS = [
    (re.compile(r"failed to convert virJSONValue to yajl data|TLS handshake failed"),
     "fails in any environment: tunnelled TLS reads an unset host name"),
]
# What a client reads when the daemon it talks to went away (then: did it die? see Oracle._dead_daemons).
CONNECTION_LOST = re.compile(r"End of file while reading data|Cannot recv data|client socket is closed|"
                             r"Cannot write data|Broken pipe|Connection reset|internal error: client socket")
ENV = [
    (re.compile(r"cannot limit locked memory"), "memlock: this sandbox may not raise RLIMIT_MEMLOCK (CAP_SYS_RESOURCE)"),
    (re.compile(r"unable to connect to server at"), "connection failure"),
    (re.compile(r"Failed to connect socket|Cannot recv data|End of file while reading data|"
                r"client socket is closed|no connection driver available"), "connection failure"),
    (re.compile(r"another migration job is already running"), "stale migration job (harness state)"),
    (re.compile(r"Unable to access credentials|Cannot read CA certificate|Cannot load"), "TLS credentials"),
    (re.compile(r"^TIMEOUT$|timed out"), "timeout"),
    # Another libvirt on this machine (a second harness run) holds the migration port QEMU was given.
    (re.compile(r"Failed to find an available port: Address already in use"), "migration port in use"),
    # An input error, not libvirt's: python3-libvirt 7.0.0 sends a parameter it has no type for as an unsigned
    # integer, so a negative value for a newer parameter never reaches libvirt (newer bindings send it signed).
    (re.compile(r"^OverflowError: can't convert negative int to unsigned$"),
     "the binding cannot send a negative value for a parameter it does not know"),
]


def classify(outcome: str, message: str | None) -> tuple[str, str | None]:
    if outcome == "ok":
        return "accepted", "completed"
    if outcome == "crash":  # a daemon died (libvirt 7.0.0 and 11.3.0: SIGSEGV on p2p TUNNELLED|TLS)
        return "crash", "libvirtd died"
    msg = message or ""
    if outcome == "input-error":  # nothing libvirt decided; the reason when it is a known one
        return "env", next((note for pattern, note in ENV if pattern.search(msg)), outcome)
    if outcome != "error":  # timeout, harness-error: nothing libvirt decided
        return "env", "timeout" if outcome == "timeout" else outcome
    if any(p.search(msg) for p in ACCEPTED):
        return "accepted", "data connection failed (sentinel)"
    for pattern, note in FAILS:
        if pattern.search(msg):
            return "rejected", note
    for pattern, note in ENV:
        if pattern.search(msg):
            return "env", note
    return "rejected", None


# -- small helpers -----------------------------------------------------------------------------------


def log(*args: object) -> None:
    print("oracle:", *args, file=sys.stderr, flush=True)


def run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw)  # type: ignore[call-overload]


def make_pki(pki: str) -> None:
    """A CA, a server and a client certificate (the file names QEMU's tls-creds-x509 object reads).

    Every extension QEMU's sanity checks look at is written out (the CA's own section: basicConstraints CA:TRUE,
    keyUsage keyCertSign): OpenSSL 3 adds a CA's basicConstraints by itself, but the chroot's openssl may be
    bullseye's 1.1.1, whose bare ``req -x509`` certificate QEMU 5.2 would refuse as a CA."""
    os.makedirs(pki)
    ext = os.path.join(pki, "ext.cnf")
    with open(ext, "w") as f:
        f.write("[req]\ndistinguished_name=dn\n[dn]\n"
                "[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
                "subjectKeyIdentifier=hash\n"
                "[server]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.2,IP:127.0.0.3,DNS:localhost\n"
                "[client]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=clientAuth\n")
    p = lambda name: os.path.join(pki, name)  # noqa: E731
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("ca-key.pem"), "-out",
         p("ca-cert.pem"), "-days", "2", "-subj", "/CN=miglint conformance CA", "-config", ext, "-extensions", "ca"])
    for who, cn in (("server", "127.0.0.3"), ("client", "miglint-client")):
        run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", p(f"{who}-key.pem"), "-out",
             p(f"{who}.csr"), "-subj", f"/CN={cn}", "-config", ext])
        run(["openssl", "x509", "-req", "-in", p(f"{who}.csr"), "-CA", p("ca-cert.pem"), "-CAkey", p("ca-key.pem"),
             "-CAcreateserial", "-out", p(f"{who}-cert.pem"), "-days", "2", "-extfile", ext, "-extensions", who])
    for name in os.listdir(pki):
        os.chmod(p(name), 0o644 if name.endswith("cert.pem") else 0o600)


def with_qemu_user(src: str, dst: str, line: str, name: str) -> None:
    with open(src) as f:
        text = f.read()
    if not any(row.split(":", 1)[0] == name for row in text.splitlines()):
        text = text.rstrip("\n") + "\n" + line + "\n"
    with open(dst, "w") as f:
        f.write(text)


# -- the daemons -------------------------------------------------------------------------------------


class Daemon:
    def __init__(self, name: str, uuid: str, work: str, port_min: int) -> None:
        self.name, self.uuid = name, uuid
        self.dir = os.path.join(work, name)
        self.sock = os.path.join(self.dir, "sock", "libvirt-sock")
        self.uri = f"qemu+unix:///system?socket={self.sock}"
        self.pidfile = os.path.join(self.dir, "libvirtd.pid")
        self.logfile = os.path.join(self.dir, "libvirtd.log")
        self.proc: subprocess.Popen[bytes] | None = None
        self.pid: int | None = None
        self.port_min = port_min
        self._log_pos = 0

    def prepare(self, pki: str) -> None:
        for sub in list(MOUNTS) + ["sock"]:
            os.makedirs(os.path.join(self.dir, sub))
        images = os.path.join(self.dir, "lib", "images")
        os.makedirs(images)
        for image, size in IMAGES.items():
            with open(os.path.join(images, image), "wb") as f:
                f.truncate(size)
        etc = os.path.join(self.dir, "etc")
        with open(os.path.join(self.dir, "libvirtd.conf"), "w") as f:
            f.write(f'unix_sock_dir = "{os.path.dirname(self.sock)}"\n'
                    'unix_sock_rw_perms = "0700"\nunix_sock_ro_perms = "0700"\n'
                    'auth_unix_rw = "none"\nauth_unix_ro = "none"\n'
                    f'host_uuid = "{self.uuid}"\n'
                    # errors the daemon raises, with the raising function (client-caused ones are debug level)
                    'log_filters = "1:util.error"\n'
                    f'log_outputs = "1:file:{self.logfile}"\n')
        with open(os.path.join(etc, "qemu.conf"), "w") as f:
            f.write('user = "root"\ngroup = "root"\ndynamic_ownership = 0\nremember_owner = 0\n'
                    'security_driver = "none"\ncgroup_controllers = [ ]\nnamespaces = [ ]\n'
                    'stdio_handler = "file"\n'
                    f'migration_address = "{LISTEN_HOST}"\nmigration_host = "{SENTINEL_HOST}"\n'
                    f'migration_port_min = {self.port_min}\nmigration_port_max = {self.port_min + 63}\n'
                    f'migrate_tls_x509_cert_dir = "{pki}"\nmigrate_tls_x509_verify = 1\n')
        with_qemu_user("/etc/passwd", os.path.join(self.dir, "passwd"),
                       "libvirt-qemu:x:64055:64055:Libvirt Qemu,,,:/var/lib/libvirt:/usr/sbin/nologin", "libvirt-qemu")
        with_qemu_user("/etc/group", os.path.join(self.dir, "group"), "libvirt-qemu:x:64055:", "libvirt-qemu")

    def start(self) -> None:
        # In the daemon's own mount namespace: /run and /var get a writable overlay whose upper layer is in
        # the work dir (so the mount points below can be made without touching the host), then the
        # directories libvirtd uses are bind mounts of the work dir's.
        q = shlex.quote
        steps = []
        for top in OVERLAYS:
            upper = os.path.join(self.dir, "overlay", top.strip("/"), "upper")
            work = os.path.join(self.dir, "overlay", top.strip("/"), "work")
            os.makedirs(upper)
            os.makedirs(work)
            steps.append(f"mount -t overlay overlay -o lowerdir={q(top)},upperdir={q(upper)},workdir={q(work)} {q(top)}")
        steps.append("mkdir -p " + " ".join(q(t) for t in MOUNTS.values()))
        binds = [(os.path.join(self.dir, sub), target) for sub, target in MOUNTS.items()]
        binds += [(os.path.join(self.dir, "passwd"), "/etc/passwd"), (os.path.join(self.dir, "group"), "/etc/group")]
        steps += [f"mount --bind {q(a)} {q(b)}" for a, b in binds]
        steps.append(f"exec /usr/sbin/libvirtd -f {q(os.path.join(self.dir, 'libvirtd.conf'))} -p {q(self.pidfile)}")
        script = " && ".join(steps)
        out = open(os.path.join(self.dir, "stderr.log"), "wb")
        self.proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid  # sh execs libvirtd: the same PID

    def wait_ready(self, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while not os.path.exists(self.sock):
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"libvirtd {self.name} exited with {self.proc.returncode}: "
                                   + open(os.path.join(self.dir, "stderr.log")).read()[-2000:])
            if time.monotonic() > end:
                raise RuntimeError(f"libvirtd {self.name} did not create its socket")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.pid, signal.SIGTERM)  # type: ignore[arg-type]
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)  # type: ignore[arg-type]
            self.proc.wait(5)

    def mark_log(self) -> None:
        try:
            self._log_pos = os.path.getsize(self.logfile)
        except OSError:
            self._log_pos = 0

    def errors_since_mark(self) -> list[tuple[str, str]]:
        """(function:line, message) of errors this daemon raised since mark_log()."""
        try:
            with open(self.logfile, "rb") as f:
                f.seek(self._log_pos)
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return []
        out = []
        for line in text.splitlines():
            m = re.match(r"^\S+ \S+: \d+: (?:debug|info|warning|error) : (\w+:\d+) : (.*)$", line)
            if m:
                out.append((m.group(1), m.group(2)))
        return out


# -- the oracle --------------------------------------------------------------------------------------


class Oracle:
    def __init__(self, work: str, timeout: float, port_min: int) -> None:
        import libvirt

        self.libvirt = libvirt
        self.work = work
        self.timeout = timeout
        self.pki = os.path.join(work, "pki")
        self.port_min = port_min
        self.daemons = self._new_daemons()
        self.restarts = 0
        self.src = self.dst = None
        self.xml: dict[str, str] = {}
        self.timed_out = False
        binding = {name[len("VIR_MIGRATE_"):]: getattr(libvirt, name) for name in dir(libvirt)
                   if name.startswith("VIR_MIGRATE_") and not name.startswith("VIR_MIGRATE_PARAM_")
                   and isinstance(getattr(libvirt, name), int)}
        wrong = {n: (v, FLAG_BITS[n]) for n, v in binding.items() if n in FLAG_BITS and FLAG_BITS[n] != v}
        if wrong:
            raise RuntimeError(f"the binding's flag values differ from FLAG_BITS: {wrong}")
        self.flag_values = {**FLAG_BITS, **binding}
        self.binding_lacks = sorted(n for n in FLAG_BITS if n not in binding)
        self.code_names = {getattr(libvirt, n): n for n in dir(libvirt) if n.startswith("VIR_ERR_")
                           and n not in ("VIR_ERR_NONE", "VIR_ERR_WARNING", "VIR_ERR_ERROR")}
        libvirt.registerErrorHandler(lambda ctx, err: None, None)  # no printing to stderr

    def _new_daemons(self) -> dict[str, Daemon]:
        return {n: Daemon(n, u, self.work, self.port_min + 64 * i) for i, (n, u) in enumerate(DAEMONS.items())}

    # set-up / tear-down
    def setup(self) -> dict[str, object]:
        t0 = time.monotonic()
        times: dict[str, float] = {}
        if not os.path.isdir(self.pki):
            make_pki(self.pki)
        times["pki"] = time.monotonic() - t0
        for d in self.daemons.values():
            d.prepare(self.pki)
            d.start()
        for d in self.daemons.values():
            d.wait_ready()
        times["daemons"] = time.monotonic() - t0
        libvirt = self.libvirt
        self.src = libvirt.open(self.daemons["src"].uri)
        self.dst = libvirt.open(self.daemons["dst"].uri)
        # The first domain definition probes QEMU's capabilities; probe the destination meanwhile.
        probe = threading.Thread(target=lambda: self.dst.getDomainCapabilities(None, None, None, "qemu"))
        probe.start()
        for name in UUIDS:
            self.xml[name] = domain_xml(name)
            self.src.defineXML(self.xml[name])
        probe.join()
        times["define"] = time.monotonic() - t0
        for name, running in RUNNING.items():
            if running:
                self.src.lookupByName(name).create()
        snap = self.src.lookupByName("mlc-snap")
        snap.snapshotCreateXML(SNAPSHOT_XML.format(domain=snap.XMLDesc(0)),
                               self.libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE)
        times["start"] = time.monotonic() - t0
        for name in UUIDS:
            with open(self.domxml_file(name), "w") as f:
                f.write(self.domain_xml(name))
        return {"id": "__setup__", "libvirt_version": _version(libvirt.getVersion()),
                "daemon_version": _version(self.src.getLibVersion()),
                "qemu_version": _version(self.src.getVersion()), "binding": libvirt.__file__,
                "binding_lacks": self.binding_lacks,
                "src_uri": self.daemons["src"].uri, "dst_uri": self.daemons["dst"].uri, "work": self.work,
                "setup_seconds": {k: round(v, 2) for k, v in times.items()}}

    def domxml_file(self, name: str) -> str:
        return os.path.join(self.work, f"{name}.xml")

    def domain_xml(self, name: str) -> str:
        dom = self.src.lookupByName(name)
        return dom.XMLDesc(self.libvirt.VIR_DOMAIN_XML_MIGRATABLE)

    def teardown(self) -> None:
        for conn in (self.src, self.dst):
            if conn is None:
                continue
            try:
                for dom in conn.listAllDomains():
                    if dom.isActive():
                        dom.destroy()
            except Exception as e:  # noqa: BLE001
                log("teardown:", e)
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass
        for d in self.daemons.values():
            try:
                d.stop()
            except Exception as e:  # noqa: BLE001
                log("stopping", d.name, e)

    def restart(self) -> None:
        """After a daemon died: stop what is left (daemons, QEMU), then set up both daemons and the domains
        again, as at the start (about 2 s)."""
        for conn in (self.src, self.dst):
            try:
                conn.close()  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001
                pass
        self.src = self.dst = None
        for d in self.daemons.values():
            try:
                d.stop()
            except Exception as e:  # noqa: BLE001
                log("stopping", d.name, e)
            kill_qemu(d.dir)
        for d in self.daemons.values():
            shutil.rmtree(d.dir, ignore_errors=True)
        self.daemons = self._new_daemons()
        self.restarts += 1
        self.setup()

    def _dead_daemons(self, message: object) -> list[str]:
        """The daemons that are no longer running; when the client lost its connection, give a dying daemon a
        moment to be gone."""
        end = time.monotonic() + (3.0 if CONNECTION_LOST.search(str(message or "")) else 0.0)
        while True:
            dead = [d.name for d in self.daemons.values() if d.proc is not None and d.proc.poll() is not None]
            if dead or time.monotonic() >= end:
                return dead
            time.sleep(0.05)

    # one case
    def run_case(self, case: dict[str, object]) -> dict[str, object]:
        t0 = time.monotonic()
        state = str(case.get("state", "running"))
        name = str(case.get("domain") or DOMAINS[state])
        if state == "paused":
            self.src.lookupByName(name).suspend()
        for d in self.daemons.values():
            d.mark_log()
        # No domain object outlives the call: each holds the source connection open, and restore() may have to
        # close it for real.
        if "virsh" in case:
            answer = self._virsh(case, name)
        else:
            answer = self._api(case, name)
        dead = self._dead_daemons(answer.get("message"))
        if dead:
            answer["outcome"] = "crash"
            answer["crashed"] = dead
            answer["signal"] = {d: _signal_name(self.daemons[d].proc.returncode) for d in dead}  # type: ignore[union-attr]
        answer["verdict"], answer["note"] = classify(str(answer["outcome"]), answer.get("message"))  # type: ignore[arg-type]
        answer["origin"] = self._origin(answer.get("message"))
        if dead:
            log("case", case["id"], "killed libvirtd", ", ".join(dead), "; setting up again")
            self.restart()
        elif self.restore():
            answer["job_left"] = True
        answer["seconds"] = round(time.monotonic() - t0, 3)
        return {"id": case["id"], **answer}

    def _origin(self, message: object) -> str | None:
        if not message:
            return None
        found = None
        for dname in ("src", "dst"):
            for where, text in self.daemons[dname].errors_since_mark():
                if text and (text in str(message) or str(message).endswith(text)):
                    found = f"{dname}:{where}"
        return found

    def _params(self, params: dict[str, object], name: str) -> dict[str, object]:
        out = {}
        for k, v in params.items():
            if v == "{domxml}":
                v = self.domain_xml(name)
            out[k] = v
        return out

    def _watchdog(self, dom: object) -> threading.Timer:
        self.timed_out = False

        def fire() -> None:
            log("timeout: aborting the job")
            self.timed_out = True
            try:
                dom.abortJob()  # type: ignore[attr-defined]
            except Exception as e:  # noqa: BLE001
                log("abort failed:", e)
        t = threading.Timer(self.timeout, fire)
        t.daemon = True
        t.start()
        return t

    def _api(self, case: dict[str, object], name: str) -> dict[str, object]:
        libvirt = self.libvirt
        dom = self.src.lookupByName(name)
        flags = 0
        for f in case.get("flags", []):  # type: ignore[union-attr]
            flags |= int(f, 16) if str(f).startswith("0x") else self.flag_values[str(f)]
        params = self._params(dict(case.get("params", {})), dom.name())  # type: ignore[arg-type,attr-defined]
        api = case.get("api", "managed")
        dog = self._watchdog(dom)
        try:
            if api == "managed":  # "dest_uri": "{src}" migrates to the source daemon itself
                dom.migrate3(self.src if case.get("dest_uri") == "{src}" else self.dst, params, flags)  # type: ignore[attr-defined]
            elif api in ("p2p", "direct"):
                dest = (str(case.get("dest_uri", self.daemons["dst"].uri)).replace("{src}", self.daemons["src"].uri)
                        .replace("{dstsock}", self.daemons["dst"].sock))
                dom.migrateToURI3(dest, params, flags)  # type: ignore[attr-defined]
            else:
                raise ValueError(f"unknown api {api!r}")
            return {"outcome": "ok", "code": None, "message": None}
        except libvirt.libvirtError as e:
            if self.timed_out:
                return {"outcome": "timeout", "code": None, "message": "TIMEOUT"}
            code = e.get_error_code()
            return {"outcome": "error", "code": self.code_names.get(code, str(code)), "message": e.get_error_message()}
        except (TypeError, ValueError, OverflowError, KeyError) as e:
            return {"outcome": "input-error", "code": None, "message": f"{type(e).__name__}: {e}"}
        finally:
            dog.cancel()
            dog.join(10)  # its thread holds the domain (and so the connection) until it ends

    def _virsh(self, case: dict[str, object], name: str) -> dict[str, object]:
        subst = {"{dom}": name, "{dest}": self.daemons["dst"].uri, "{domxml}": self.domxml_file(name),
                 "{src}": self.daemons["src"].uri, "{dstsock}": self.daemons["dst"].sock}
        def fill(word: str) -> str:
            for key, value in subst.items():
                word = word.replace(key, value)
            return word
        args = [fill(a) for a in case["virsh"]]  # type: ignore[union-attr]
        pre = [fill(a) for a in case.get("virsh_global", [])]  # type: ignore[union-attr]
        argv = ["/usr/bin/virsh", "-c", self.daemons["src"].uri, *pre, "migrate", *args]
        env = dict(os.environ, LC_ALL="C", LANG="C")
        env.pop("LIBVIRT_DEFAULT_URI", None)
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout, env=env,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            try:
                self.src.lookupByName(name).abortJob()
            except Exception:  # noqa: BLE001
                pass
            return {"outcome": "timeout", "code": None, "message": "TIMEOUT", "rc": None}
        errors = [line[len("error: "):] for line in p.stderr.splitlines() if line.startswith("error: ")]
        if p.returncode == 0:
            return {"outcome": "ok", "code": None, "message": None, "rc": 0}
        # virsh prints "error: <message>" for each problem it reports, the first one it found first.
        return {"outcome": "error", "code": None, "message": errors[0] if errors else p.stderr.strip()[-300:],
                "errors": errors, "rc": p.returncode, "stderr": p.stderr.strip()[-600:] if not errors else None}

    # reference state: dst empty; mlc-run persistent and running; mlc-off persistent and shut off
    def restore(self) -> list[str]:
        """Back to the reference state; returns the source domains that still had a migration job."""
        libvirt = self.libvirt
        for dom in self.dst.listAllDomains():
            try:
                if dom.isActive():
                    dom.destroy()
                if dom.isPersistent():
                    dom.undefine()
            except libvirt.libvirtError as e:
                if e.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:  # a transient domain vanishes when destroyed
                    log("restore dst:", e)
        job_left = [name for name, want_running in RUNNING.items() if want_running and self._stale_job(name)]
        if job_left:
            # A managed migration refused after the source's Begin phase can leave its job with this client's
            # connection (libvirt 7.0.0 then refuses the domain's next operations): closing the connection makes
            # the daemon run the job's close callback, which ends it. Then the domain is restarted below.
            log(", ".join(job_left) + ": migration job left behind; reopening the source connection and"
                " restarting the domain")
            self._reopen_src()
            still = [name for name in job_left if self._stale_job(name)]
            if still:
                log(", ".join(still) + ": the job is still there after reopening the connection")
        for name, want_running in RUNNING.items():
            try:
                dom = self.src.lookupByName(name)
            except libvirt.libvirtError:
                dom = None
            if dom is None or not dom.isPersistent():
                dom = self.src.defineXML(self.xml[name])
            st = dom.state()[0]
            if want_running:
                if name in job_left and dom.isActive():
                    dom.destroy()
                    st = dom.state()[0]
                if st in (libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_SHUTDOWN, libvirt.VIR_DOMAIN_CRASHED):
                    dom.create()
                elif st == libvirt.VIR_DOMAIN_PAUSED:
                    dom.resume()
            elif dom.isActive():
                dom.destroy()
        return job_left

    def _reopen_src(self) -> None:
        """Close the source connection for real (no domain object of it may be alive: each holds it open), which
        runs the daemon's close callbacks for it, and open a new one."""
        try:
            self.src.close()  # type: ignore[attr-defined]
        except self.libvirt.libvirtError as e:
            log("closing the source connection:", e)
        self.src = self.libvirt.open(self.daemons["src"].uri)

    def _stale_job(self, name: str) -> bool:
        """A migration job that outlived its API call (managed mode refused in the source's Perform checks)."""
        try:
            info = self.src.lookupByName(name).jobInfo()
        except self.libvirt.libvirtError:
            return False
        return info[0] != self.libvirt.VIR_DOMAIN_JOB_NONE


def kill_qemu(daemon_dir: str) -> None:
    """SIGKILL the QEMU processes a (dead) daemon started, by the pid files in its /run/libvirt/qemu."""
    pids = []
    qdir = os.path.join(daemon_dir, "run", "qemu")
    for name in os.listdir(qdir) if os.path.isdir(qdir) else []:
        if name.endswith(".pid"):
            try:
                with open(os.path.join(qdir, name)) as f:
                    pids.append(int(f.read().strip()))
            except (OSError, ValueError):
                continue
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"qemu" not in f.read():
                    continue
            os.kill(pid, signal.SIGKILL)
        except (OSError, ProcessLookupError):
            continue
    end = time.monotonic() + 5
    while any(os.path.exists(f"/proc/{pid}") for pid in pids) and time.monotonic() < end:
        time.sleep(0.05)  # PID 1 (init) reaps them


def _signal_name(returncode: int | None) -> str:
    if returncode is None:
        return "running"
    if returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"signal {-returncode}"
    return f"exit {returncode}"


def _version(v: int) -> str:
    return f"{v // 1000000}.{v // 1000 % 1000}.{v % 1000}"


def serve(args: argparse.Namespace) -> int:
    work = tempfile.mkdtemp(prefix="miglint-oracle-", dir=args.workdir)
    oracle = Oracle(work, args.timeout, args.port_min)
    out = sys.stdout
    try:
        info = oracle.setup()
        out.write(json.dumps(info) + "\n")
        out.flush()
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            case = json.loads(line)
            try:
                answer = oracle.run_case(case)
                if answer.get("note") in ("timeout", "migration port in use"):  # passing: try again once
                    log("case", case.get("id"), answer.get("note"), "; once more")
                    time.sleep(1)
                    answer = oracle.run_case(case)
            except Exception as e:  # noqa: BLE001 - report and go on; the harness decides
                log("case", case.get("id"), "failed:", repr(e))
                answer = {"id": case.get("id"), "outcome": "harness-error", "verdict": "env",
                          "note": "harness error", "message": repr(e), "code": None}
                try:
                    if oracle._dead_daemons(None):
                        oracle.restart()
                    else:
                        oracle.restore()
                except Exception as e2:  # noqa: BLE001
                    log("restore failed:", repr(e2))
            out.write(json.dumps(answer) + "\n")
            out.flush()
        return 0
    finally:
        oracle.teardown()
        if args.keep:
            log("work dir kept:", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def init(argv: list[str]) -> int:
    """PID 1 of the private PID namespace: run the oracle as a child, reap every orphan (QEMU daemonizes),
    forward SIGTERM/SIGINT, and exit with the oracle -- the kernel then kills anything left in the namespace."""
    child = os.fork()
    if child == 0:
        os.execv(sys.executable, [sys.executable, os.path.abspath(__file__), "serve", *argv])
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


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "init":
        return init(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=["serve"])
    ap.add_argument("--workdir", default="/tmp", help="parent of the temporary work dir")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per case before the job is aborted")
    ap.add_argument("--port-min", type=int, default=49152, help="first migration port (64 per daemon)")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (daemon logs) at exit")
    args = ap.parse_args()

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        return serve(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
