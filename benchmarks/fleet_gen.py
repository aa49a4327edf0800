"""Realistic migration requests for the benchmarks: a fleet where every entry is its own VM (fixed seed).

What an orchestrator writes when it evacuates hosts: every entry names a different VM (``web-0421.dc3``), its
own destination host and URI, and often its own parameters (a new name on the destination, a bandwidth cap,
the disks to copy, compression settings). No two lines of a plan are the same apart from their ``id``, so a
cache keyed by a line's shape or by the whole request never answers; sharing inside the evaluation (the same
flag set, the same rule outcome) is what a real fleet offers and is fair game.

The mix (weights, approximately; ``python benchmarks/fleet_gen.py --stats N`` prints the actual one):

- hypervisors: qemu 75 %, vz 15 %, libxl 10 %;
- states: running 68 %, shutoff 14 %, paused 6 %, omitted 12 % (the prediction then depends on it);
  libxl domains are never shut off (libxl cannot migrate them);
- libvirt versions: "9.0.0" 45 %, "11.3.0" 40 %, omitted 15 %;
- flags: ~80 % one of the hypervisor's common sets (qemu: the six operators use: live p2p persistent,
  offline persistent, live p2p copy-storage-all, live p2p tunnelled, live p2p postcopy, live p2p tls
  parallel; shut-off domains take the offline one), ~20 % a random set of 1 to 5 flags;
- parameters, each drawn per entry: destination_name on ~20 %, bandwidth on ~35 % (from 40 to 20,000 MiB/s,
  half of them round numbers), a migration URI to the destination host, migrate_disks lists with storage
  copies, compression methods and levels, parallel connections, post-copy bandwidth, auto-converge
  tuning, tls.destination;
- ~3 % deliberate mistakes that break several rules at once (offline with live and no persistence,
  tunnelled with parallel and a migration URI, post-copy tunnelled without live, ...); with the random
  flag sets and the omitted states about 12 % of the entries have findings from two rules or more,
  and about 35 % have at least one (infos and warnings included).

:func:`entries` yields plan entries (JSON Lines plans); :func:`api_requests` yields keyword arguments of
``miglint.check_request`` for qemu at libvirt 9.0.0, each with its own ``destination_name``, and
:func:`rego_input` turns one into the input of the Rego peer (/work/shared/peers/rego).
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from typing import Any

SEED = 20261206
MISTAKES = 0.03  # share of entries with a deliberate mistake (each breaks several rules)

# Flags a random set is drawn from (what shows up in hand-written scripts; no RDMA, no post-copy resume).
RANDOM_POOL = ["LIVE", "PEER2PEER", "PERSIST_DEST", "UNDEFINE_SOURCE", "PAUSED", "NON_SHARED_DISK",
               "NON_SHARED_INC", "CHANGE_PROTECTION", "UNSAFE", "OFFLINE", "COMPRESSED", "ABORT_ON_ERROR",
               "AUTO_CONVERGE", "POSTCOPY", "TLS", "PARALLEL", "TUNNELLED", "ZEROCOPY"]

# The six flag sets operators use with qemu (weights for a running domain; shut-off domains take "offline").
QEMU_COMMON = {
    "live-p2p-persistent": (["LIVE", "PEER2PEER", "PERSIST_DEST", "UNDEFINE_SOURCE"], 40),
    "offline-persistent": (["OFFLINE", "PERSIST_DEST", "PEER2PEER"], 0),
    "live-p2p-copy-storage-all": (["LIVE", "PEER2PEER", "PERSIST_DEST", "NON_SHARED_DISK"], 18),
    "live-p2p-tunnelled": (["LIVE", "PEER2PEER", "TUNNELLED", "PERSIST_DEST"], 12),
    "live-p2p-postcopy": (["LIVE", "PEER2PEER", "POSTCOPY", "PERSIST_DEST"], 15),
    "live-p2p-tls-parallel": (["LIVE", "PEER2PEER", "TLS", "PARALLEL", "PERSIST_DEST"], 15),
}
VZ_COMMON = [(["PEER2PEER"], 45), (["LIVE", "PEER2PEER", "PERSIST_DEST"], 40), (["PEER2PEER", "UNDEFINE_SOURCE"], 15)]
LIBXL_COMMON = [(["LIVE", "PEER2PEER"], 55), (["LIVE", "PEER2PEER", "PERSIST_DEST"], 30),
                (["LIVE", "PEER2PEER", "PERSIST_DEST", "UNDEFINE_SOURCE"], 15)]

ROLES = [("web", 30), ("app", 22), ("db", 10), ("k8s-node", 14), ("ci", 9), ("cache", 8), ("mail", 3), ("ldap", 2),
         ("build", 2)]
DATACENTRES = 8
HOSTS_PER_DC = 600
DISKS = [["vda"], ["vda", "vdb"], ["vda", "vdb", "vdc"], ["sda"], ["sda", "sdb"], ["vdb"]]
# libxl takes no bandwidth (only the URI, the new name and the XML); vz ignores it in p2p mode (a warning).
BANDWIDTH_SHARE = {"qemu": 0.4, "vz": 0.1, "libxl": 0.0}
ROUND_BANDWIDTHS = [100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000]


def _weighted(rng: random.Random, options: list[tuple[Any, int]]) -> Any:
    return rng.choices([o for o, _ in options], [w for _, w in options])[0]


def _bandwidth(rng: random.Random) -> int:
    return rng.choice(ROUND_BANDWIDTHS) if rng.random() < 0.5 else rng.randrange(40, 20000)


def _random_flags(rng: random.Random) -> list[str]:
    flags = rng.sample(RANDOM_POOL, rng.randint(1, 5))
    if "PEER2PEER" not in flags and rng.random() < 0.6:
        flags.append("PEER2PEER")
    return flags


# Deliberate mistakes: each breaks two rules or more (qemu, vz, libxl). Each yields flags and params.
def _qemu_mistake(rng: random.Random, dst: str) -> tuple[list[str], dict[str, Any], str | None]:
    """Flags, params and the state the mistake needs (None: keep the entry's)."""
    k = rng.randrange(8)
    if k == 0:  # offline migration of a shut-off domain, with --live and without --persistent
        return ["OFFLINE", "LIVE", "PEER2PEER"], {}, "shutoff"
    if k == 1:  # tunnelled and parallel, with a migration URI
        return (["LIVE", "PEER2PEER", "TUNNELLED", "PARALLEL"],
                {"migrate_uri": f"tcp://{dst}:{rng.randrange(49152, 49216)}", "parallel.connections": 4}, None)
    if k == 2:  # post-copy, tunnelled, without --live
        return ["PEER2PEER", "TUNNELLED", "POSTCOPY", "PERSIST_DEST"], {}, "running"
    if k == 3:  # both storage copies, tunnelled
        return (["LIVE", "PEER2PEER", "TUNNELLED", "NON_SHARED_DISK", "NON_SHARED_INC"],
                {"migrate_disks": rng.choice(DISKS)}, None)
    if k == 4:  # compression listed twice, xbzrle tuning without xbzrle
        return (["LIVE", "PEER2PEER", "COMPRESSED"],
                {"compression": ["mt", "mt"], "compression.xbzrle.cache": rng.choice([64, 128, 256]) << 20}, None)
    if k == 5:  # zero-copy without parallel, with compression
        return ["LIVE", "PEER2PEER", "ZEROCOPY", "COMPRESSED"], {"compression": ["xbzrle"]}, "running"
    if k == 6:  # tuning parameters for features not asked for
        return (["LIVE", "PEER2PEER", "PERSIST_DEST"],
                {"auto_converge.initial": rng.choice([10, 20, 30]), "parallel.connections": rng.choice([2, 4, 8]),
                 "bandwidth": _bandwidth(rng)}, None)
    # offline with a storage copy, tunnelled
    return ["OFFLINE", "PERSIST_DEST", "PEER2PEER", "TUNNELLED", "NON_SHARED_DISK"], {}, "shutoff"


def _common_params(rng: random.Random, hv: str, flags: list[str], dst: str, params: dict[str, Any]) -> None:
    """The parameters a tool adds for a flag set (qemu; vz and libxl take few)."""
    if hv != "qemu":
        return
    fs = set(flags)
    if "NON_SHARED_DISK" in fs or "NON_SHARED_INC" in fs:
        if rng.random() < 0.6:
            params["migrate_disks"] = rng.choice(DISKS)
        if rng.random() < 0.15:
            params["disks_port"] = rng.randrange(49153, 49300)
    if "PARALLEL" in fs and rng.random() < 0.85:
        params["parallel.connections"] = rng.choice([2, 4, 4, 8, 8, 16, rng.randrange(2, 33)])
    if "TLS" in fs and rng.random() < 0.3:
        params["tls.destination"] = dst
    if "POSTCOPY" in fs and rng.random() < 0.4:
        params["bandwidth.postcopy"] = _bandwidth(rng)
    if "AUTO_CONVERGE" in fs and rng.random() < 0.5:
        params["auto_converge.initial"] = rng.randrange(5, 60)
        params["auto_converge.increment"] = rng.randrange(5, 30)
    if "COMPRESSED" in fs and rng.random() < 0.7:
        method = rng.choice([["mt"], ["xbzrle"], ["xbzrle", "mt"], ["zstd"], ["zlib"]])
        params["compression"] = method
        if "mt" in method and rng.random() < 0.5:
            params["compression.mt.threads"] = rng.choice([2, 4, 8])
            params["compression.mt.level"] = rng.randrange(1, 10)
        if "xbzrle" in method and rng.random() < 0.5:
            params["compression.xbzrle.cache"] = rng.choice([64, 128, 256, 512]) << 20
        if "zstd" in method and rng.random() < 0.5:
            params["compression.zstd.level"] = rng.randrange(1, 20)
    if "TUNNELLED" not in fs and rng.random() < 0.15:
        params["migrate_uri"] = f"tcp://{dst}:{rng.randrange(49152, 49216)}"


class _Names:
    """Unique VM names: ``role-NNNN.dcD`` with a counter per role and data centre."""

    def __init__(self) -> None:
        self.counters: dict[tuple[str, int], int] = {}

    def __call__(self, rng: random.Random) -> tuple[str, int]:
        role = _weighted(rng, ROLES)
        dc = rng.randrange(DATACENTRES)
        n = self.counters[role, dc] = self.counters.get((role, dc), 0) + 1
        return f"{role}-{n:04d}.dc{dc}", dc


def _destination(rng: random.Random, hv: str, dc: int) -> tuple[str, str]:
    """(host, URI): a host in the same data centre, or (1 in 10) in the next one."""
    if rng.random() < 0.1:
        dc = (dc + 1) % DATACENTRES
    prefix, scheme = {"qemu": ("kvm", "qemu"), "vz": ("vz", "vz"), "libxl": ("xen", "xen")}[hv]
    host = f"{prefix}-{rng.randrange(HOSTS_PER_DC):03d}.dc{dc}.example.net"
    return host, f"{scheme}+ssh://{host}/system"


def _request(rng: random.Random, names: _Names, hv: str, state: str | None, version: str | None,
             dest_name_share: float = 0.2) -> dict[str, Any]:
    """One entry's fields (without id): hypervisor, state, version, flags, params, domain, desturi."""
    name, dc = names(rng)
    host, uri = _destination(rng, hv, dc)
    params: dict[str, Any] = {}
    r = rng.random()
    if r < MISTAKES:  # a mistake (vz and libxl: flags their driver refuses)
        if hv == "qemu":
            flags, params, need = _qemu_mistake(rng, host)
            state = need or state
        elif hv == "vz":
            flags = ["PEER2PEER", "COMPRESSED", rng.choice(["TUNNELLED", "POSTCOPY", "NON_SHARED_DISK"]), "LIVE"]
        else:
            flags = ["LIVE", "PEER2PEER", rng.choice(["COMPRESSED", "POSTCOPY"]), "TUNNELLED", "TLS"]
    elif r < MISTAKES + 0.2:
        flags = _random_flags(rng)
    elif hv == "qemu":
        if state == "shutoff":
            flags = ["OFFLINE", "PERSIST_DEST"] + (["PEER2PEER"] if rng.random() < 0.7 else [])
        else:
            flags = list(_weighted(rng, list(QEMU_COMMON.values())))
            if "UNDEFINE_SOURCE" in flags and rng.random() < 0.4:
                flags.remove("UNDEFINE_SOURCE")
    else:
        flags = list(_weighted(rng, VZ_COMMON if hv == "vz" else LIBXL_COMMON))
    _common_params(rng, hv, flags, host, params)
    if rng.random() < dest_name_share:
        params["destination_name"] = (name.replace(".dc", "-new.dc") if rng.random() < 0.5
                                      else f"{name.split('.')[0]}.dc{(dc + 1) % DATACENTRES}")
    if rng.random() < BANDWIDTH_SHARE[hv]:
        params["bandwidth"] = _bandwidth(rng)
    out: dict[str, Any] = {"hypervisor": hv}
    if state is not None:
        out["state"] = state
    if version is not None:
        out["libvirt_version"] = version
    out["flags"] = flags
    if params:
        out["params"] = params
    out["domain"] = name
    out["desturi"] = uri
    return out


def entries(n: int, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """``n`` plan entries, each its own VM; the same ``seed`` gives the same plan."""
    rng = random.Random(seed)
    names = _Names()
    for _ in range(n):
        hv = _weighted(rng, [("qemu", 75), ("vz", 15), ("libxl", 10)])
        states = [("running", 68), ("shutoff", 14 if hv != "libxl" else 0), ("paused", 6), (None, 12)]
        state = _weighted(rng, states)
        version = _weighted(rng, [("9.0.0", 45), ("11.3.0", 40), (None, 15)])
        req = _request(rng, names, hv, state, version)
        e: dict[str, Any] = {"id": req["domain"]}
        e.update(req)
        if hv == "qemu" and rng.random() < 0.08:
            e["qemu_version"] = rng.choice(["7.2", "8.2.2", "9.2.0", "10.0.0"])
        r = rng.random()
        if r < 0.02:
            e["facts"] = {"domain.snapshots": rng.randint(1, 4)}
        elif r < 0.04:
            e["host"] = {"migrate_tls_force": True}
        yield e


def write(path: str, n: int, seed: int = SEED) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for e in entries(n, seed):
            out.write(json.dumps(e) + "\n")


def api_requests(n: int, seed: int = SEED + 1) -> list[dict[str, Any]]:
    """``n`` keyword-argument dicts for ``check_request``: qemu at libvirt 9.0.0 (the Rego peer's rules),
    explicit states, ~80 % of them with one of the six common qemu flag sets, and every one with its own
    ``destination_name`` (so no two requests are the same, and none is flags-only)."""
    rng = random.Random(seed)
    names = _Names()
    out = []
    for i in range(n):
        state = _weighted(rng, [("running", 78), ("shutoff", 14), ("paused", 8)])
        req = _request(rng, names, "qemu", state, "9.0.0", dest_name_share=0.0)
        params = req.setdefault("params", {})
        params["destination_name"] = f"{req['domain'].split('.')[0]}-m{i}"
        del req["desturi"]  # the peer has the destination URI only as an optional fact; keep both equal
        out.append(req)
    return out


def rego_input(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The Rego peer's input for the same request: state, mode (as miglint resolves it: p2p when
    PEER2PEER is set, else managed), full VIR_MIGRATE_* names, params by key."""
    flags = kwargs.get("flags", [])
    return {"state": kwargs.get("state", "running"), "mode": "p2p" if "PEER2PEER" in flags else "managed",
            "flags": ["VIR_MIGRATE_" + f for f in flags], "params": kwargs.get("params", {}),
            "domain": kwargs.get("domain")}


def _stats(n: int) -> None:
    """Lint ``n`` entries through the API and print the mix: what the plan is made of, and what miglint says."""
    from collections import Counter

    from miglint import check_request

    c: Counter[str] = Counter()
    nfind: Counter[int] = Counter()
    rules: Counter[str] = Counter()
    for e in entries(n):
        c["hv " + e["hypervisor"]] += 1
        c["state " + str(e.get("state"))] += 1
        c["version " + str(e.get("libvirt_version"))] += 1
        p = e.get("params", {})
        for k in p:
            c["param " + k] += 1
        kw = {k: e.get(k) for k in ("state", "libvirt_version", "flags", "params", "domain", "desturi")}
        facts = dict(e.get("facts", {}))
        facts.update({"host." + k: v for k, v in e.get("host", {}).items()})
        if "qemu_version" in e:
            facts["qemu.version"] = e["qemu_version"]
        r = check_request(e["hypervisor"], facts=facts or None, **kw)
        c["prediction " + r.prediction] += 1
        nfind[min(len({f.rule for f in r.findings}), 3)] += 1
        rules.update({f.rule for f in r.findings})
    for k, v in sorted(c.items()):
        print(f"{k:<40} {v / n:6.1%}")
    print("entries by distinct rules in findings (3 = 3+):", {k: f"{v / n:.1%}" for k, v in sorted(nfind.items())})
    print(f"{len(rules)} rules fired; most common:", rules.most_common(12))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--stats":
        _stats(int(sys.argv[2]))
    elif len(sys.argv) == 3:
        write(sys.argv[2], int(sys.argv[1]))
    else:
        sys.exit("usage: fleet_gen.py N PLAN.jsonl | fleet_gen.py --stats N")
