"""Domain XML -> the ``domain.*`` facts the policies test. Pure: XML text in, facts out; callers read files
or ask libvirt, and say where each file disk lives (``storage``).

The XML is read with the standard library's expat parser, without a DTD: a document that declares a
DOCTYPE or an entity is refused (libvirt never writes one), so nothing is expanded or fetched.

What each fact means follows libvirt's own checks (src/qemu/qemu_migration.c, qemuMigrationSrcIsSafe and
qemuMigrationAnyCopyDisk; disks without a source and read-only disks are skipped, CD-ROMs are read-only):

* ``domain.disk_targets``: every disk's target (vda, sdb, ...), CD-ROMs and floppies included;
* ``domain.writable_disks``: the disks qemuMigrationSrcIsSafe looks at, writable and with a source, whatever
  their storage (a disk the request copies is safe wherever it lives, so its storage need not be known);
* ``domain.local_disks``: writable disks with a source on local storage (a file on a filesystem libvirt does
  not count as shared, or an NVMe disk) -- UNKNOWN when a file disk's storage cannot be told;
* ``domain.shareable_local_disks``: those of the local disks marked <shareable/> (a storage copy without
  --migrate-disks leaves them behind) -- UNKNOWN when a shareable file disk's storage cannot be told;
* ``domain.cache_unsafe_disks``: writable, non-shareable disks with a source whose cache mode is not
  none/directsync and that are not network disks or files on a coherent cluster filesystem -- UNKNOWN
  when such a file disk's storage cannot be told;
* ``domain.hostdevs``: host devices (<hostdev>, and <interface type='hostdev'>, which libvirt adds to them);
* ``domain.memory_hard_limit``: <memtune><hard_limit> in KiB, 0 when absent;
* ``domain.name``, ``domain.uuid``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from ..errors import UserError, decode_text
from ..model import UNKNOWN, FactValue

# Where a file lives: "local", "shared" (NFS, SMB, ...), "cluster" (a coherent cluster filesystem: GFS2,
# OCFS2, CephFS, GlusterFS), or None when it cannot be told.
Storage = Callable[[str], "str | None"]
STORAGE_KINDS = ("local", "shared", "cluster")
SAFE_CACHE_MODES = ("none", "directsync")
_UNITS = {"b": 1, "bytes": 1, "kb": 1000, "k": 1024, "kib": 1024, "mb": 1000**2, "m": 1024**2, "mib": 1024**2,
          "gb": 1000**3, "g": 1024**3, "gib": 1024**3, "tb": 1000**4, "t": 1024**4, "tib": 1024**4,
          "pb": 1000**5, "p": 1024**5, "pib": 1024**5, "eb": 1000**6, "e": 1024**6, "eib": 1024**6}
MAX_XML_BYTES = 16 << 20
# A domain's XML given with a request (a plan's domain_xml): an internal fact, turned into the domain.* facts
# by inputs.context once the host facts that say where file disks live are known.
XML_FACT = "domain.xml"


class Element:
    """A parsed element: tag, attributes, children, text, and the line it starts on."""

    __slots__ = ("tag", "attrib", "children", "line", "text")

    def __init__(self, tag: str, attrib: dict[str, str], line: int) -> None:
        self.tag, self.attrib, self.line = tag, attrib, line
        self.children: list[Element] = []
        self.text = ""

    def find(self, *path: str) -> "Element | None":
        node: Element | None = self
        for tag in path:
            assert node is not None
            node = next((c for c in node.children if c.tag == tag), None)
            if node is None:
                return None
        return node

    def findall(self, tag: str) -> Iterator["Element"]:
        return (c for c in self.children if c.tag == tag)


class Disk(NamedTuple):
    target: str
    device: str  # disk, cdrom, floppy, lun
    type: str  # file, block, dir, network, volume, nvme, vhostuser
    path: str | None  # the file, device or directory (None for other types, or without a source)
    readonly: bool
    shareable: bool
    cache: str  # "default" when the XML gives none
    has_source: bool


class DomainInfo(NamedTuple):
    name: str | None
    uuid: str | None
    disks: tuple[Disk, ...]
    hostdevs: int
    memory_hard_limit: int  # KiB


def parse(text: str | bytes, where: str = "<domain XML>") -> Element:
    """The document's root element; UserError (with file:line:column) for malformed XML or a DTD."""
    from xml.parsers import (
        expat,  # here: only a request with a domain XML loads the XML parser
    )

    if len(text) > MAX_XML_BYTES:
        raise UserError(f"domain XML larger than {MAX_XML_BYTES} bytes", where)
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Element] = []
    root: list[Element] = []

    def refuse(what: str) -> Any:
        def handler(*_: Any) -> None:
            raise UserError(f"domain XML with a {what} is refused (miglint reads no DTDs and expands no "
                            f"entities)", f"{where}:{parser.CurrentLineNumber}:{parser.CurrentColumnNumber + 1}")
        return handler

    def start(tag: str, attrs: dict[str, str]) -> None:
        el = Element(tag, attrs, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(el)
        else:
            root.append(el)
        stack.append(el)

    def end(tag: str) -> None:
        stack.pop()

    def chars(data: str) -> None:
        if stack:
            stack[-1].text += data

    parser.StartDoctypeDeclHandler = refuse("DOCTYPE declaration")
    parser.EntityDeclHandler = refuse("ENTITY declaration")
    parser.ExternalEntityRefHandler = refuse("external entity")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(text, True)
    except expat.ExpatError as e:
        raise UserError(f"malformed domain XML: {expat.ErrorString(e.code)}",
                        f"{where}:{e.lineno}:{e.offset + 1}") from None
    if not root:
        raise UserError("empty domain XML", where)
    return root[0]


def domain_info(text: str | bytes, where: str = "<domain XML>") -> DomainInfo:
    root = parse(text, where)
    if root.tag != "domain":
        raise UserError(f"not a domain XML: the root element is <{root.tag}>, expected <domain>", f"{where}:{root.line}")
    devices = root.find("devices")
    disks = tuple(_disk(d, where) for d in devices.findall("disk")) if devices is not None else ()
    hostdevs = 0
    if devices is not None:
        hostdevs = sum(1 for _ in devices.findall("hostdev"))
        hostdevs += sum(1 for i in devices.findall("interface") if i.attrib.get("type") == "hostdev")
    limit = root.find("memtune", "hard_limit")
    return DomainInfo(name=_text(root.find("name")), uuid=_text(root.find("uuid")), disks=disks, hostdevs=hostdevs,
                      memory_hard_limit=_kib(limit, where) if limit is not None else 0)


def _text(el: Element | None) -> str | None:
    return el.text.strip() or None if el is not None else None


def _kib(el: Element, where: str) -> int:
    unit = el.attrib.get("unit", "KiB").lower()
    try:
        value = int(el.text.strip())
        scale = _UNITS[unit]
    except (ValueError, KeyError):
        raise UserError(f"invalid <{el.tag}> {el.text.strip()!r} {el.attrib.get('unit', '')}".rstrip(),
                        f"{where}:{el.line}") from None
    return -(-value * scale // 1024)


def _disk(el: Element, where: str) -> Disk:
    target = el.find("target")
    dev = target.attrib.get("dev") if target is not None else None
    if not dev:
        raise UserError("a <disk> without <target dev=...>", f"{where}:{el.line}")
    kind = el.attrib.get("type", "file")
    device = el.attrib.get("device", "disk")
    source = el.find("source")
    path = None
    has_source = source is not None
    if kind in ("file", "block", "dir"):
        attr = {"file": "file", "block": "dev", "dir": "dir"}[kind]
        path = (source.attrib.get(attr) or None) if source is not None else None
        has_source = path is not None  # virStorageSourceIsEmpty: local storage without a path
    elif kind == "network":
        has_source = source is not None and bool(source.attrib.get("protocol"))
    driver = el.find("driver")
    return Disk(target=dev, device=device, type=kind, path=path,
                readonly=el.find("readonly") is not None or device == "cdrom",
                shareable=el.find("shareable") is not None,
                cache=(driver.attrib.get("cache") if driver is not None else None) or "default",
                has_source=has_source)


def disk_storage(disk: Disk, storage: Storage | None) -> str | None:
    """Where a disk's data lives, as qemuMigrationSrcIsSafe sees it: "local", "shared", "cluster" or None."""
    if disk.type == "network":
        return "cluster"  # network disks are safe, cache mode included
    if disk.type == "nvme":
        return "local"
    if disk.type == "file":
        return storage(disk.path) if storage is not None and disk.path else None
    if disk.type == "volume":
        return None  # the pool decides; the domain XML does not say
    return "shared"  # block, dir, vhostuser: libvirt does not count them as local storage


def facts(info: DomainInfo, storage: Storage | None = None) -> dict[str, FactValue]:
    """The domain.* facts of a parsed domain, with ``storage`` telling where file disks live (None: unknown)."""
    local: list[str] = []
    shareable: list[str] = []
    cache: list[str] = []
    writable: list[str] = []
    local_known = shareable_known = cache_known = True
    for d in info.disks:
        if not d.has_source or d.readonly:
            continue
        writable.append(d.target)
        where = disk_storage(d, storage)
        if where is None:
            local_known = False
            shareable_known = shareable_known and not d.shareable
        elif where == "local":
            local.append(d.target)
            if d.shareable:
                shareable.append(d.target)
        risky_cache = not d.shareable and d.cache not in SAFE_CACHE_MODES
        if risky_cache and where != "cluster":
            if where is None:
                cache_known = False
            else:
                cache.append(d.target)
    out: dict[str, FactValue] = {
        "domain.disk_targets": tuple(d.target for d in info.disks),
        "domain.writable_disks": tuple(writable),
        "domain.local_disks": tuple(local) if local_known else UNKNOWN,
        "domain.shareable_local_disks": tuple(shareable) if shareable_known else UNKNOWN,
        "domain.cache_unsafe_disks": tuple(cache) if cache_known else UNKNOWN,
        "domain.hostdevs": info.hostdevs,
        "domain.memory_hard_limit": info.memory_hard_limit,
    }
    if info.name is not None:
        out["domain.name"] = info.name
    if info.uuid is not None:
        out["domain.uuid"] = info.uuid
    return out


def prefix_storage(shared: Iterable[str] = (), cluster: Iterable[str] = ()) -> Storage:
    """``host.shared_paths`` / ``host.cluster_paths``: files under a listed directory are on shared storage
    (or a coherent cluster filesystem), every other file on local storage. The longest prefix wins."""
    table = sorted([(_dir(p), "shared") for p in shared] + [(_dir(p), "cluster") for p in cluster],
                   key=lambda x: -len(x[0]))

    def storage(path: str) -> str | None:
        for prefix, kind in table:
            if path == prefix.rstrip("/") or path.startswith(prefix):
                return kind
        return "local"
    return storage


def _dir(p: str) -> str:
    return p if p.endswith("/") else p + "/"


def host_storage(facts_: Mapping[str, Any]) -> Storage | None:
    """The storage function the host facts describe, or None when they say nothing about storage."""
    shared, cluster = facts_.get("host.shared_paths"), facts_.get("host.cluster_paths")
    if shared is None and cluster is None:
        return None
    return prefix_storage(_paths(shared, "host.shared_paths"), _paths(cluster, "host.cluster_paths"))


def _paths(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, tuple) else (value,)
    out = []
    for p in items:
        if not isinstance(p, str) or not p.startswith("/"):
            raise UserError(f"{name} lists absolute directories, got {p!r}")
        out.append(p)
    return tuple(out)


def read_text(path: str, reader: Any = None) -> str:
    """A domain XML file's text (UserError when it cannot be read)."""
    if reader is not None:
        return str(reader())
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_XML_BYTES + 1)
    except OSError as e:
        raise UserError(f"cannot read domain XML: {e.strerror}", path) from None
    if len(data) > MAX_XML_BYTES:
        raise UserError(f"domain XML larger than {MAX_XML_BYTES} bytes", path)
    return decode_text(data, path, "domain XML")
