"""The ``libvirt_pair`` fixture: a real libvirt 9.0.0 source and destination with test domains that have a disk
on local storage, for the live pre-flight test (test_preflight_live.py).

It needs the conformance harness (tests/conformance/oracle.py: its ``Daemon``, ``DAEMONS``, ``MOUNTS`` and
``classify``; or a copy named by MIGLINT_LIBVIRT_HARNESS=/path/to/dir), root, Debian's libvirt 9.0.0 packages
with /usr/bin/python3's python3-libvirt, ``unshare``, and the libvirt binding in this interpreter
(pip install 'miglint[live]'). Without them the live tests skip, saying why -- unless
MIGLINT_REQUIRE_LIBVIRT=1, when they fail (CI sets it where libvirt must be tested).

The fixture's interface (what the tests use; another harness can provide the same):
  src_uri, dst_uri            the daemons' URIs (unix sockets on this machine)
  libvirt_version, qemu_version
  domains                     {"mll-disk": running, "mll-off": shut off}; each has a writable raw file disk
                              vda on local storage (/var/lib/libvirt/images/NAME.img, a file of each daemon's
                              own, pre-created on the destination too) and an empty CD-ROM sda
  observe(domain)             {state, reason, persistent, snapshots, job, xml, inactive_xml}, read on a
                              connection of the harness's own
  virsh_migrate(args)         real ``virsh -c SRC migrate ARGS`` ("{dest}" = dst_uri) -> {outcome, message,
                              verdict: accepted|rejected|env, note}; the harness then restores the domains
  suspend(domain), resume(domain)
"""

from __future__ import annotations

import importlib.util
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO_HARNESS = HERE.parent / "conformance"
DEBIAN_PYTHON = "/usr/bin/python3"
REQUIRE = "MIGLINT_REQUIRE_LIBVIRT"


def harness_dir() -> Path:
    return Path(os.environ.get("MIGLINT_LIBVIRT_HARNESS") or REPO_HARNESS)


def unavailable() -> str | None:
    """Why no real libvirt pair can be started here, or None."""
    h = harness_dir()
    if not (h / "oracle.py").is_file():
        return (f"no libvirt 9.0.0 harness: {h}/oracle.py is missing (the conformance harness provides it; "
                "MIGLINT_LIBVIRT_HARNESS names another copy)")
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return "the libvirt pair runs in private Linux namespaces (unshare)"
    if os.geteuid() != 0:
        return "the libvirt pair runs privileged libvirtd daemons: it needs root"
    missing = [p for p in ("/usr/sbin/libvirtd", "/usr/bin/virsh", "/usr/bin/qemu-system-x86_64", DEBIAN_PYTHON)
               if not os.access(p, os.X_OK)]
    if missing:
        return "libvirt 9.0.0 is not installed (missing " + ", ".join(missing) + ")"
    probe = subprocess.run([DEBIAN_PYTHON, "-c", "import libvirt; print(libvirt.getVersion())"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"{DEBIAN_PYTHON} cannot import python3-libvirt"
    if probe.stdout.strip() != "9000000":
        return f"libvirt {probe.stdout.strip()} is installed; these tests compare with libvirt 9.0.0"
    if importlib.util.find_spec("libvirt") is None:
        return "miglint --connect needs the libvirt binding in this interpreter: pip install 'miglint[live]'"
    return None


class LibvirtPair:
    """tests/live/pair_server.py in a private PID namespace, spoken to over its stdin and stdout."""

    def __init__(self, harness: Path, startup_timeout: float = 240.0, timeout: float = 180.0) -> None:
        self.timeout = timeout
        self._err = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", DEBIAN_PYTHON,
             str(HERE / "pair_server.py"), str(harness)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err, text=True, bufsize=1)
        self._n = 0
        setup = self._read(startup_timeout)
        self.src_uri: str = setup["src_uri"]
        self.dst_uri: str = setup["dst_uri"]
        self.libvirt_version: str = setup["libvirt_version"]
        self.qemu_version: str = setup["qemu_version"]
        self.domains: dict[str, Any] = setup["domains"]

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.close()
            raise RuntimeError(f"the libvirt pair stopped answering: {self.stderr()[-3000:]}")
        return json.loads(line)  # type: ignore[no-any-return]

    def stderr(self) -> str:
        self._err.seek(0)
        return self._err.read()

    def _ask(self, **request: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self._n += 1
        self.proc.stdin.write(json.dumps({"id": self._n, **request}) + "\n")
        self.proc.stdin.flush()
        answer = self._read(self.timeout)
        if answer.get("id") != self._n or "error" in answer:
            raise RuntimeError(f"unexpected answer from the libvirt pair: {answer}")
        return answer

    def observe(self, domain: str) -> dict[str, Any]:
        return self._ask(op="observe", domain=domain)

    def virsh_migrate(self, args: list[str]) -> dict[str, Any]:
        return self._ask(op="virsh", args=args)

    def suspend(self, domain: str) -> None:
        self._ask(op="suspend", domain=domain)

    def resume(self, domain: str) -> None:
        self._ask(op="resume", domain=domain)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                if self.proc.stdin is not None:
                    self.proc.stdin.close()
                self.proc.wait(120)
            except (subprocess.TimeoutExpired, BrokenPipeError):
                self.proc.terminate()  # unshare --kill-child: the namespace and all in it go
                self.proc.wait(30)


@pytest.fixture(scope="session")
def libvirt_pair() -> Iterator[LibvirtPair]:
    reason = unavailable()
    if reason is not None:
        if os.environ.get(REQUIRE) == "1":
            pytest.fail(f"{REQUIRE}=1 but no real libvirt can be tested: {reason}")
        pytest.skip(reason)
    pair = LibvirtPair(harness_dir())
    try:
        yield pair
    finally:
        pair.close()
