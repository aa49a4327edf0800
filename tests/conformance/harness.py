"""Drive the live oracles (oracle.py, under a Debian interpreter with python3-libvirt) from the project's own one.

Four targets (``TARGETS``), the same oracle.py and the same cases:
  * 9.0.0: the host's Debian 12 packages, run as ``unshare --pid --fork --kill-child --mount-proc
    /usr/bin/python3 oracle.py init ...``;
  * 7.0.0 (Debian 11 "bullseye"), 11.3.0 (Debian 13 "trixie") and 12.8.0 (Debian unstable "sid"): Debian
    packages in a chroot per suite outside the repository (tests/conformance/chroot.sh SUITE builds it;
    default /var/tmp/miglint-SUITE, $MIGLINT_CHROOT_SUITE elsewhere -- for trixie also $MIGLINT_CHROOT), run in
    private mount, network and PID namespaces: only ``lo`` exists there, /run and /tmp are fresh tmpfs, this
    directory is bind-mounted read-only as /run/miglint-oracle, and the chroot's /usr/bin/python3 runs the same
    oracle.py.
When the oracle ends, however it ends, the kernel ends everything it started (its init is PID 1 of the
namespace). ``Target.unavailable()`` says why a target cannot be started here (or None).
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ORACLE = HERE / "oracle.py"
CHROOT_SCRIPT = HERE / "chroot.sh"
DEBIAN_PYTHON = "/usr/bin/python3"
PACKAGES = ["libvirt-daemon", "libvirt-daemon-driver-qemu", "libvirt-clients", "qemu-system-x86", "python3-libvirt"]
EXECUTABLES = ["/usr/sbin/libvirtd", "/usr/bin/virsh", "/usr/bin/qemu-system-x86_64", DEBIAN_PYTHON]
CHROOT_STAMP = ".miglint-chroot"
INSIDE = "/run/miglint-oracle"  # where this directory appears inside the chroot
# PID 1 of the chroot's namespaces: loopback up, the chroot's own mounts, then the oracle's init (which reaps).
CHROOT_LAUNCH = r"""set -e
ch=$1; here=$2; shift 2
ip link set lo up
mount --bind "$ch" "$ch"
mount -t proc proc "$ch/proc"
mount --rbind /dev "$ch/dev"
mount --rbind /sys "$ch/sys"
mount -t tmpfs -o mode=0755 tmpfs "$ch/run"
mount -t tmpfs -o mode=1777 tmpfs "$ch/tmp"
mount --bind /etc/hosts "$ch/etc/hosts"
mkdir "$ch%(inside)s"
mount --bind "$here" "$ch%(inside)s"
mount -o remount,bind,ro "$ch%(inside)s"
exec chroot "$ch" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
    /usr/bin/python3 "%(inside)s/oracle.py" init "$@"
""" % {"inside": INSIDE}


class OracleError(RuntimeError):
    pass


def default_chroot(suite: str = "trixie") -> str:
    """Where chroot.sh builds a suite's chroot (the same defaults and variables as the script)."""
    env = os.environ.get(f"MIGLINT_CHROOT_{suite.upper()}")
    if not env and suite == "trixie":
        env = os.environ.get("MIGLINT_CHROOT")
    return env or f"/var/tmp/miglint-{suite}"


