"""Drive the live oracle (oracle.py, under Debian's /usr/bin/python3) from the project's own interpreter.

``LiveOracle`` starts it in a private PID and mount namespace (``unshare --pid --fork --kill-child
--mount-proc``): when the oracle ends, the kernel ends everything it started. ``unavailable()`` says why a
real libvirt 9.0.0 cannot be started here (or None).
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
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ORACLE = HERE / "oracle.py"
DEBIAN_PYTHON = "/usr/bin/python3"
LIBVIRT_VERSION = "9.0.0"
PACKAGES = ["libvirt-daemon", "libvirt-daemon-driver-qemu", "libvirt-clients", "qemu-system-x86", "python3-libvirt"]
EXECUTABLES = ["/usr/sbin/libvirtd", "/usr/bin/virsh", "/usr/bin/qemu-system-x86_64", DEBIAN_PYTHON]


class OracleError(RuntimeError):
    pass


def unavailable() -> str | None:
    """Why the live oracle cannot run on this machine, or None when it can."""
    if not sys.platform.startswith("linux"):
        return "the live oracle needs Linux"
    missing = [p for p in EXECUTABLES if not os.access(p, os.X_OK)]
    missing += [t for t in ("unshare", "openssl", "mount") if shutil.which(t) is None]
    if missing:
        return ("missing " + ", ".join(missing) + "; the live oracle needs the Debian 12 packages "
                + " ".join(PACKAGES) + " (and openssl, util-linux, mount)")
    if os.geteuid() != 0:
        return "the live oracle runs privileged libvirtd daemons in private namespaces: it needs root"
    try:
        with open("/proc/filesystems") as f:
            if "overlay" not in f.read():
                return "the kernel has no overlay filesystem (the daemons' /run and /var are overlays)"
    except OSError:
        return "cannot read /proc/filesystems"
    ns = subprocess.run(["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "true"],
                        capture_output=True, text=True)
    if ns.returncode != 0:
        return f"cannot make private PID and mount namespaces here: {ns.stderr.strip()[-200:]}"
    probe = subprocess.run([DEBIAN_PYTHON, "-c", "import libvirt; print(libvirt.getVersion())"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"{DEBIAN_PYTHON} cannot import the libvirt binding (python3-libvirt): {probe.stderr.strip()[-200:]}"
    version = int(probe.stdout.strip())
    text = f"{version // 1000000}.{version // 1000 % 1000}.{version % 1000}"
    if text != LIBVIRT_VERSION:
        return f"libvirt {text} is installed; the recorded answers are for {LIBVIRT_VERSION}"
    return None


def binding_vocabulary() -> dict[str, Any]:
    """VIR_MIGRATE_* flag constants and VIR_MIGRATE_PARAM_* keys of the installed python3-libvirt."""
    code = ("import json, libvirt\n"
            "flags = {n: getattr(libvirt, n) for n in dir(libvirt) if n.startswith('VIR_MIGRATE_')"
            " and not n.startswith('VIR_MIGRATE_PARAM_') and isinstance(getattr(libvirt, n), int)}\n"
            "params = {n: getattr(libvirt, n) for n in dir(libvirt) if n.startswith('VIR_MIGRATE_PARAM_')}\n"
            "print(json.dumps({'version': libvirt.getVersion(), 'flags': flags, 'params': params}))\n")
    p = subprocess.run([DEBIAN_PYTHON, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(p.stdout)  # type: ignore[no-any-return]


def installed_versions() -> dict[str, str]:
    out = {}
    for pkg in PACKAGES:
        p = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
        out[pkg] = p.stdout.strip() if p.returncode == 0 else "?"
    return out


class LiveOracle:
    """One oracle process: two libvirtd daemons and their domains. Use as a context manager."""

    def __init__(self, timeout: float = 60.0, port_min: int = 49152, keep: bool = False,
                 startup_timeout: float = 120.0) -> None:
        self.timeout = timeout
        self.port_min = port_min
        self.keep = keep
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[str] | None = None
        self.setup: dict[str, Any] = {}
        self._stderr = tempfile.TemporaryFile(mode="w+")

    def __enter__(self) -> "LiveOracle":
        argv = ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", DEBIAN_PYTHON, str(ORACLE), "init",
                "--timeout", str(self.timeout), "--port-min", str(self.port_min)]
        if self.keep:
            argv.append("--keep")
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
              progress: Callable[[int, int, dict[str, Any]], None] | None = None) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Ask libvirt about every case, with ``jobs`` oracles side by side. Returns (setup info, answers by id)."""
    answers: dict[str, dict[str, Any]] = {}
    queue = list(cases)
    lock = threading.Lock()
    setups: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    done = [0]

    def worker(index: int) -> None:
        try:
            with LiveOracle(timeout=timeout, port_min=49152 + 256 * index) as oracle:
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

_NORMALISE = [
    (re.compile(r"\bprocess \d+\b"), "process <pid>"),
    (re.compile(r"(127\.0\.0\.\d+):\d+"), r"\1:<port>"),
    (re.compile(r"\{work\}[^\s'\"]*"), "<path>"),
]


def normalise(message: str | None) -> str | None:
    """What is specific to one run of the environment (pids, ports, the work dir) made uniform."""
    if message is None:
        return None
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
