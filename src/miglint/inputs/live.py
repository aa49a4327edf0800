"""The live pre-flight (``check --connect URI``): a read-only look at a libvirt host.

The connection is opened with ``libvirt.openReadOnly``: the daemon itself refuses every call that would
start, stop, change or migrate anything on such a connection. This module makes only these calls:
getLibVersion, getType, getVersion, lookupByName / lookupByUUIDString / lookupByID, and per domain state,
isActive, isPersistent, snapshotNum and XMLDesc (flags 0: the definition libvirt's migration checks look
at -- the live one of a running domain, the persistent one of a shut-off domain); tests/unit/inputs/test_live_host.py
proves that list with a stand-in libvirt module.

Whether a file disk is on shared storage is decided as libvirt decides it (virFileIsSharedFS): statfs on
the path (walking up until a directory can be read), the filesystem type looked up in the vocabulary's
``shared_filesystems`` table, FUSE mounts by their type in /proc/mounts. That is only meaningful on the
host itself, so it is done only for a local connection (a URI without a host name).
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any
from urllib.parse import urlsplit

from ..errors import UserError
from ..model import FactValue
from .context import LiveDomain
from .domainxml import XML_FACT

INSTALL_HINT = "pip install 'miglint[live]'"


def import_libvirt() -> Any:
    try:
        import libvirt  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        raise UserError(f"--connect needs the libvirt Python binding: {INSTALL_HINT} "
                        "(it builds against the system's libvirt development files)") from None
    return libvirt


def is_local(uri: str) -> bool:
    """A URI without a host part names a daemon on this machine (qemu:///system, qemu+unix:///system?...)."""
    try:
        return not urlsplit(uri).hostname
    except ValueError:
        return False


def _version(v: int) -> str:
    return f"{v // 1000000}.{v // 1000 % 1000}.{v % 1000}"


class LibvirtHost:
    """One read-only connection. Use as a context manager; domains are read once each."""

    def __init__(self, uri: str, vocab: Any, libvirt: Any = None) -> None:
        self.uri = uri
        self.libvirt = libvirt if libvirt is not None else import_libvirt()
        self.shared_filesystems = vocab.shared_filesystems
        lv = self.libvirt
        lv.registerErrorHandler(lambda ctx, err: None, None)  # errors become exceptions, not stderr lines
        try:
            self.conn = lv.openReadOnly(uri)
        except lv.libvirtError as e:
            raise UserError(f"cannot connect to {uri}: {_message(e)}") from None
        if self.conn is None:
            raise UserError(f"cannot connect to {uri}")
        try:
            self.libvirt_version = _version(self.conn.getLibVersion())
            self.driver_type = str(self.conn.getType())
            known = vocab.connection_types.get(self.driver_type)
            self.hypervisor: str | None = known["hypervisor"] if known else None
            self.facts: dict[str, FactValue] = {}
            if known and known.get("version_fact"):
                hv_version = self.conn.getVersion()
                if hv_version:
                    self.facts[known["version_fact"]] = _version(hv_version)
        except lv.libvirtError as e:
            self.close()
            raise UserError(f"{uri}: {_message(e)}") from None
        self._domains: dict[str, LiveDomain] = {}
        self._paused = _names(lv, "VIR_DOMAIN_PAUSED_")
        self._running = _names(lv, "VIR_DOMAIN_RUNNING_")

    @property
    def local(self) -> bool:
        return is_local(self.uri)

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.close()
            except self.libvirt.libvirtError:
                pass

    def __enter__(self) -> "LibvirtHost":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def domain(self, name: str) -> LiveDomain:
        got = self._domains.get(name)
        if got is None:
            got = self._domains[name] = self._read(name)
        return got

    def _lookup(self, name: str) -> Any:
        lv = self.libvirt
        lookups = [self.conn.lookupByName]
        if len(name) == 36 and name.count("-") == 4:
            lookups.append(self.conn.lookupByUUIDString)
        for lookup in lookups:
            try:
                return lookup(name)
            except lv.libvirtError:
                continue
        if name.isdigit():  # virsh also takes a running domain's id
            try:
                return self.conn.lookupByID(int(name))
            except lv.libvirtError:
                pass
        raise UserError(f"domain {name!r} not found on {self.uri}")

    def _read(self, name: str) -> LiveDomain:
        lv = self.libvirt
        dom = self._lookup(name)
        try:
            code, reason = dom.state()
            active = bool(dom.isActive())
            facts: dict[str, FactValue] = {
                "domain.persistent": bool(dom.isPersistent()),
                "domain.snapshots": int(dom.snapshotNum(0)),
                XML_FACT: dom.XMLDesc(0),
            }
        except lv.libvirtError as e:
            raise UserError(f"domain {name!r} on {self.uri}: {_message(e)}") from None
        if code == lv.VIR_DOMAIN_PAUSED:
            state = "paused"
            facts["domain.paused_reason"] = self._paused.get(reason, str(reason))
        elif active:
            state = "running"
        else:
            state = "shutoff"
        reasons = self._paused if code == lv.VIR_DOMAIN_PAUSED else self._running if code == lv.VIR_DOMAIN_RUNNING else {}
        facts["domain.postcopy_failed"] = reasons.get(reason) == "postcopy_failed"
        return LiveDomain(state, tuple(sorted(facts.items())))

    def storage(self, path: str) -> str | None:
        return file_storage(path, self.shared_filesystems)


def _names(lv: Any, prefix: str) -> dict[int, str]:
    """libvirt's reason codes by value: VIR_DOMAIN_PAUSED_IOERROR -> "ioerror"."""
    out: dict[int, str] = {}
    for attr in dir(lv):
        if attr.startswith(prefix) and not attr.endswith("_LAST"):
            value = getattr(lv, attr)
            if isinstance(value, int):
                out.setdefault(value, attr[len(prefix):].lower())
    return out


def _message(e: Any) -> str:
    try:
        return str(e.get_error_message())
    except Exception:  # noqa: BLE001 - a stand-in error object
        return str(e)


# -- where a file lives (virFileIsSharedFS) --------------------------------------------------------------


def fs_magic(path: str) -> int | None:
    """statfs(2) f_type of the filesystem holding ``path``, walking up to the nearest directory that can be
    read (as libvirt does); None when it cannot be told (not Linux, relative path)."""
    import ctypes  # only where statfs is asked for: a check without --connect never loads it


    if not sys.platform.startswith("linux") or not path.startswith("/"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(512)  # struct statfs: 120 bytes on 64-bit Linux; f_type comes first
    probe = path
    while True:
        if libc.statfs(os.fsencode(probe), buf) == 0:
            return int(ctypes.c_long.from_buffer(buf).value) & 0xFFFFFFFF
        if probe == "/":
            return None
        probe = os.path.dirname(probe.rstrip("/")) or "/"


def fuse_type(path: str, mounts: str = "/proc/mounts") -> str | None:
    """The type of the FUSE mount holding ``path`` (fuse.glusterfs, ...): the longest matching mount point."""
    canon = os.path.realpath(path)
    best, best_len = None, -1
    try:
        with open(mounts, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mnt = _unescape(parts[1])
        inside = canon == mnt or canon.startswith(mnt.rstrip("/") + "/")
        if inside and len(mnt) > best_len:
            best, best_len = parts[2], len(mnt)
    return best


def _unescape(field: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes (\\040)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def file_storage(path: str, table: Any, magic: int | None = None, fuse: str | None = None) -> str | None:
    """"local", "shared" or "cluster" for a file, from the shared-filesystem table; None when unknown."""
    if magic is None:
        magic = fs_magic(path)
    if magic is None:
        return None
    if magic == int(table.get("fuse_magic", -1)):
        kind = fuse if fuse is not None else fuse_type(path)
        for row in table.get("fuse", []):
            if row["type"] == kind:
                return "cluster" if row.get("cluster") else "shared"
        return "local"
    for row in table.get("magic", []):
        if int(row["magic"]) == magic:
            return "cluster" if row.get("cluster") else "shared"
    return "local"