@dataclass(frozen=True)
class Target:
    """One libvirt to ask: the host's packages (chroot None) or a Debian chroot's."""

    version: str  # the libvirt version it must report
    distro: str
    chroot: str | None = None
    suite: str | None = None  # the Debian suite chroot.sh builds the chroot from
    packages: tuple[str, ...] = tuple(PACKAGES)  # whose versions the recording's header lists
    # the live run's sample (live.py): of the cases both accept, and of the ordinary rejections (1.0: every one)
    live_accepted: float = 0.25
    live_rejected: float = 1.0

    @property
    def fixture(self) -> Path:
        return HERE / f"recorded-{self.version}.jsonl"

    @property
    def key(self) -> str:
        return self.version

    def path(self, p: str) -> str:
        """A path inside the target's root, as seen from the host."""
        return p if self.chroot is None else self.chroot.rstrip("/") + p

    def python(self, code: str) -> subprocess.CompletedProcess[str]:
        """Run code under the target's Debian interpreter (python3-libvirt importable)."""
        argv = [DEBIAN_PYTHON, "-c", code]
        if self.chroot is not None:
            argv = ["chroot", self.chroot, "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", *argv]
        return subprocess.run(argv, capture_output=True, text=True)

    def argv(self, oracle_args: list[str]) -> list[str]:
        if self.chroot is None:
            return ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", DEBIAN_PYTHON, str(ORACLE), "init",
                    *oracle_args]
        return ["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child", "--propagation", "private",
                "sh", "-c", CHROOT_LAUNCH, "miglint-oracle", self.chroot, str(HERE), *oracle_args]

    def unavailable(self) -> str | None:
        """Why this target cannot be started on this machine, or None when it can."""
        if not sys.platform.startswith("linux"):
            return "the live oracle needs Linux"
        if self.chroot is not None:
            stamp = Path(self.chroot) / CHROOT_STAMP
            if not stamp.is_file():
                var = f"MIGLINT_CHROOT_{(self.suite or '').upper()}"
                return (f"no {self.distro} chroot at {self.chroot} (build it with "
                        f"{CHROOT_SCRIPT.relative_to(HERE.parents[1])} {self.suite}; {var} names another place)")
        missing = [p for p in EXECUTABLES if not os.access(self.path(p), os.X_OK)]
        missing += [t for t in ("unshare", "openssl", "mount") if shutil.which(t) is None]
        if self.chroot is not None:
            missing += [t for t in ("ip", "chroot") if shutil.which(t) is None]
        if missing:
            where = "" if self.chroot is None else f" in {self.chroot}"
            return (f"missing{where} " + ", ".join(missing) + f"; the live oracle needs the {self.distro} packages "
                    + " ".join(self.packages) + " (and openssl, util-linux, mount)")
        if os.geteuid() != 0:
            return "the live oracle runs privileged libvirtd daemons in private namespaces: it needs root"
        try:
            with open("/proc/filesystems") as f:
                if "overlay" not in f.read():
                    return "the kernel has no overlay filesystem (the daemons' /run and /var are overlays)"
        except OSError:
            return "cannot read /proc/filesystems"
        ns_flags = ["--pid", "--fork", "--kill-child", "--mount-proc"] + (["--net"] if self.chroot else [])
        ns = subprocess.run(["unshare", *ns_flags, "true"], capture_output=True, text=True)
        if ns.returncode != 0:
            return f"cannot make private namespaces here: {ns.stderr.strip()[-200:]}"
        probe = self.python("import libvirt; print(libvirt.getVersion())")
        if probe.returncode != 0:
            return f"{self.path(DEBIAN_PYTHON)} cannot import the libvirt binding (python3-libvirt): {probe.stderr.strip()[-200:]}"
        version = int(probe.stdout.strip())
        text = f"{version // 1000000}.{version // 1000 % 1000}.{version % 1000}"
        if text != self.version:
            return f"libvirt {text} is installed; the recorded answers are for {self.version}"
        return None

    def binding_vocabulary(self) -> dict[str, Any]:
        """VIR_MIGRATE_* flag constants and VIR_MIGRATE_PARAM_* keys of the target's python3-libvirt."""
        code = ("import json, libvirt\n"
                "flags = {n: getattr(libvirt, n) for n in dir(libvirt) if n.startswith('VIR_MIGRATE_')"
                " and not n.startswith('VIR_MIGRATE_PARAM_') and isinstance(getattr(libvirt, n), int)}\n"
                "params = {n: getattr(libvirt, n) for n in dir(libvirt) if n.startswith('VIR_MIGRATE_PARAM_')}\n"
                "print(json.dumps({'version': libvirt.getVersion(), 'flags': flags, 'params': params}))\n")
        p = self.python(code)
        if p.returncode != 0:
            raise OracleError(p.stderr[-500:])
        return json.loads(p.stdout)  # type: ignore[no-any-return]

    def installed_versions(self) -> dict[str, str]:
        out = {}
        admin = ["--admindir", self.path("/var/lib/dpkg")] if self.chroot else []
        for pkg in self.packages:
            p = subprocess.run(["dpkg-query", *admin, "-W", "-f=${Version}", pkg], capture_output=True, text=True)
            out[pkg] = p.stdout.strip() if p.returncode == 0 else "?"
        return out


TARGETS: dict[str, Target] = {
    # libvirt 7.0.0's QEMU driver is in libvirt-daemon itself (no libvirt-daemon-driver-qemu package yet)
    # The extra targets are sampled more thinly live, to keep CI within its time (live.py; DEVELOPERS.md).
    "7.0.0": Target("7.0.0", "Debian 11", chroot=default_chroot("bullseye"), suite="bullseye",
                    packages=tuple(p for p in PACKAGES if p != "libvirt-daemon-driver-qemu"),
                    live_accepted=0.1, live_rejected=0.25),
    "9.0.0": Target("9.0.0", "Debian 12"),
    "11.3.0": Target("11.3.0", "Debian 13", chroot=default_chroot("trixie"), suite="trixie"),
    "12.8.0": Target("12.8.0", "Debian unstable", chroot=default_chroot("sid"), suite="sid",
                     live_accepted=0.1, live_rejected=0.25),
}
DEFAULT = TARGETS["9.0.0"]
LIBVIRT_VERSION = DEFAULT.version


def target(version: str | None) -> Target:
    if version is None:
        return DEFAULT
    try:
        return TARGETS[version]
    except KeyError:
        raise SystemExit(f"no conformance target for libvirt {version}; known: {', '.join(TARGETS)}") from None


def unavailable() -> str | None:
    """Why the 9.0.0 oracle cannot run here (kept for tests/live)."""
    return DEFAULT.unavailable()


def binding_vocabulary() -> dict[str, Any]:
    return DEFAULT.binding_vocabulary()


def installed_versions() -> dict[str, str]:
    return DEFAULT.installed_versions()


class LiveOracle:
    """One oracle process: two libvirtd daemons and their domains. Use as a context manager."""

    def __init__(self, timeout: float = 60.0, port_min: int = 49152, keep: bool = False,
                 startup_timeout: float = 120.0, target: Target | None = None) -> None:
        self.target = target or DEFAULT
        self.timeout = timeout
        self.port_min = port_min
        self.keep = keep
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[str] | None = None
        self.setup: dict[str, Any] = {}
        self._stderr = tempfile.TemporaryFile(mode="w+")

    def __enter__(self) -> "LiveOracle":
        args = ["--timeout", str(self.timeout), "--port-min", str(self.port_min)]
        if self.keep:
            args.append("--keep")
        argv = self.target.argv(args)
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                     text=True, bufsize=1)
        try:
            self.setup = self._read(self.startup_timeout)
        except Exception:
            self.__exit__(None, None, None)
            raise
        if self.setup.get("id") != "__setup__":
            raise OracleError(f"unexpected first line from the oracle: {self.setup}")
        return self

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.proc.poll()
            raise OracleError(f"the oracle stopped answering (exit {self.proc.returncode}): {self.stderr()[-3000:]}")
        return json.loads(line)  # type: ignore[no-any-return]

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()

    def ask(self, case: dict[str, Any]) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(case) + "\n")
        self.proc.stdin.flush()
        answer = self._read(self.timeout * 2 + 30)
        if answer.get("id") != case["id"]:
            raise OracleError(f"answer for {answer.get('id')!r}, expected {case['id']!r}")
        work = self.setup.get("work")
        for key in ("message", "stderr"):
            if work and isinstance(answer.get(key), str):
                answer[key] = answer[key].replace(work, "{work}")
        if work and isinstance(answer.get("errors"), list):
            answer["errors"] = [e.replace(work, "{work}") if isinstance(e, str) else e for e in answer["errors"]]
        return answer

    def __exit__(self, *exc: object) -> None:
        proc = self.proc
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(90)
        except (subprocess.TimeoutExpired, BrokenPipeError):
            proc.terminate()  # unshare dies; --kill-child kills the oracle, the kernel the rest
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        finally:
            self.proc = None
            # Killed or not, the PID namespace is gone with its init: nothing it started survives.


def run_cases(cases: list[dict[str, Any]], jobs: int = 1, timeout: float = 60.0,
              progress: Callable[[int, int, dict[str, Any]], None] | None = None,
              target: Target | None = None) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Ask libvirt about every case, with ``jobs`` oracles side by side. Returns (setup info, answers by id)."""
    answers: dict[str, dict[str, Any]] = {}
    queue = list(cases)
    lock = threading.Lock()
    setups: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    done = [0]

    def worker(index: int) -> None:
        try:
            with LiveOracle(timeout=timeout, port_min=49152 + 256 * index, target=target) as oracle:
                with lock:
                    setups.append(oracle.setup)
                while True:
                    with lock:
                        if not queue or errors:
                            return
                        case = queue.pop(0)
                    answer = oracle.ask(case)
                    with lock:
                        answers[case["id"]] = answer
                        done[0] += 1
                        if progress is not None:
                            progress(done[0], len(cases), answer)
        except BaseException as e:  # noqa: BLE001 - re-raised below
            with lock:
                errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(max(1, jobs))]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    setup = dict(setups[0]) if setups else {}
    setup["works"] = [s.get("work") for s in setups]
    setup["seconds"] = round(time.monotonic() - t0, 1)
    return setup, answers


# -- messages ------------------------------------------------------------------------------------------

# libvirt 11.3.0 sometimes reports a failed migration as both hosts' errors in one message, depending on whether
# the destination's QEMU has exited yet; its destination part carries timestamps and PIDs. The source host's
# error is the one that matters (and the one libvirt reports alone the other times).
_BOTH_HOSTS = re.compile(r"^operation failed: migration failed\. Message from the source host: (.*?)\. "
                         r"Message from the destination host: .*$", re.DOTALL)
_NORMALISE = [
    (re.compile(r"\bprocess \d+\b"), "process <pid>"),
    (re.compile(r"(127\.0\.0\.\d+):\d+"), r"\1:<port>"),
    (re.compile(r"\{work\}[^\s'\"]*"), "<path>"),
    # miglint's stand-in for the work dir (compare.py: the sockets in its destination URIs)
    (re.compile(r"/run/miglint-conformance/[^\s'\"]*"), "<path>"),
]


def both_hosts(message: str | None) -> bool:
    """Is this libvirt's message with both hosts' errors in it (its code is then the wrapper's)?"""
    return bool(message and _BOTH_HOSTS.match(message))


def normalise(message: str | None) -> str | None:
    """What is specific to one run of the environment (pids, ports, the work dir, whether the destination's error
    made it into the message) made uniform."""
    if message is None:
        return None
    both = _BOTH_HOSTS.match(message)
    if both:
        message = both.group(1)
    for pattern, repl in _NORMALISE:
        message = pattern.sub(repl, message)
    return message


def iter_progress(stream: Any = sys.stderr, every: float = 10.0) -> Callable[[int, int, dict[str, Any]], None]:
    last = [0.0]
    t0 = time.monotonic()

    def progress(done: int, total: int, answer: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - last[0] >= every or done == total:
            last[0] = now
            print(f"  {done}/{total} cases, {now - t0:.0f} s", file=stream, flush=True)
    return progress
